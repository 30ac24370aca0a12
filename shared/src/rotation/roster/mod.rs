//! The roster: who serves which rotation under which rules, read from TOML.
//! Raw serde structs catch typos and wrong types; `Roster::parse` then turns them into
//! validated domain types and reports every semantic problem at once.

mod chat;
mod check_people;
mod check_rotations;
mod ids;
mod model;
mod parse;
mod problems;
mod validate;

#[cfg(test)]
mod tests;

pub use chat::{
    ChatIdError, ChatIdentity, ChatLink, DEFAULT_NOTICE_EXPIRY_HOURS, MAX_NOTICE_EXPIRY_HOURS,
    MatrixRoomId, MatrixUserId, NoticeSettings, SlackChannelId, SlackUserGroupId, SlackUserId,
    TOPIC_PLACEHOLDERS, TopicTemplate,
};
pub use ids::{
    IanaTimeZone, IdentifierError, PersonId, RotationName, TeamName, TeamNameError,
    UnknownTimeZone, readable,
};
pub use model::{
    Absence, AbsenceEndsBeforeStart, CompanyHoliday, DEFAULT_BACKUP_MAX_OFFSET_HOURS, Handoff,
    Person, Role, Roster, RotationRules, Style, TakePolicy, VictorOpsLink,
};
pub use problems::{RosterError, RosterIssue, RosterProblem};

pub use crate::mail::{EmailAddress, EmailAddressError};

// The roster's only other way out of `rotation`, named once here for the files below.
use crate::holidays::{HolidayRegion, UnknownHolidayRegion};
