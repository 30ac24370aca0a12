//! FLAG (on a fork of Global Cloud Xchange's notice system): the subject is "FLAG | ID | Planned Event |
//! Status"; the HTML body greets the customer ("Dear Acme,"), describes the work in the next paragraph,
//! and has a service table (Service ID, Impact: "At Risk" or an outage) and a window table ("Window",
//! start, end as 12-Nov-2025 22:00, UTC).

use crate::maintenance::datetime::Reading;
use crate::maintenance::model::{Circuit, Draft, Impact, Status};
use crate::maintenance::notice::Notice;
use crate::maintenance::page::{Page, same_label};

pub(super) fn read(notice: &Notice) -> Vec<Draft> {
    let subject = notice.subject.replace(['\r', '\n'], "");
    let parts: Vec<&str> = subject.split('|').map(str::trim).collect();
    let mut draft = Draft {
        // A "Fwd:"/"[list]" prefix before "FLAG" is not part of the id.
        maintenance_id: match parts.as_slice() {
            [flag, id, ..] if flag.ends_with("FLAG") && !id.is_empty() => Some(id.to_string()),
            _ => None,
        },
        status: Some(status(&subject)),
        account: super::salutation(notice),
        ..Draft::default()
    };
    for page in notice.pages() {
        if draft.summary.is_none() {
            draft.summary = after_salutation(page);
        }
        read_tables(page, &mut draft);
        if draft.start.is_some() {
            break;
        }
    }
    vec![draft]
}

fn status(subject: &str) -> Status {
    let lower = subject.to_lowercase();
    if lower.contains("completed") {
        Status::Completed
    } else if lower.contains("rescheduled") {
        Status::ReScheduled
    } else if lower.contains("cancelled") || lower.contains("canceled") {
        Status::Cancelled
    } else {
        // "Scheduled", "Reminder", "Notice" or no word at all: FLAG's planned event.
        Status::Confirmed
    }
}

/// The paragraph that follows the "Dear ...," greeting.
fn after_salutation(page: &Page) -> Option<String> {
    let mut rows = page.rows();
    rows.by_ref()
        .find(|r| r.starts_with("Dear ") && r.trim_end().ends_with(','))?;
    rows.next().map(str::to_string)
}

fn read_tables(page: &Page, draft: &mut Draft) {
    let reading = Reading::day_first();
    let mut section = None;
    for line in &page.lines {
        let Some(first) = line.cells.first().map(|c| c.trim()) else {
            continue;
        };
        if line.table.is_none() {
            section = None;
            continue;
        }
        if same_label(first, "Service ID") {
            section = Some("services");
            continue;
        }
        if same_label(first, "Window") {
            section = Some("windows");
            continue;
        }
        match section {
            Some("services") if !first.is_empty() => {
                let at_risk = line
                    .cells
                    .get(1)
                    .is_some_and(|i| i.to_lowercase().contains("at risk"));
                let impact = if at_risk {
                    Impact::ReducedRedundancy
                } else {
                    Impact::Outage
                };
                draft.circuits.push(Circuit::new(first, impact));
            }
            // Of several windows (a primary and a backup night) the last listed is reported, as the
            // reference library does.
            Some("windows") => {
                let start = line.cells.get(1).and_then(|t| reading.read(t));
                let end = line.cells.get(2).and_then(|t| reading.read(t));
                if let (Some(start), Some(end)) = (start, end) {
                    draft.start = Some(start);
                    draft.end = Some(end);
                }
            }
            _ => {}
        }
    }
}
