//! The roster's domain types: people, rotations and their rules, company holidays, and
//! the `Roster` that holds them with lookups by id, name and date.

use std::collections::BTreeMap;
use std::fmt;

use jiff::civil::{Date, Time, Weekday};
use serde::{Deserialize, Serialize};

use super::chat::{ChatIdentity, ChatLink, NoticeSettings};
use super::ids::{IanaTimeZone, PersonId, RotationName, TeamName};
use super::{EmailAddress, HolidayRegion};

/// Used when `first_duty_backup = true` and `backup_max_offset_hours` is left out:
/// three hours keeps a backup within most of the first-timer's working day.
pub const DEFAULT_BACKUP_MAX_OFFSET_HOURS: u8 = 3;
/// UTC offsets run from -12:00 to +14:00, so no two people are further apart than this.
pub(super) const MAX_OFFSET_DIFFERENCE_HOURS: i64 = 26;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Engineer,
    Manager,
    Director,
}

impl Role {
    /// The seeds exclude managers and directors from clinic duty.
    pub fn serves(self) -> bool {
        self == Role::Engineer
    }
}

impl fmt::Display for Role {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(match self {
            Role::Engineer => "engineer",
            Role::Manager => "manager",
            Role::Director => "director",
        })
    }
}

/// Days away, inclusive at both ends, read as calendar dates in the person's own zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Absence {
    from: Date,
    to: Date,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("absence from {from} to {to} ends before it starts")]
pub struct AbsenceEndsBeforeStart {
    pub from: Date,
    pub to: Date,
}

impl Absence {
    pub fn new(from: Date, to: Date) -> Result<Absence, AbsenceEndsBeforeStart> {
        if from > to {
            return Err(AbsenceEndsBeforeStart { from, to });
        }
        Ok(Absence { from, to })
    }

    pub fn from(&self) -> Date {
        self.from
    }

    pub fn to(&self) -> Date {
        self.to
    }

    pub fn contains(&self, date: Date) -> bool {
        self.from <= date && date <= self.to
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CompanyHoliday {
    pub date: Date,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Person {
    pub id: PersonId,
    pub name: String,
    pub email: EmailAddress,
    pub team: TeamName,
    pub timezone: IanaTimeZone,
    /// Whose public holidays apply to this person: a country or one of its subdivisions.
    pub holidays: HolidayRegion,
    pub role: Role,
    pub rotations: Vec<RotationName>,
    /// Duties served before Clinic kept history; 0 means the next duty is the first.
    pub previous_duties: u32,
    pub absences: Vec<Absence>,
    /// The person's VictorOps user name: who Clinic's scheduled overrides put on call, and who a
    /// VictorOps webhook names as responder. Required for members of a rotation with `victorops`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub victorops_user: Option<String>,
    /// Who the person is in Slack and Matrix (`slack_user`, `matrix_user`).
    pub chat: ChatIdentity,
}

impl Person {
    pub fn is_absent_on(&self, date: Date) -> bool {
        self.absences.iter().any(|absence| absence.contains(date))
    }

    pub fn is_member_of(&self, rotation: &RotationName) -> bool {
        self.rotations.contains(rotation)
    }
}

/// When a sequential rotation passes from one person to the next.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Handoff {
    #[serde(serialize_with = "serialize_weekday")]
    pub weekday: Weekday,
    #[serde(serialize_with = "serialize_hour_minute")]
    pub time: Time,
    pub timezone: IanaTimeZone,
}

fn weekday_name(weekday: Weekday) -> &'static str {
    match weekday {
        Weekday::Monday => "monday",
        Weekday::Tuesday => "tuesday",
        Weekday::Wednesday => "wednesday",
        Weekday::Thursday => "thursday",
        Weekday::Friday => "friday",
        Weekday::Saturday => "saturday",
        Weekday::Sunday => "sunday",
    }
}

fn serialize_weekday<S: serde::Serializer>(
    weekday: &Weekday,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(weekday_name(*weekday))
}

fn serialize_hour_minute<S: serde::Serializer>(
    time: &Time,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_str(&format_args!("{:02}:{:02}", time.hour(), time.minute()))
}

/// How the next person is chosen. Serialised flat into the rules, as in the TOML.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "style", rename_all = "lowercase")]
pub enum Style {
    /// Least-loaded eligible person, Monday to the end of Friday in their own zone.
    Fair,
    /// Turns in a fixed order, from one handoff to the next.
    Sequential {
        handoff: Handoff,
        order: Vec<PersonId>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RotationRules {
    pub name: RotationName,
    #[serde(flatten)]
    pub style: Style,
    /// Fewest working days (0..=5) someone needs in a week to serve it.
    pub min_working_days: u8,
    pub avoid_same_person: bool,
    pub avoid_same_team: bool,
    pub first_duty_backup: bool,
    /// Largest UTC-offset gap between a first-timer and their backup. Defaults to
    /// [`DEFAULT_BACKUP_MAX_OFFSET_HOURS`] when `first_duty_backup` is on, else 0.
    pub backup_max_offset_hours: u8,
    /// Copied on every handoff.
    pub notify: Vec<EmailAddress>,
    /// The VictorOps team and escalation policies this rotation pages through, when Clinic keeps
    /// them in step (scheduled overrides for committed shifts; see `crate::oncall`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub victorops: Option<VictorOpsLink>,
    /// The channels the rotation talks in, and the topic section and user group Clinic keeps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chat: Option<ChatLink>,
    /// Who approves a self-service swap or cover before it is applied (`crate::swaps`); without
    /// one, the first to accept wins and it is applied at once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub swap_approver: Option<PersonId>,
}

/// Where a rotation lives in VictorOps: its team's slug and the slugs of the escalation policies
/// whose on-call person Clinic overrides for each committed shift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VictorOpsLink {
    pub team: String,
    pub policies: Vec<String>,
    /// What Clinic does when a person takes a shift in VictorOps (an override Clinic did not make).
    pub takes: TakePolicy,
}

/// A person's own take of a committed shift in VictorOps (`victorops.takes`): recorded as an
/// override in Clinic, so fairness counts who served, or undone, with a mail saying why.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TakePolicy {
    #[default]
    Record,
    Undo,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Roster {
    rotations: BTreeMap<RotationName, RotationRules>,
    company_holidays: Vec<CompanyHoliday>,
    company_holiday_by_date: BTreeMap<Date, usize>,
    people: Vec<Person>,
    person_index: BTreeMap<PersonId, usize>,
    notices: NoticeSettings,
}

impl Roster {
    /// Assembles a roster from parts `validate` has already checked.
    pub(super) fn from_checked(
        rotations: BTreeMap<RotationName, RotationRules>,
        company_holidays: Vec<CompanyHoliday>,
        people: Vec<Person>,
        person_index: BTreeMap<PersonId, usize>,
        notices: NoticeSettings,
    ) -> Roster {
        let company_holiday_by_date = company_holidays
            .iter()
            .enumerate()
            .map(|(index, holiday)| (holiday.date, index))
            .collect();
        Roster {
            rotations,
            company_holidays,
            company_holiday_by_date,
            people,
            person_index,
            notices,
        }
    }

    /// Who may post notices, and how long one stands (`[notices]`).
    pub fn notices(&self) -> &NoticeSettings {
        &self.notices
    }

    pub fn rotation(&self, name: &str) -> Option<&RotationRules> {
        self.rotations.get(name)
    }

    /// The rotation names as a message lists them: `"cloud-clinic", "sre-clinic"`.
    pub fn rotation_list(&self) -> String {
        self.rotations
            .keys()
            .map(|name| format!("{:?}", name.to_string()))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Rotation names in alphabetical order.
    pub fn rotation_names(&self) -> impl Iterator<Item = &RotationName> {
        self.rotations.keys()
    }

    /// Everyone, in roster order.
    pub fn people(&self) -> &[Person] {
        &self.people
    }

    pub fn person(&self, id: &PersonId) -> Option<&Person> {
        self.person_index
            .get(id)
            .and_then(|index| self.people.get(*index))
    }

    /// People who list `rotation`, in roster order (managers included; the planner
    /// excludes them with a reason).
    pub fn members<'a>(
        &'a self,
        rotation: &'a RotationName,
    ) -> impl Iterator<Item = &'a Person> + 'a {
        self.people
            .iter()
            .filter(move |person| person.is_member_of(rotation))
    }

    pub fn company_holidays(&self) -> &[CompanyHoliday] {
        &self.company_holidays
    }

    pub fn company_holiday(&self, date: Date) -> Option<&CompanyHoliday> {
        self.company_holiday_by_date
            .get(&date)
            .and_then(|index| self.company_holidays.get(*index))
    }
}
