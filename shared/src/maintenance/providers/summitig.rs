//! SummitIG: an HTML notice whose one table has a header cell and a value per row: Company, Event (the
//! ticket), Description, Status, Circuits (comma-separated) and "Start Time (EST)" / "End Time (EST)",
//! the zone in the label and the time as "2/21/2025 10:00 PM".

use crate::maintenance::Field;
use crate::maintenance::datetime::Reading;
use crate::maintenance::model::{Circuit, Draft, Impact, Status};
use crate::maintenance::notice::Notice;
use crate::maintenance::page::squash;
use crate::maintenance::zones::Zone;

pub(super) fn read(notice: &Notice) -> Vec<Draft> {
    let mut draft = Draft::default();
    for page in notice.pages() {
        for line in &page.lines {
            let [key, value] = line.cells.as_slice() else {
                continue;
            };
            let (key, value) = (key.trim(), value.trim());
            if value.is_empty() {
                continue;
            }
            match squash(key).as_str() {
                "company" => draft.account = Some(value.to_string()),
                "event" => draft.maintenance_id = Some(value.to_string()),
                "description" => draft.summary = Some(value.to_string()),
                "status" => draft.status = Some(status(value)),
                "circuits" => {
                    draft.circuits = super::split_ids(value)
                        .into_iter()
                        .map(|id| Circuit::new(id, Impact::Outage))
                        .collect();
                }
                label if label.starts_with("starttime") => match time(key, value) {
                    Ok(start) => draft.start = start,
                    Err(why) => draft.unreadable = Some((Field::Start, why)),
                },
                label if label.starts_with("endtime") => match time(key, value) {
                    Ok(end) => draft.end = end,
                    Err(why) => draft.unreadable = Some((Field::End, why)),
                },
                _ => {}
            }
        }
        if draft.maintenance_id.is_some() {
            break;
        }
    }
    vec![draft]
}

/// Summit's status words; a word it has not used before is taken as not yet settled.
fn status(word: &str) -> Status {
    match word.to_lowercase().as_str() {
        "scheduled" => Status::Confirmed,
        "restored" | "completed" => Status::Completed,
        "splicing" | "in progress" => Status::InProcess,
        "cancelled" | "canceled" => Status::Cancelled,
        _ => Status::Tentative,
    }
}

/// A time read in the zone its label names ("Start Time (CST)"). The label's abbreviation stands for the
/// region's local time, so "EST" in July is read as New York summer time, as the reference library does.
fn time(label: &str, value: &str) -> Result<Option<i64>, String> {
    let zone = label
        .split_once('(')
        .and_then(|(_, rest)| rest.split_once(')'))
        .map(|(zone, _)| zone.trim().to_ascii_uppercase())
        .ok_or_else(|| format!("\"{label}\" names no time zone"))?;
    let region = match zone.as_str() {
        "EST" | "EDT" | "ET" => "America/New_York",
        "CST" | "CDT" | "CT" => "America/Chicago",
        "MST" | "MDT" | "MT" => "America/Denver",
        "PST" | "PDT" | "PT" => "America/Los_Angeles",
        "UTC" | "GMT" => "UTC",
        _ => {
            return Err(format!(
                "\"{label}\" names a time zone SummitIG does not use"
            ));
        }
    };
    Ok(Reading::month_first()
        .zone(Zone::region(region))
        .read(value))
}
