//! From TOML text to a validated `Roster`: the raw serde shapes that catch typos and
//! wrong types, and the parsers for the values TOML leaves as text (dates, weekdays,
//! clock times). Every semantic check comes after, in `validate`.

use std::collections::BTreeMap;

use jiff::civil::{Date, Time, Weekday};
use serde::Deserialize;

use super::model::Roster;
use super::problems::{RosterError, RosterIssue, RosterProblem};
use super::validate::validate;

impl Roster {
    /// Reads and validates a roster. A TOML syntax or type error is returned as toml
    /// reports it (with line and column); otherwise every problem is collected, unknown keys
    /// (a typo like `previous_dutes`) among them, each with the known key it is closest to.
    pub fn parse(text: &str) -> Result<Roster, RosterError> {
        let mut unknown = Vec::new();
        let deserializer = toml::Deserializer::parse(text).map_err(RosterError::Syntax)?;
        let raw: RawRoster = serde_ignored::deserialize(deserializer, |path| {
            unknown.push(unknown_key(&path));
        })
        .map_err(RosterError::Syntax)?;
        match (validate(raw), unknown.is_empty()) {
            (result, true) => result,
            (Ok(_), false) => Err(RosterError::Invalid(unknown)),
            (Err(RosterError::Invalid(problems)), false) => {
                unknown.extend(problems);
                Err(RosterError::Invalid(unknown))
            }
            (Err(other), false) => Err(other),
        }
    }
}

/// One step of the path serde_ignored reports.
enum Step {
    Key(String),
    Index(usize),
}

fn steps(path: &serde_ignored::Path<'_>) -> Vec<Step> {
    use serde_ignored::Path;
    match path {
        Path::Root => Vec::new(),
        Path::Seq { parent, index } => {
            let mut steps = steps(parent);
            steps.push(Step::Index(*index));
            steps
        }
        Path::Map { parent, key } => {
            let mut steps = steps(parent);
            steps.push(Step::Key(key.clone()));
            steps
        }
        Path::Some { parent }
        | Path::NewtypeStruct { parent }
        | Path::NewtypeVariant { parent } => steps(parent),
    }
}

/// The keys each table of a roster takes, by where the table is; what the raw shapes below accept.
fn known_keys(at: &[Step]) -> &'static [&'static str] {
    use Step::{Index, Key};
    match at {
        [] => &["rotations", "company_holidays", "people", "notices"],
        [Key(n)] if n == "notices" => &["allow", "expiry_hours"],
        [Key(r), Key(_)] if r == "rotations" => &[
            "style",
            "min_working_days",
            "avoid_same_person",
            "avoid_same_team",
            "first_duty_backup",
            "backup_max_offset_hours",
            "notify",
            "handoff",
            "order",
            "victorops",
            "swap_approver",
            "chat",
        ],
        [Key(r), Key(_), Key(c)] if r == "rotations" && c == "chat" => &[
            "slack_channels",
            "matrix_rooms",
            "slack_user_group",
            "topic",
        ],
        [Key(r), Key(_), Key(h)] if r == "rotations" && h == "handoff" => {
            &["weekday", "time", "timezone"]
        }
        [Key(r), Key(_), Key(v)] if r == "rotations" && v == "victorops" => {
            &["team", "policies", "takes"]
        }
        [Key(c), Index(_)] if c == "company_holidays" => &["date", "name"],
        [Key(p), Index(_)] if p == "people" => &[
            "id",
            "name",
            "email",
            "team",
            "timezone",
            "holidays",
            "role",
            "rotations",
            "previous_duties",
            "absences",
            "victorops_user",
            "slack_user",
            "matrix_user",
        ],
        [Key(p), Index(_), Key(a), Index(_)] if p == "people" && a == "absences" => &["from", "to"],
        _ => &[],
    }
}

/// Where a problem is, as the other roster problems say it: `people[0]`, `rotations.sre.handoff`.
fn place(at: &[Step]) -> String {
    let mut text = String::new();
    for step in at {
        match step {
            Step::Key(key) if text.is_empty() => text.push_str(key),
            Step::Key(key) => {
                text.push('.');
                text.push_str(key);
            }
            Step::Index(index) => text.push_str(&format!("[{index}]")),
        }
    }
    if text.is_empty() {
        "the roster".to_owned()
    } else {
        text
    }
}

/// The known key closest to a mistyped one, if it is close enough to be what was meant.
pub(super) fn closest(key: &str, known: &[&'static str]) -> Option<&'static str> {
    let lowered = key.to_ascii_lowercase();
    known
        .iter()
        .map(|candidate| (strsim::damerau_levenshtein(&lowered, candidate), *candidate))
        .filter(|(distance, candidate)| *distance <= (candidate.len() / 3).max(2))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

fn unknown_key(path: &serde_ignored::Path<'_>) -> RosterProblem {
    let mut at = steps(path);
    let key = match at.pop() {
        Some(Step::Key(key)) => key,
        Some(Step::Index(index)) => index.to_string(),
        None => String::new(),
    };
    let suggestion = closest(&key, known_keys(&at));
    RosterProblem {
        at: place(&at),
        issue: RosterIssue::UnknownKey { key, suggestion },
    }
}

#[derive(Deserialize)]
pub(super) struct RawRoster {
    #[serde(default)]
    pub(super) rotations: BTreeMap<String, RawRotation>,
    #[serde(default)]
    pub(super) company_holidays: Vec<RawCompanyHoliday>,
    #[serde(default)]
    pub(super) people: Vec<RawPerson>,
    pub(super) notices: Option<RawNotices>,
}

#[derive(Deserialize, Default)]
pub(super) struct RawNotices {
    #[serde(default)]
    pub(super) allow: Vec<String>,
    pub(super) expiry_hours: Option<i64>,
}

#[derive(Deserialize)]
pub(super) struct RawRotation {
    pub(super) style: Option<String>,
    pub(super) min_working_days: Option<i64>,
    #[serde(default)]
    pub(super) avoid_same_person: bool,
    #[serde(default)]
    pub(super) avoid_same_team: bool,
    #[serde(default)]
    pub(super) first_duty_backup: bool,
    pub(super) backup_max_offset_hours: Option<i64>,
    #[serde(default)]
    pub(super) notify: Vec<String>,
    pub(super) handoff: Option<RawHandoff>,
    pub(super) order: Option<Vec<String>>,
    pub(super) victorops: Option<RawVictorOps>,
    pub(super) chat: Option<RawChat>,
    /// The person who approves the rotation's self-service swaps (`crate::swaps`), when any.
    pub(super) swap_approver: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct RawChat {
    #[serde(default)]
    pub(super) slack_channels: Vec<String>,
    #[serde(default)]
    pub(super) matrix_rooms: Vec<String>,
    pub(super) slack_user_group: Option<String>,
    pub(super) topic: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct RawVictorOps {
    pub(super) team: Option<String>,
    pub(super) policies: Option<Vec<String>>,
    pub(super) takes: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct RawHandoff {
    pub(super) weekday: Option<String>,
    pub(super) time: Option<String>,
    pub(super) timezone: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct RawCompanyHoliday {
    pub(super) date: Option<toml::Value>,
    pub(super) name: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct RawPerson {
    pub(super) id: Option<String>,
    pub(super) name: Option<String>,
    pub(super) email: Option<String>,
    pub(super) team: Option<String>,
    pub(super) timezone: Option<String>,
    pub(super) holidays: Option<String>,
    pub(super) role: Option<String>,
    pub(super) rotations: Option<Vec<String>>,
    pub(super) previous_duties: Option<i64>,
    #[serde(default)]
    pub(super) absences: Vec<RawAbsence>,
    pub(super) victorops_user: Option<String>,
    pub(super) slack_user: Option<String>,
    pub(super) matrix_user: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct RawAbsence {
    pub(super) from: Option<toml::Value>,
    pub(super) to: Option<toml::Value>,
}

/// Dates may be written quoted (`"2027-06-18"`) or as a bare TOML date (`2027-06-18`).
pub(super) fn parse_date(value: &toml::Value) -> Option<Date> {
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

pub(super) fn parse_weekday(text: &str) -> Option<Weekday> {
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
pub(super) fn parse_hour_minute(text: &str) -> Option<Time> {
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

impl crate::reviewed_file::ReviewedFile for Roster {
    const WHAT: &'static str = "roster";
    type Invalid = RosterError;

    fn parse_text(text: &str) -> Result<Self, RosterError> {
        Roster::parse(text)
    }
}
