//! From TOML text to a validated `Roster`: the raw serde shapes that catch typos and
//! wrong types, and the parsers for the values TOML leaves as text (dates, weekdays,
//! clock times). Every semantic check comes after, in `validate`.

use std::collections::BTreeMap;

use jiff::civil::{Date, Time, Weekday};
use serde::Deserialize;

use super::model::Roster;
use super::problems::RosterError;
use super::validate::validate;

impl Roster {
    /// Reads and validates a roster. A TOML syntax or type error is returned as toml
    /// reports it (with line and column); otherwise every semantic problem is collected.
    pub fn parse(text: &str) -> Result<Roster, RosterError> {
        let raw: RawRoster = toml::from_str(text).map_err(RosterError::Syntax)?;
        validate(raw)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRoster {
    #[serde(default)]
    pub(super) rotations: BTreeMap<String, RawRotation>,
    #[serde(default)]
    pub(super) company_holidays: Vec<RawCompanyHoliday>,
    #[serde(default)]
    pub(super) people: Vec<RawPerson>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
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
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawVictorOps {
    pub(super) team: Option<String>,
    pub(super) policies: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHandoff {
    pub(super) weekday: Option<String>,
    pub(super) time: Option<String>,
    pub(super) timezone: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCompanyHoliday {
    pub(super) date: Option<toml::Value>,
    pub(super) name: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
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
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
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
