//! Vodafone: the change request (CRQ and twelve digits) in the subject or body, the status in the
//! subject's wording, "Scheduled Start/End Date & Outage Window:" over "06/04/2026 00:00 to 13/04/2026
//! 00:00 UTC" (day first; a rescheduled notice lists the original window too, which no longer holds), a
//! "Description:" and a table with Customer, Services Affected and Service Impact columns.

use std::sync::LazyLock;

use regex_lite::Regex;

use crate::maintenance::datetime::{Reading, split_window};
use crate::maintenance::model::{Circuit, Draft, Impact, Status};
use crate::maintenance::notice::Notice;
use crate::maintenance::page::Page;

static CHANGE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\bCRQ\d{12}\b").expect("valid regex"));

pub(super) fn read(notice: &Notice) -> Vec<Draft> {
    let reading = Reading::day_first();
    let mut draft = Draft {
        maintenance_id: CHANGE
            .find(&notice.subject)
            .or_else(|| CHANGE.find(notice.body_text()))
            .map(|m| m.as_str().to_string()),
        status: Some(status(&notice.subject)),
        summary: super::field(notice, &["Description"]),
        ..Draft::default()
    };
    for page in notice.pages() {
        if let Some((start, end)) = window(page) {
            draft.start = reading.read(&start);
            draft.end = reading.read(&end);
        }
        for grid in page.grids(&["Services Affected", "Service Impact"]) {
            let (Some(id_col), Some(impact_col)) = (
                grid.column(&["Services Affected"]),
                grid.column(&["Service Impact"]),
            ) else {
                continue;
            };
            let customer_col = grid.column(&["Customer"]);
            for row in &grid.rows {
                if let Some(account) = customer_col
                    .and_then(|c| row.get(c))
                    .map(|a| a.trim())
                    .filter(|a| !a.is_empty())
                {
                    draft.account = Some(account.to_string());
                }
                let (Some(id), Some(impact)) = (
                    row.get(id_col).map(|c| c.trim()).filter(|c| !c.is_empty()),
                    row.get(impact_col).map(|c| c.to_lowercase()),
                ) else {
                    continue;
                };
                // Vodafone writes "Loss of service" for an outage and describes anything less in words.
                let impact = if impact.contains("loss of service") {
                    Impact::Outage
                } else if impact.contains("no impact") {
                    Impact::NoImpact
                } else {
                    Impact::Degraded
                };
                draft.circuits.push(Circuit::new(id, impact));
            }
        }
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
    } else if lower.contains("postponed")
        || lower.contains("cancelled")
        || lower.contains("canceled")
    {
        // A postponed change has no new date yet: the announced window will not happen.
        Status::Cancelled
    } else {
        Status::Confirmed
    }
}

/// The last "Scheduled Start/End" window that is not the original one of a rescheduled change.
fn window(page: &Page) -> Option<(String, String)> {
    let rows: Vec<&str> = page.rows().collect();
    let mut found = None;
    for (at, row) in rows.iter().enumerate() {
        let lower = row.to_lowercase();
        if !lower.contains("scheduled start") || lower.contains("original") {
            continue;
        }
        let inline = row.split_once(':').map(|(_, rest)| rest.trim());
        let value = match inline {
            Some(rest) if !rest.is_empty() => rest,
            _ => match rows.get(at + 1) {
                Some(next) => next,
                None => continue,
            },
        };
        if let Some((start, end)) = split_window(value) {
            // The zone is written once, after the end.
            let zone = end
                .split_whitespace()
                .last()
                .filter(|z| z.chars().all(char::is_alphabetic))
                .unwrap_or("");
            found = Some((format!("{start} {zone}"), end.to_string()));
        }
    }
    found
}
