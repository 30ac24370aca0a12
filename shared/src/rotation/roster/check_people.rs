//! Checks each `[[people]]` entry and `[[company_holidays]]` day: the fields a `Person`
//! and a `CompanyHoliday` are built from, and the dates both are written in.

use std::collections::BTreeSet;

use jiff::civil::Date;

use super::chat::check_identity;
use super::ids::{IanaTimeZone, PersonId, RotationName, TeamName};
use super::model::{Absence, CompanyHoliday, Person, Role};
use super::parse::{RawCompanyHoliday, RawPerson, parse_date};
use super::problems::{Problems, RosterIssue};
use super::{EmailAddress, HolidayRegion};

pub(super) fn check_company_holiday(
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

pub(super) fn check_person(
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
    let region = problems
        .require(at, "holidays", raw.holidays)
        .and_then(|code| {
            problems.check(
                at,
                HolidayRegion::parse(&code),
                RosterIssue::UnknownHolidayRegion,
            )
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
    let chat = check_identity(
        problems,
        at,
        raw.slack_user.as_deref(),
        raw.matrix_user.as_deref(),
    );
    Some(Person {
        id: id?,
        name: name?,
        email: email?,
        team: team?,
        timezone: timezone?,
        holidays: region?,
        role: role?,
        rotations,
        previous_duties: previous_duties?,
        absences,
        victorops_user: raw.victorops_user,
        chat,
    })
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
