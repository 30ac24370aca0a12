//! What can be wrong with a roster and how it is reported: every semantic problem is
//! collected with where it is, so one run of `Roster::parse` names them all.

use super::ids::{IdentifierError, PersonId, TeamNameError, UnknownTimeZone};
use super::model::{AbsenceEndsBeforeStart, MAX_OFFSET_DIFFERENCE_HOURS};
use super::{EmailAddressError, UnknownHolidayRegion};

#[derive(Debug, thiserror::Error)]
pub enum RosterError {
    #[error("the roster is not valid TOML: {0}")]
    Syntax(#[source] toml::de::Error),
    #[error("{}", list_problems(.0))]
    Invalid(Vec<RosterProblem>),
}

fn list_problems(problems: &[RosterProblem]) -> String {
    let count = match problems.len() {
        1 => "1 problem".to_owned(),
        n => format!("{n} problems"),
    };
    let lines: Vec<String> = problems
        .iter()
        .map(|problem| format!("  - {problem}"))
        .collect();
    format!("the roster has {count}:\n{}", lines.join("\n"))
}

/// One thing wrong with the roster, and where: `people[3] (id "xx")`, `rotations.sre`.
/// Indices count from 0, in file order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{at}: {issue}")]
pub struct RosterProblem {
    pub at: String,
    pub issue: RosterIssue,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RosterIssue {
    #[error("unknown key `{key}`{}", suggestion.map(|s| format!("; did you mean `{s}`?")).unwrap_or_default())]
    UnknownKey {
        key: String,
        suggestion: Option<&'static str>,
    },
    #[error("there are no rotations; add at least one [rotations.NAME] table")]
    NoRotations,
    #[error("`{0}` is missing")]
    Missing(&'static str),
    #[error("rotation name {0}")]
    BadRotationName(IdentifierError),
    #[error("style {0:?} is neither \"fair\" nor \"sequential\"")]
    UnknownStyle(String),
    #[error("min_working_days {0} is outside 0..=5")]
    MinWorkingDaysOutOfRange(i64),
    #[error("backup_max_offset_hours {0} is outside 0..={MAX_OFFSET_DIFFERENCE_HOURS}")]
    BackupOffsetOutOfRange(i64),
    #[error("notify: {0}")]
    BadNotifyAddress(EmailAddressError),
    #[error("a fair rotation takes no `{0}`; only sequential rotations hand off in order")]
    NotForFairRotations(&'static str),
    #[error("weekday {0:?} is not a day name like \"wednesday\"")]
    BadWeekday(String),
    #[error("time {0:?} is not a 24-hour \"HH:MM\"")]
    BadTime(String),
    #[error("{0}")]
    BadTimeZone(UnknownTimeZone),
    #[error("order is empty")]
    EmptyOrder,
    #[error("order: id {0}")]
    BadOrderEntry(IdentifierError),
    #[error("order names {0:?}, who is not in [[people]]")]
    OrderNamesUnknownPerson(String),
    #[error("order names {0}, who does not list this rotation")]
    OrderNamesNonMember(PersonId),
    #[error("order names {0} more than once")]
    OrderRepeats(PersonId),
    #[error(
        "{0} lists this rotation but is not in its order; add them to order or drop the rotation from their list"
    )]
    MemberMissingFromOrder(PersonId),
    #[error("{field} {text:?} is not a date (YYYY-MM-DD)")]
    BadDate { field: &'static str, text: String },
    #[error("absences[{index}]: {error}")]
    AbsenceEndsBeforeStart {
        index: usize,
        error: AbsenceEndsBeforeStart,
    },
    #[error("`{0}` is empty")]
    Empty(&'static str),
    #[error("id {0}")]
    BadPersonId(IdentifierError),
    #[error("id {0} is already used by people[{1}]")]
    DuplicatePersonId(PersonId, usize),
    #[error("{0}")]
    BadEmail(EmailAddressError),
    #[error("{0}")]
    BadTeam(TeamNameError),
    #[error("holidays: {0}")]
    UnknownHolidayRegion(UnknownHolidayRegion),
    #[error("role {0:?} is not \"engineer\", \"manager\" or \"director\"")]
    UnknownRole(String),
    #[error("rotations names {0:?}, which has no [rotations.{0}] table")]
    UnknownRotation(String),
    #[error("rotations names {0:?} more than once")]
    RotationRepeated(String),
    #[error("previous_duties {0} is negative")]
    NegativePreviousDuties(i64),
    #[error("previous_duties {0} is implausibly large")]
    TooManyPreviousDuties(i64),
    #[error("victorops.{field} {text:?} is not a VictorOps slug (letters, digits, '-' and '_')")]
    BadVictorOpsSlug { field: &'static str, text: String },
    #[error("victorops.policies is empty: name the escalation policies Clinic overrides")]
    NoVictorOpsPolicies,
    #[error("victorops.policies names {0:?} more than once")]
    VictorOpsPolicyRepeated(String),
    #[error("victorops.takes {0:?} is neither \"record\" nor \"undo\"")]
    UnknownTakePolicy(String),
    #[error(
        "rotations names {0:?}, which Clinic keeps in step with VictorOps, but victorops_user is missing"
    )]
    NoVictorOpsUser(String),
    #[error("{0}")]
    BadChatId(super::chat::ChatIdError),
    #[error("chat names no slack_channels and no matrix_rooms")]
    NoChatRooms,
    #[error("topic {text:?} cannot be used: {why}")]
    BadTopicTemplate { text: String, why: &'static str },
    #[error("expiry_hours {0} is outside 1..=168")]
    NoticeExpiryOutOfRange(i64),
    #[error("allow names {0:?}, who is not in [[people]]")]
    NoticeNamesUnknownPerson(String),
    #[error(
        "rotations names {0:?}, whose chat keeps a Slack user group, but slack_user is missing"
    )]
    NoSlackUser(String),
    #[error("swap_approver {0:?} is not the id of a person in the roster")]
    UnknownSwapApprover(String),
}

pub(super) struct Problems(pub(super) Vec<RosterProblem>);

impl Problems {
    pub(super) fn add(&mut self, at: &str, issue: RosterIssue) {
        self.0.push(RosterProblem {
            at: at.to_owned(),
            issue,
        });
    }

    /// Keeps the value when valid, records the problem otherwise.
    pub(super) fn check<T, E>(
        &mut self,
        at: &str,
        result: Result<T, E>,
        issue: impl FnOnce(E) -> RosterIssue,
    ) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.add(at, issue(error));
                None
            }
        }
    }

    pub(super) fn require<T>(
        &mut self,
        at: &str,
        field: &'static str,
        value: Option<T>,
    ) -> Option<T> {
        if value.is_none() {
            self.add(at, RosterIssue::Missing(field));
        }
        value
    }
}
