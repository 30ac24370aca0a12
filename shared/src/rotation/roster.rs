//! The roster: who serves which rotation under which rules, read from TOML.
//! Raw serde structs catch typos and wrong types; `Roster::parse` then turns them into
//! validated domain types and reports every semantic problem at once.

use std::borrow::Borrow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use crate::holidays::{self, CountryCode, CountryCodeError};
pub use crate::mail::{EmailAddress, EmailAddressError};

const IDENTIFIER_MAX_LEN: usize = 64;
/// Used when `first_duty_backup = true` and `backup_max_offset_hours` is left out:
/// three hours keeps a backup within most of the first-timer's working day.
pub const DEFAULT_BACKUP_MAX_OFFSET_HOURS: u8 = 3;
/// UTC offsets run from -12:00 to +14:00, so no two people are further apart than this.
const MAX_OFFSET_DIFFERENCE_HOURS: i64 = 26;

// ---------------------------------------------------------------------------------------
// Validated newtypes

/// Why a person id or rotation name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentifierError {
    #[error("is empty")]
    Empty,
    #[error("{0:?} is longer than {IDENTIFIER_MAX_LEN} characters")]
    TooLong(String),
    #[error("{text:?} contains {found:?}; use only a-z, 0-9, '.', '_' and '-'")]
    BadCharacter { text: String, found: char },
}

fn check_identifier(text: &str) -> Result<(), IdentifierError> {
    if text.is_empty() {
        return Err(IdentifierError::Empty);
    }
    if text.chars().count() > IDENTIFIER_MAX_LEN {
        return Err(IdentifierError::TooLong(text.to_owned()));
    }
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c);
    match text.chars().find(|c| !allowed(*c)) {
        Some(found) => Err(IdentifierError::BadCharacter {
            text: text.to_owned(),
            found,
        }),
        None => Ok(()),
    }
}

macro_rules! identifier_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn parse(text: &str) -> Result<$name, IdentifierError> {
                check_identifier(text).map(|()| $name(text.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = IdentifierError;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                $name::parse(text)
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdentifierError;
            fn try_from(text: String) -> Result<Self, Self::Error> {
                check_identifier(&text).map(|()| $name(text))
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(formatter, "{}({:?})", stringify!($name), self.0)
            }
        }
    };
}

identifier_newtype!(
    /// A person's stable id: lower-case `[a-z0-9._-]+`, at most 64 characters.
    PersonId
);
identifier_newtype!(
    /// A rotation's name, the key of its `[rotations.NAME]` table; same alphabet as ids.
    RotationName
);

/// A team's name as written in the roster (`"data-persistence"`).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TeamName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TeamNameError {
    #[error("team is empty")]
    Empty,
    #[error("team {0:?} is longer than {IDENTIFIER_MAX_LEN} characters")]
    TooLong(String),
    #[error("team {0:?} has leading or trailing spaces or control characters")]
    Untidy(String),
}

impl TeamName {
    pub fn parse(text: &str) -> Result<TeamName, TeamNameError> {
        if text.is_empty() {
            return Err(TeamNameError::Empty);
        }
        if text.chars().count() > IDENTIFIER_MAX_LEN {
            return Err(TeamNameError::TooLong(text.to_owned()));
        }
        if text.trim() != text || text.chars().any(char::is_control) {
            return Err(TeamNameError::Untidy(text.to_owned()));
        }
        Ok(TeamName(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for TeamName {
    type Error = TeamNameError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        TeamName::parse(&text)
    }
}

impl From<TeamName> for String {
    fn from(value: TeamName) -> String {
        value.0
    }
}

impl FromStr for TeamName {
    type Err = TeamNameError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        TeamName::parse(text)
    }
}

impl fmt::Display for TeamName {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

impl fmt::Debug for TeamName {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "TeamName({:?})", self.0)
    }
}

/// An IANA time zone (`"Europe/Madrid"`) from the tz database bundled with jiff.
/// Compared and serialised by name.
#[derive(Clone, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IanaTimeZone {
    name: String,
    zone: TimeZone,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("timezone {0:?} is not an IANA zone")]
pub struct UnknownTimeZone(pub String);

impl IanaTimeZone {
    pub fn parse(name: &str) -> Result<IanaTimeZone, UnknownTimeZone> {
        let zone = TimeZone::get(name).map_err(|_| UnknownTimeZone(name.to_owned()))?;
        // jiff finds names case-insensitively; keep the database's spelling.
        let name = zone.iana_name().unwrap_or(name).to_owned();
        Ok(IanaTimeZone { name, zone })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn zone(&self) -> &TimeZone {
        &self.zone
    }
}

impl PartialEq for IanaTimeZone {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for IanaTimeZone {}

impl TryFrom<String> for IanaTimeZone {
    type Error = UnknownTimeZone;
    fn try_from(name: String) -> Result<Self, Self::Error> {
        IanaTimeZone::parse(&name)
    }
}

impl From<IanaTimeZone> for String {
    fn from(value: IanaTimeZone) -> String {
        value.name
    }
}

impl fmt::Display for IanaTimeZone {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.name)
    }
}

impl fmt::Debug for IanaTimeZone {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "IanaTimeZone({:?})", self.name)
    }
}

// ---------------------------------------------------------------------------------------
// Domain types

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
    /// Whose public holidays apply to this person.
    pub holidays: CountryCode,
    pub role: Role,
    pub rotations: Vec<RotationName>,
    /// Duties served before Clinic kept history; 0 means the next duty is the first.
    pub previous_duties: u32,
    pub absences: Vec<Absence>,
    /// The person's VictorOps user name: who Clinic's scheduled overrides put on call, and who a
    /// VictorOps webhook names as responder. Required for members of a rotation with `victorops`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub victorops_user: Option<String>,
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
}

/// Where a rotation lives in VictorOps: its team's slug and the slugs of the escalation policies
/// whose on-call person Clinic overrides for each committed shift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VictorOpsLink {
    pub team: String,
    pub policies: Vec<String>,
}

/// VictorOps slugs go into URL paths: letters, digits, `-` and `_` only.
fn is_victorops_slug(text: &str) -> bool {
    (1..=128).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[derive(Debug, Clone, PartialEq)]
pub struct Roster {
    rotations: BTreeMap<RotationName, RotationRules>,
    company_holidays: Vec<CompanyHoliday>,
    company_holiday_by_date: BTreeMap<Date, usize>,
    people: Vec<Person>,
    person_index: BTreeMap<PersonId, usize>,
}

impl Roster {
    /// Reads and validates a roster. A TOML syntax or type error is returned as toml
    /// reports it (with line and column); otherwise every semantic problem is collected.
    pub fn parse(text: &str) -> Result<Roster, RosterError> {
        let raw: RawRoster = toml::from_str(text).map_err(RosterError::Syntax)?;
        validate(raw)
    }

    pub fn rotation(&self, name: &str) -> Option<&RotationRules> {
        self.rotations.get(name)
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

// ---------------------------------------------------------------------------------------
// Errors

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
    BadCountry(CountryCodeError),
    #[error("there is no public holiday data for {country}; supported: {supported}")]
    NoHolidayData {
        country: CountryCode,
        supported: String,
    },
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
    #[error(
        "rotations names {0:?}, which Clinic keeps in step with VictorOps, but victorops_user is missing"
    )]
    NoVictorOpsUser(String),
}

// ---------------------------------------------------------------------------------------
// Raw shapes: only what TOML and serde check, every semantic check comes after.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoster {
    #[serde(default)]
    rotations: BTreeMap<String, RawRotation>,
    #[serde(default)]
    company_holidays: Vec<RawCompanyHoliday>,
    #[serde(default)]
    people: Vec<RawPerson>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRotation {
    style: Option<String>,
    min_working_days: Option<i64>,
    #[serde(default)]
    avoid_same_person: bool,
    #[serde(default)]
    avoid_same_team: bool,
    #[serde(default)]
    first_duty_backup: bool,
    backup_max_offset_hours: Option<i64>,
    #[serde(default)]
    notify: Vec<String>,
    handoff: Option<RawHandoff>,
    order: Option<Vec<String>>,
    victorops: Option<RawVictorOps>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVictorOps {
    team: Option<String>,
    policies: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHandoff {
    weekday: Option<String>,
    time: Option<String>,
    timezone: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCompanyHoliday {
    date: Option<toml::Value>,
    name: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPerson {
    id: Option<String>,
    name: Option<String>,
    email: Option<String>,
    team: Option<String>,
    timezone: Option<String>,
    holidays: Option<String>,
    role: Option<String>,
    rotations: Option<Vec<String>>,
    previous_duties: Option<i64>,
    #[serde(default)]
    absences: Vec<RawAbsence>,
    victorops_user: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAbsence {
    from: Option<toml::Value>,
    to: Option<toml::Value>,
}

// ---------------------------------------------------------------------------------------
// Validation

struct Problems(Vec<RosterProblem>);

impl Problems {
    fn add(&mut self, at: &str, issue: RosterIssue) {
        self.0.push(RosterProblem {
            at: at.to_owned(),
            issue,
        });
    }

    /// Keeps the value when valid, records the problem otherwise.
    fn check<T, E>(
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

    fn require<T>(&mut self, at: &str, field: &'static str, value: Option<T>) -> Option<T> {
        if value.is_none() {
            self.add(at, RosterIssue::Missing(field));
        }
        value
    }
}

/// Dates may be written quoted (`"2027-06-18"`) or as a bare TOML date (`2027-06-18`).
fn parse_date(value: &toml::Value) -> Option<Date> {
    match value {
        toml::Value::String(text) => text.parse().ok(),
        toml::Value::Datetime(datetime) => match (datetime.date, datetime.time, datetime.offset) {
            (Some(day), None, None) => Date::new(
                i16::try_from(day.year).ok()?,
                i8::try_from(day.month).ok()?,
                i8::try_from(day.day).ok()?,
            )
            .ok(),
            _ => None,
        },
        _ => None,
    }
}

fn check_date(
    problems: &mut Problems,
    at: &str,
    field: &'static str,
    value: Option<&toml::Value>,
) -> Option<Date> {
    let value = problems.require(at, field, value)?;
    let date = parse_date(value);
    if date.is_none() {
        let text = match value {
            toml::Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        problems.add(at, RosterIssue::BadDate { field, text });
    }
    date
}

fn parse_weekday(text: &str) -> Option<Weekday> {
    let weekday = match text.to_ascii_lowercase().as_str() {
        "monday" => Weekday::Monday,
        "tuesday" => Weekday::Tuesday,
        "wednesday" => Weekday::Wednesday,
        "thursday" => Weekday::Thursday,
        "friday" => Weekday::Friday,
        "saturday" => Weekday::Saturday,
        "sunday" => Weekday::Sunday,
        _ => return None,
    };
    Some(weekday)
}

/// Strictly `HH:MM`, 24-hour: `"9:00"` or `"16:00:00"` are refused so the roster reads
/// the same to everyone.
fn parse_hour_minute(text: &str) -> Option<Time> {
    let bytes = text.as_bytes();
    if bytes.len() != 5 || bytes[2] != b':' {
        return None;
    }
    let (hour, minute) = (text.get(0..2)?, text.get(3..5)?);
    // `i8::from_str` would take "+1"; only plain digits are a clock time.
    if !(hour.bytes().chain(minute.bytes())).all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    Time::new(hour.parse().ok()?, minute.parse().ok()?, 0, 0).ok()
}

fn supported_countries_list() -> String {
    holidays::supported_countries()
        .map(|country| country.to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A rotation's checked fields, with `order` still as written: its entries can only be
/// judged once every person has been read.
struct RotationDraft {
    name: Option<RotationName>,
    style: Option<StyleDraft>,
    min_working_days: Option<u8>,
    avoid_same_person: bool,
    avoid_same_team: bool,
    first_duty_backup: bool,
    backup_max_offset_hours: Option<u8>,
    notify: Vec<EmailAddress>,
    victorops: Option<VictorOpsLink>,
}

enum StyleDraft {
    Fair,
    Sequential {
        handoff: Option<Handoff>,
        order: Vec<String>,
    },
}

fn draft_rotation(problems: &mut Problems, key: &str, raw: RawRotation) -> RotationDraft {
    let at = format!("rotations.{key}");
    let name = problems.check(&at, RotationName::parse(key), RosterIssue::BadRotationName);
    let style = match problems.require(&at, "style", raw.style.as_deref()) {
        Some("fair") => {
            if raw.handoff.is_some() {
                problems.add(&at, RosterIssue::NotForFairRotations("handoff"));
            }
            if raw.order.is_some() {
                problems.add(&at, RosterIssue::NotForFairRotations("order"));
            }
            Some(StyleDraft::Fair)
        }
        Some("sequential") => {
            let handoff = problems
                .require(&at, "handoff", raw.handoff)
                .and_then(|handoff| check_handoff(problems, &format!("{at}.handoff"), handoff));
            let order = problems
                .require(&at, "order", raw.order)
                .unwrap_or_default();
            Some(StyleDraft::Sequential { handoff, order })
        }
        Some(other) => {
            problems.add(&at, RosterIssue::UnknownStyle(other.to_owned()));
            None
        }
        None => None,
    };
    let min_working_days = problems
        .require(&at, "min_working_days", raw.min_working_days)
        .and_then(|days| {
            let in_range = u8::try_from(days).ok().filter(|days| *days <= 5);
            if in_range.is_none() {
                problems.add(&at, RosterIssue::MinWorkingDaysOutOfRange(days));
            }
            in_range
        });
    let backup_max_offset_hours = match raw.backup_max_offset_hours {
        Some(hours) if (0..=MAX_OFFSET_DIFFERENCE_HOURS).contains(&hours) => {
            u8::try_from(hours).ok()
        }
        Some(hours) => {
            problems.add(&at, RosterIssue::BackupOffsetOutOfRange(hours));
            None
        }
        None if raw.first_duty_backup => Some(DEFAULT_BACKUP_MAX_OFFSET_HOURS),
        None => Some(0),
    };
    let notify = raw
        .notify
        .iter()
        .filter_map(|address| {
            problems.check(
                &at,
                EmailAddress::parse(address),
                RosterIssue::BadNotifyAddress,
            )
        })
        .collect();
    let victorops = raw
        .victorops
        .and_then(|link| check_victorops(problems, &at, link));
    RotationDraft {
        name,
        style,
        min_working_days,
        avoid_same_person: raw.avoid_same_person,
        avoid_same_team: raw.avoid_same_team,
        first_duty_backup: raw.first_duty_backup,
        backup_max_offset_hours,
        notify,
        victorops,
    }
}

fn check_victorops(problems: &mut Problems, at: &str, raw: RawVictorOps) -> Option<VictorOpsLink> {
    let team = problems
        .require(at, "victorops.team", raw.team)
        .filter(|team| {
            let valid = is_victorops_slug(team);
            if !valid {
                problems.add(
                    at,
                    RosterIssue::BadVictorOpsSlug {
                        field: "team",
                        text: team.clone(),
                    },
                );
            }
            valid
        });
    let written = problems.require(at, "victorops.policies", raw.policies)?;
    if written.is_empty() {
        problems.add(at, RosterIssue::NoVictorOpsPolicies);
    }
    let mut policies: Vec<String> = Vec::new();
    for policy in written {
        if !is_victorops_slug(&policy) {
            problems.add(
                at,
                RosterIssue::BadVictorOpsSlug {
                    field: "policies",
                    text: policy,
                },
            );
        } else if policies.contains(&policy) {
            problems.add(at, RosterIssue::VictorOpsPolicyRepeated(policy));
        } else {
            policies.push(policy);
        }
    }
    Some(VictorOpsLink {
        team: team?,
        policies,
    })
}

fn check_handoff(problems: &mut Problems, at: &str, raw: RawHandoff) -> Option<Handoff> {
    let weekday = problems
        .require(at, "weekday", raw.weekday)
        .and_then(|text| {
            let weekday = parse_weekday(&text);
            if weekday.is_none() {
                problems.add(at, RosterIssue::BadWeekday(text));
            }
            weekday
        });
    let time = problems.require(at, "time", raw.time).and_then(|text| {
        let time = parse_hour_minute(&text);
        if time.is_none() {
            problems.add(at, RosterIssue::BadTime(text));
        }
        time
    });
    let timezone = problems
        .require(at, "timezone", raw.timezone)
        .and_then(|name| problems.check(at, IanaTimeZone::parse(&name), RosterIssue::BadTimeZone));
    Some(Handoff {
        weekday: weekday?,
        time: time?,
        timezone: timezone?,
    })
}

fn check_company_holiday(
    problems: &mut Problems,
    index: usize,
    raw: RawCompanyHoliday,
) -> Option<CompanyHoliday> {
    let at = format!("company_holidays[{index}]");
    let date = check_date(problems, &at, "date", raw.date.as_ref());
    let name = problems.require(&at, "name", raw.name);
    if name.as_deref().is_some_and(|name| name.trim().is_empty()) {
        problems.add(&at, RosterIssue::Empty("name"));
    }
    Some(CompanyHoliday {
        date: date?,
        name: name?,
    })
}

fn check_person(
    problems: &mut Problems,
    at: &str,
    raw: RawPerson,
    known_rotations: &BTreeSet<String>,
) -> Option<Person> {
    let id = problems
        .require(at, "id", raw.id.as_deref())
        .and_then(|id| problems.check(at, PersonId::parse(id), RosterIssue::BadPersonId));
    let name = problems.require(at, "name", raw.name);
    if name.as_deref().is_some_and(|name| name.trim().is_empty()) {
        problems.add(at, RosterIssue::Empty("name"));
    }
    let email = problems
        .require(at, "email", raw.email)
        .and_then(|email| problems.check(at, EmailAddress::parse(&email), RosterIssue::BadEmail));
    let team = problems
        .require(at, "team", raw.team)
        .and_then(|team| problems.check(at, TeamName::parse(&team), RosterIssue::BadTeam));
    let timezone = problems
        .require(at, "timezone", raw.timezone)
        .and_then(|zone| problems.check(at, IanaTimeZone::parse(&zone), RosterIssue::BadTimeZone));
    let country = problems
        .require(at, "holidays", raw.holidays)
        .and_then(|code| problems.check(at, CountryCode::parse(&code), RosterIssue::BadCountry))
        .and_then(|country| {
            if holidays::is_supported(&country) {
                return Some(country);
            }
            let supported = supported_countries_list();
            problems.add(at, RosterIssue::NoHolidayData { country, supported });
            None
        });
    let role = problems
        .require(at, "role", raw.role)
        .and_then(|role| match role.as_str() {
            "engineer" => Some(Role::Engineer),
            "manager" => Some(Role::Manager),
            "director" => Some(Role::Director),
            _ => {
                problems.add(at, RosterIssue::UnknownRole(role));
                None
            }
        });
    let mut rotations = Vec::new();
    let mut seen = BTreeSet::new();
    for rotation in problems
        .require(at, "rotations", raw.rotations)
        .unwrap_or_default()
    {
        if !seen.insert(rotation.clone()) {
            problems.add(at, RosterIssue::RotationRepeated(rotation));
        } else if !known_rotations.contains(&rotation) {
            problems.add(at, RosterIssue::UnknownRotation(rotation));
        } else if let Ok(name) = RotationName::parse(&rotation) {
            rotations.push(name);
        }
    }
    let previous_duties = match raw.previous_duties {
        None => Some(0),
        Some(count) if count < 0 => {
            problems.add(at, RosterIssue::NegativePreviousDuties(count));
            None
        }
        Some(count) => {
            let fits = u32::try_from(count).ok();
            if fits.is_none() {
                problems.add(at, RosterIssue::TooManyPreviousDuties(count));
            }
            fits
        }
    };
    let mut absences = Vec::new();
    for (index, absence) in raw.absences.iter().enumerate() {
        let from = check_date(problems, at, "absence from", absence.from.as_ref());
        let to = check_date(problems, at, "absence to", absence.to.as_ref());
        if let (Some(from), Some(to)) = (from, to) {
            match Absence::new(from, to) {
                Ok(absence) => absences.push(absence),
                Err(error) => {
                    problems.add(at, RosterIssue::AbsenceEndsBeforeStart { index, error })
                }
            }
        }
    }
    if raw
        .victorops_user
        .as_deref()
        .is_some_and(|user| user.trim().is_empty())
    {
        problems.add(at, RosterIssue::Empty("victorops_user"));
    }
    Some(Person {
        id: id?,
        name: name?,
        email: email?,
        team: team?,
        timezone: timezone?,
        holidays: country?,
        role: role?,
        rotations,
        previous_duties: previous_duties?,
        absences,
        victorops_user: raw.victorops_user,
    })
}

fn person_location(index: usize, id: Option<&str>) -> String {
    match id {
        Some(id) => format!("people[{index}] (id {id:?})"),
        None => format!("people[{index}]"),
    }
}

fn check_order(
    problems: &mut Problems,
    rotation: &str,
    order: &[String],
    rotations_by_person: &BTreeMap<String, Vec<String>>,
) -> Vec<PersonId> {
    let at = format!("rotations.{rotation}");
    if order.is_empty() {
        problems.add(&at, RosterIssue::EmptyOrder);
    }
    let mut checked = Vec::new();
    let mut seen = BTreeSet::new();
    for entry in order {
        let Some(id) = problems.check(&at, PersonId::parse(entry), RosterIssue::BadOrderEntry)
        else {
            continue;
        };
        match rotations_by_person.get(entry.as_str()) {
            None => problems.add(&at, RosterIssue::OrderNamesUnknownPerson(entry.clone())),
            Some(rotations) if !rotations.iter().any(|name| name == rotation) => {
                problems.add(&at, RosterIssue::OrderNamesNonMember(id.clone()));
            }
            Some(_) if !seen.insert(id.clone()) => {
                problems.add(&at, RosterIssue::OrderRepeats(id.clone()))
            }
            Some(_) => checked.push(id),
        }
    }
    for (person, rotations) in rotations_by_person {
        let listed = order.iter().any(|entry| entry == person);
        if !listed
            && rotations.iter().any(|name| name == rotation)
            && let Ok(id) = PersonId::parse(person)
        {
            problems.add(&at, RosterIssue::MemberMissingFromOrder(id));
        }
    }
    checked
}

fn validate(raw: RawRoster) -> Result<Roster, RosterError> {
    // Problems are reported in file order: rotations, company holidays, people.
    let mut problems = Problems(Vec::new());
    if raw.rotations.is_empty() {
        problems.add("rotations", RosterIssue::NoRotations);
    }
    let known_rotations: BTreeSet<String> = raw.rotations.keys().cloned().collect();
    let kept_in_step_with_victorops: BTreeSet<String> = raw
        .rotations
        .iter()
        .filter(|(_, rotation)| rotation.victorops.is_some())
        .map(|(name, _)| name.clone())
        .collect();

    // Who lists which rotation, by id as written, so `order` can be checked even when
    // the person has problems of their own.
    let mut rotations_by_person: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for person in &raw.people {
        if let Some(id) = &person.id {
            rotations_by_person
                .entry(id.clone())
                .or_insert_with(|| person.rotations.clone().unwrap_or_default());
        }
    }

    let mut rotations = BTreeMap::new();
    for (key, raw_rotation) in raw.rotations {
        let draft = draft_rotation(&mut problems, &key, raw_rotation);
        let style = match draft.style {
            Some(StyleDraft::Fair) => Some(Style::Fair),
            Some(StyleDraft::Sequential { handoff, order }) => {
                let order = check_order(&mut problems, &key, &order, &rotations_by_person);
                handoff.map(|handoff| Style::Sequential { handoff, order })
            }
            None => None,
        };
        if let (Some(name), Some(style), Some(min_working_days), Some(backup_max_offset_hours)) = (
            draft.name,
            style,
            draft.min_working_days,
            draft.backup_max_offset_hours,
        ) {
            let rules = RotationRules {
                name: name.clone(),
                style,
                min_working_days,
                avoid_same_person: draft.avoid_same_person,
                avoid_same_team: draft.avoid_same_team,
                first_duty_backup: draft.first_duty_backup,
                backup_max_offset_hours,
                notify: draft.notify,
                victorops: draft.victorops,
            };
            rotations.insert(name, rules);
        }
    }

    let mut company_holidays = Vec::new();
    for (index, holiday) in raw.company_holidays.into_iter().enumerate() {
        if let Some(holiday) = check_company_holiday(&mut problems, index, holiday) {
            company_holidays.push(holiday);
        }
    }

    let mut people: Vec<Person> = Vec::new();
    let mut person_index: BTreeMap<PersonId, usize> = BTreeMap::new();
    let mut first_index_of_id: BTreeMap<String, usize> = BTreeMap::new();
    for (index, raw_person) in raw.people.into_iter().enumerate() {
        let at = person_location(index, raw_person.id.as_deref());
        if let Some(id) = raw_person.id.as_deref() {
            match first_index_of_id.get(id) {
                Some(first) => {
                    if let Ok(id) = PersonId::parse(id) {
                        problems.add(&at, RosterIssue::DuplicatePersonId(id, *first));
                    }
                }
                None => {
                    first_index_of_id.insert(id.to_owned(), index);
                }
            }
        }
        // Clinic overrides VictorOps with this person's user name: without one it could not.
        if raw_person.victorops_user.is_none() {
            for rotation in raw_person.rotations.iter().flatten() {
                if kept_in_step_with_victorops.contains(rotation) {
                    problems.add(&at, RosterIssue::NoVictorOpsUser(rotation.clone()));
                }
            }
        }
        if let Some(person) = check_person(&mut problems, &at, raw_person, &known_rotations) {
            person_index
                .entry(person.id.clone())
                .or_insert(people.len());
            people.push(person);
        }
    }

    if !problems.0.is_empty() {
        return Err(RosterError::Invalid(problems.0));
    }
    let company_holiday_by_date = company_holidays
        .iter()
        .enumerate()
        .map(|(index, holiday)| (holiday.date, index))
        .collect();
    Ok(Roster {
        rotations,
        company_holidays,
        company_holiday_by_date,
        people,
        person_index,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SMALL_ROSTER: &str = r#"
[rotations.clinic]
style = "fair"
min_working_days = 3
avoid_same_person = true
avoid_same_team = true
first_duty_backup = true
notify = ["clinic@example.org"]

[rotations.cloud]
style = "sequential"
min_working_days = 2
handoff = { weekday = "wednesday", time = "16:00", timezone = "Europe/Madrid" }
order = ["bea", "ana"]

[[company_holidays]]
date = "2027-12-27"
name = "Winter break"

[[company_holidays]]
date = 2027-06-18
name = "Company day off"

[[people]]
id = "ana"
name = "Ana"
email = "ana@example.org"
team = "traffic"
timezone = "Europe/Rome"
holidays = "IT"
role = "engineer"
rotations = ["clinic", "cloud"]
previous_duties = 2
absences = [{ from = "2027-02-01", to = "2027-02-05" }]
victorops_user = "ana.vo"

[[people]]
id = "bea"
name = "Bea"
email = "bea@example.org"
team = "serviceops"
timezone = "america/chicago"
holidays = "US"
role = "manager"
rotations = ["clinic", "cloud"]
absences = []
"#;

    fn parsed(text: &str) -> Roster {
        match Roster::parse(text) {
            Ok(roster) => roster,
            Err(error) => panic!("{error}"),
        }
    }

    fn problems_of(text: &str) -> Vec<RosterProblem> {
        match Roster::parse(text) {
            Err(RosterError::Invalid(problems)) => problems,
            other => panic!("expected an invalid roster, got {other:?}"),
        }
    }

    #[test]
    fn a_small_roster_parses_into_domain_types() {
        let roster = parsed(SMALL_ROSTER);
        let clinic = roster.rotation("clinic").expect("clinic");
        assert_eq!(clinic.style, Style::Fair);
        assert_eq!(
            clinic.backup_max_offset_hours,
            DEFAULT_BACKUP_MAX_OFFSET_HOURS
        );
        assert_eq!(clinic.notify[0].as_str(), "clinic@example.org");
        let cloud = roster.rotation("cloud").expect("cloud");
        let Style::Sequential { handoff, order } = &cloud.style else {
            panic!("cloud should be sequential");
        };
        assert_eq!(handoff.weekday, Weekday::Wednesday);
        assert_eq!(handoff.time, Time::constant(16, 0, 0, 0));
        assert_eq!(order.len(), 2);
        let ana = roster
            .person(&PersonId::parse("ana").expect("id"))
            .expect("ana");
        assert_eq!(ana.victorops_user.as_deref(), Some("ana.vo"));
        assert_eq!(ana.absences.len(), 1);
        let bea = &roster.people()[1];
        assert_eq!(bea.timezone.name(), "America/Chicago");
        assert_eq!(bea.previous_duties, 0);
        assert_eq!(bea.role, Role::Manager);
        assert_eq!(roster.company_holidays().len(), 2);
        assert!(
            roster
                .company_holiday(jiff::civil::date(2027, 6, 18))
                .is_some()
        );
        let names: Vec<&str> = roster.rotation_names().map(RotationName::as_str).collect();
        assert_eq!(names, ["clinic", "cloud"]);
        let clinic_name = RotationName::parse("clinic").expect("name");
        assert_eq!(roster.members(&clinic_name).count(), 2);
    }

    #[test]
    fn rules_and_people_serialise_like_the_toml_they_came_from() {
        let roster = parsed(SMALL_ROSTER);
        let cloud = serde_json::to_value(roster.rotation("cloud")).expect("json");
        assert_eq!(cloud["style"], "sequential");
        assert_eq!(cloud["handoff"]["time"], "16:00");
        assert_eq!(cloud["handoff"]["weekday"], "wednesday");
        assert_eq!(cloud["handoff"]["timezone"], "Europe/Madrid");
        let ana = serde_json::to_value(&roster.people()[0]).expect("json");
        assert_eq!(ana["holidays"], "IT");
        assert_eq!(ana["absences"][0]["from"], "2027-02-01");
        assert_eq!(ana["victorops_user"], "ana.vo");
        let bea = serde_json::to_value(&roster.people()[1]).expect("json");
        assert!(bea.get("victorops_user").is_none());
    }

    #[test]
    fn a_rotation_kept_in_step_with_victorops_names_its_team_and_policies() {
        let linked = SMALL_ROSTER
            .replace(
                "notify = [\"clinic@example.org\"]",
                "notify = [\"clinic@example.org\"]\nvictorops = { team = \"team-Xq2hV7bRk3LmN8pA\", policies = [\"pol-3hV8nL2pQ6sD9wKe\"] }",
            )
            .replace("absences = []\n", "absences = []\nvictorops_user = \"bea.vo\"\n");
        let roster = parsed(&linked);
        let link = roster.rotation("clinic").and_then(|r| r.victorops.clone());
        assert_eq!(
            link,
            Some(VictorOpsLink {
                team: "team-Xq2hV7bRk3LmN8pA".into(),
                policies: vec!["pol-3hV8nL2pQ6sD9wKe".into()],
            })
        );
        assert!(roster.rotation("cloud").unwrap().victorops.is_none());
        // A rotation without the link serialises as before, so the table's copy stays current.
        let cloud = serde_json::to_value(roster.rotation("cloud")).expect("json");
        assert!(cloud.get("victorops").is_none());
    }

    #[test]
    fn a_victorops_link_with_bad_slugs_or_members_without_a_user_name_is_refused() {
        let text = SMALL_ROSTER.replace(
            "notify = [\"clinic@example.org\"]",
            "notify = [\"clinic@example.org\"]\nvictorops = { team = \"team/../x\", policies = [\"pol-a\", \"pol-a\", \"p q\"] }",
        );
        let all: Vec<String> = problems_of(&text).iter().map(ToString::to_string).collect();
        let all = all.join("\n");
        assert!(
            all.contains(r#"rotations.clinic: victorops.team "team/../x" is not a VictorOps slug"#),
            "{all}"
        );
        assert!(
            all.contains(r#"victorops.policies names "pol-a" more than once"#),
            "{all}"
        );
        assert!(
            all.contains(r#"victorops.policies "p q" is not a VictorOps slug"#),
            "{all}"
        );
        // Bea has no victorops_user: Clinic could not put her on call.
        assert!(
            all.contains(r#"people[1] (id "bea"): rotations names "clinic", which Clinic keeps in step with VictorOps, but victorops_user is missing"#),
            "{all}"
        );
        assert!(!all.contains(r#"id "ana"): rotations names"#), "{all}");

        let empty = SMALL_ROSTER.replace(
            "notify = [\"clinic@example.org\"]",
            "notify = [\"clinic@example.org\"]\nvictorops = { policies = [] }",
        );
        let all: Vec<String> = problems_of(&empty)
            .iter()
            .map(ToString::to_string)
            .collect();
        let all = all.join("\n");
        assert!(all.contains("`victorops.team` is missing"), "{all}");
        assert!(all.contains("victorops.policies is empty"), "{all}");
        let unknown = SMALL_ROSTER.replace(
            "notify = [\"clinic@example.org\"]",
            "notify = [\"clinic@example.org\"]\nvictorops = { team = \"t\", policies = [\"p\"], rotation = \"x\" }",
        );
        let error = Roster::parse(&unknown).expect_err("unknown key");
        assert!(error.to_string().contains("rotation"), "{error}");
    }

    #[test]
    fn a_syntax_error_keeps_the_line_and_column_from_toml() {
        let error = Roster::parse("[rotations.clinic\nstyle = 1").expect_err("broken");
        assert!(matches!(error, RosterError::Syntax(_)));
        assert!(error.to_string().contains("line 1"), "{error}");
    }

    #[test]
    fn a_misspelt_field_is_caught() {
        let text = SMALL_ROSTER.replace("avoid_same_team", "avoid_same_teams");
        let error = Roster::parse(&text).expect_err("typo");
        assert!(error.to_string().contains("avoid_same_teams"), "{error}");
    }

    #[test]
    fn several_problems_are_reported_at_once() {
        let text = SMALL_ROSTER
            .replace("\"Europe/Rome\"", "\"Mars/Base\"")
            .replace("ana@example.org", "ana-at-example.org")
            .replace("holidays = \"US\"", "holidays = \"KE\"")
            .replace("id = \"bea\"", "id = \"ana\"")
            .replace("to = \"2027-02-05\"", "to = \"2027-01-05\"")
            .replace(
                "rotations = [\"clinic\", \"cloud\"]\nprevious_duties = 2",
                "rotations = [\"clinic\", \"cloud\", \"clinc\"]\nprevious_duties = 2",
            )
            .replace("[\"clinic@example.org\"]", "[\"clinic@\"]");
        let problems = problems_of(&text);
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        let all = text.join("\n");
        assert!(
            all.contains(r#"people[0] (id "ana"): timezone "Mars/Base" is not an IANA zone"#),
            "{all}"
        );
        assert!(all.contains("ana-at-example.org"), "{all}");
        assert!(
            all.contains("no public holiday data for KE; supported: AU BR"),
            "{all}"
        );
        assert!(all.contains("is already used by people[0]"), "{all}");
        assert!(all.contains("ends before it starts"), "{all}");
        assert!(all.contains(r#"rotations names "clinc""#), "{all}");
        assert!(all.contains("rotations.clinic: notify"), "{all}");
        assert!(
            all.contains(r#"rotations.cloud: order names "bea", who is not in [[people]]"#),
            "{all}"
        );
        let error = RosterError::Invalid(problems);
        assert!(
            error
                .to_string()
                .starts_with("the roster has 8 problems:\n  - "),
            "{error}"
        );
    }

    #[test]
    fn a_roster_without_rotations_is_refused() {
        let problems = problems_of("people = []");
        assert_eq!(problems[0].issue, RosterIssue::NoRotations);
    }

    #[test]
    fn sequential_rotations_need_a_handoff_and_an_order_of_members() {
        let text = r#"
[rotations.a]
style = "sequential"
min_working_days = 3

[rotations.b]
style = "sequential"
min_working_days = 3
handoff = { weekday = "wed", time = "4pm", timezone = "Europe/Madrid" }
order = ["x", "ghost", "y"]

[rotations.c]
style = "fair"
min_working_days = 9
order = ["x"]

[[people]]
id = "x"
name = "X"
email = "x@example.org"
team = "t"
timezone = "UTC"
holidays = "GB"
role = "engineer"
rotations = ["b", "c"]

[[people]]
id = "y"
name = "Y"
email = "y@example.org"
team = "t"
timezone = "UTC"
holidays = "GB"
role = "engineer"
rotations = ["c"]

[[people]]
id = "z"
name = "Z"
email = "z@example.org"
team = "t"
timezone = "UTC"
holidays = "GB"
role = "engineer"
rotations = ["b"]
"#;
        let issues: Vec<RosterIssue> = problems_of(text).into_iter().map(|p| p.issue).collect();
        assert!(issues.contains(&RosterIssue::Missing("handoff")));
        assert!(issues.contains(&RosterIssue::Missing("order")));
        assert!(issues.contains(&RosterIssue::BadWeekday("wed".into())));
        assert!(issues.contains(&RosterIssue::BadTime("4pm".into())));
        assert!(issues.contains(&RosterIssue::OrderNamesUnknownPerson("ghost".into())));
        let y = PersonId::parse("y").expect("id");
        let z = PersonId::parse("z").expect("id");
        assert!(issues.contains(&RosterIssue::OrderNamesNonMember(y)));
        assert!(issues.contains(&RosterIssue::MemberMissingFromOrder(z)));
        assert!(issues.contains(&RosterIssue::NotForFairRotations("order")));
        assert!(issues.contains(&RosterIssue::MinWorkingDaysOutOfRange(9)));
    }

    #[test]
    fn a_missing_backup_offset_defaults_to_three_hours_only_with_first_duty_backup() {
        let roster = parsed(SMALL_ROSTER);
        assert_eq!(
            roster.rotation("cloud").map(|r| r.backup_max_offset_hours),
            Some(0)
        );
        assert_eq!(
            roster.rotation("clinic").map(|r| r.backup_max_offset_hours),
            Some(3)
        );
    }

    #[test]
    fn person_ids_are_lower_case_and_plain() {
        assert!(PersonId::parse("b.ruiz_2-x").is_ok());
        assert_eq!(PersonId::parse(""), Err(IdentifierError::Empty));
        assert!(matches!(
            PersonId::parse("Bruiz"),
            Err(IdentifierError::BadCharacter { found: 'B', .. })
        ));
        assert!(PersonId::parse("a b").is_err());
        assert!(PersonId::parse(&"x".repeat(65)).is_err());
    }

    #[test]
    fn email_addresses_need_one_at_and_a_dotted_domain() {
        assert!(EmailAddress::parse("a.b+c@example.org").is_ok());
        assert!(matches!(
            EmailAddress::parse("a@b@example.org"),
            Err(EmailAddressError::AtSigns(_))
        ));
        assert!(matches!(
            EmailAddress::parse("@example.org"),
            Err(EmailAddressError::EmptyLocalPart(_))
        ));
        assert!(matches!(
            EmailAddress::parse("a@localhost"),
            Err(EmailAddressError::BadDomain(_))
        ));
        assert!(matches!(
            EmailAddress::parse("a@.org"),
            Err(EmailAddressError::BadDomain(_))
        ));
        assert!(matches!(
            EmailAddress::parse("a b@example.org"),
            Err(EmailAddressError::Whitespace(_))
        ));
        assert!(matches!(
            EmailAddress::parse("a\u{7}@example.org"),
            Err(EmailAddressError::Whitespace(_))
        ));
        let long = format!("{}@example.org", "a".repeat(250));
        assert!(matches!(
            EmailAddress::parse(&long),
            Err(EmailAddressError::TooLong(_))
        ));
        assert_eq!(EmailAddress::parse(""), Err(EmailAddressError::Empty));
    }

    #[test]
    fn handoff_times_are_strict_twenty_four_hour_clock() {
        assert_eq!(
            parse_hour_minute("16:00"),
            Some(Time::constant(16, 0, 0, 0))
        );
        assert_eq!(
            parse_hour_minute("00:59"),
            Some(Time::constant(0, 59, 0, 0))
        );
        for bad in [
            "24:00", "9:00", "16:00:00", "+1:00", "ab:cd", "12:60", "1٣:00",
        ] {
            assert_eq!(parse_hour_minute(bad), None, "{bad}");
        }
    }

    #[test]
    fn validated_newtypes_refuse_bad_json() {
        assert!(serde_json::from_str::<PersonId>("\"Bad Id\"").is_err());
        assert!(serde_json::from_str::<EmailAddress>("\"nope\"").is_err());
        assert!(serde_json::from_str::<IanaTimeZone>("\"Mars/Base\"").is_err());
        let zone: IanaTimeZone = serde_json::from_str("\"Europe/Rome\"").expect("zone");
        assert_eq!(zone.name(), "Europe/Rome");
    }

    proptest! {
        #[test]
        fn parsing_arbitrary_text_never_panics(text in "\\PC*") {
            let _ = Roster::parse(&text);
        }

        #[test]
        fn parsing_a_mangled_roster_never_panics(cut in 0usize..2000, insert in "\\PC{0,12}") {
            let mut text = SMALL_ROSTER.to_owned();
            let mut at = cut.min(text.len());
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            text.insert_str(at, &insert);
            let _ = Roster::parse(&text);
        }
    }
}
