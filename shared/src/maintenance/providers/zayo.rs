//! Zayo: subject "[<type>]***<customer>***ZAYO TTN-0001234567 <urgency>***"; the body gives the ticket,
//! customer, notice date, reason, one window per "Nth Activity Date" (local and GMT lines; backup dates
//! are not windows), and a circuit table with the expected impact per circuit.

use std::sync::LazyLock;

use regex_lite::Regex;

use crate::maintenance::datetime::{Reading, split_window};
use crate::maintenance::model::{Circuit, Draft, Impact, Status};
use crate::maintenance::notice::Notice;
use crate::maintenance::page::{Page, squash};
use crate::maintenance::zones::zone_named;

static STARS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\*+").expect("valid regex"));
static TICKET: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\bTTN-\d+").expect("valid regex"));
static ACTIVITY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\d+(?:st|nd|rd|th)\s+Activity\s+Date").expect("valid regex")
});
static ZONE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\(\s*([A-Za-z][A-Za-z /_]*?)\s*\)\s*$").expect("valid regex"));

pub(super) fn read(notice: &Notice) -> Vec<Draft> {
    // "<type>***<customer>***ZAYO TTN-... ***": the customer is the second of exactly four parts.
    let tokens: Vec<&str> = STARS.split(&notice.subject).map(str::trim).collect();
    let subject_account = (tokens.len() == 4)
        .then(|| tokens[1])
        .filter(|t| !t.is_empty() && !t.contains("TTN-"));
    let page = notice
        .pages()
        .find(|p| p.field(&["Maintenance Ticket #"]).is_some())
        .or_else(|| notice.pages().next());
    let reading = Reading::month_first();
    let mut base = Draft {
        maintenance_id: page
            .and_then(|p| p.field(&["Maintenance Ticket #", "Maintenance Ticket"]))
            .or_else(|| TICKET.find(&notice.subject).map(|m| m.as_str().to_string())),
        account: page
            .and_then(|p| p.field(&["Customer"]))
            .or_else(|| subject_account.map(str::to_string)),
        stamp: page
            .and_then(|p| p.field(&["Date Notice Sent"]))
            .and_then(|d| reading.read(&d)),
        summary: page.and_then(|p| p.field(&["Reason for Maintenance"])),
        status: Some(status(notice)),
        ..Draft::default()
    };
    let Some(page) = page else { return vec![base] };
    base.circuits = circuits(page);
    let windows = windows(page);
    if windows.is_empty() {
        return vec![base];
    }
    windows
        .into_iter()
        .map(|(start, end)| Draft {
            start: Some(start),
            end: Some(end),
            ..base.clone()
        })
        .collect()
}

fn status(notice: &Notice) -> Status {
    let text = notice.body_text().to_lowercase();
    let subject = notice.subject.to_lowercase();
    if text.contains("has cancelled")
        || text.contains("cancellation of maintenance")
        || subject.contains("cancelled notification")
    {
        Status::Cancelled
    } else if text.contains("has rescheduled") || subject.contains("reschedule") {
        Status::ReScheduled
    } else if text.contains("will be commencing momentarily")
        || subject.contains("start maintenance")
    {
        Status::InProcess
    } else if text.contains("has been completed")
        || text.contains("has closed")
        || subject.contains("end of window")
    {
        Status::Completed
    } else {
        Status::Confirmed
    }
}

/// One window per activity date, from its GMT line (or its local line when there is no GMT one).
fn windows(page: &Page) -> Vec<(i64, i64)> {
    let rows: Vec<&str> = page
        .lines
        .iter()
        .flat_map(|l| l.cells.iter())
        .flat_map(|c| c.lines())
        .map(str::trim)
        .collect();
    let mut windows = Vec::new();
    let mut index = 0;
    while index < rows.len() {
        if !is_activity_heading(rows[index]) {
            index += 1;
            continue;
        }
        let block: Vec<&str> = rows[index + 1..]
            .iter()
            .copied()
            .take_while(|r| !is_activity_heading(r) && r.ends_with(')') && ZONE.is_match(r))
            .collect();
        let gmt = block
            .iter()
            .find(|r| r.contains("GMT") || r.contains("UTC"))
            .or_else(|| block.first());
        if let Some(window) = gmt.and_then(|line| read_window(line)) {
            windows.push(window);
        }
        index += 1 + block.len();
    }
    windows
}

/// "1st Activity Date", "2nd Activity Date", ...
fn is_activity_heading(row: &str) -> bool {
    row.contains("ctivity") && ACTIVITY.is_match(row)
}

/// "25-Sep-2020 00:01 to 25-Sep-2020 05:00 ( Pacific )".
fn read_window(line: &str) -> Option<(i64, i64)> {
    let zone = ZONE.captures(line).and_then(|c| zone_named(&c[1]))?;
    let body = ZONE.replace(line, "");
    let (start, end) = split_window(&body)?;
    let reading = Reading::month_first().zone(zone);
    Some((reading.read(start)?, reading.read(end)?))
}

fn circuits(page: &Page) -> Vec<Circuit> {
    let mut circuits = Vec::new();
    for grid in page.grids(&["Circuit Id", "Expected Impact"]) {
        let (Some(id_col), Some(impact_col)) = (
            grid.column(&["Circuit Id"]),
            grid.column(&["Expected Impact"]),
        ) else {
            continue;
        };
        for row in &grid.rows {
            let Some(id) = row.get(id_col).map(|s| s.trim()).filter(|s| !s.is_empty()) else {
                continue;
            };
            let impact = row
                .get(impact_col)
                .map(|s| s.to_lowercase())
                .unwrap_or_default();
            let impact = if impact.contains("no expected impact") || impact.contains("no impact") {
                Impact::NoImpact
            } else {
                // "Hard Down - up to 2 hours" and anything unexplained.
                Impact::Outage
            };
            circuits.push(Circuit::new(id, impact));
        }
    }
    if circuits.is_empty() {
        // Plain-text layout: the five headers one per line, then five lines per circuit.
        let rows: Vec<&str> = page
            .lines
            .iter()
            .flat_map(|l| l.cells.iter())
            .map(|c| c.trim())
            .collect();
        if let Some(at) = rows.iter().position(|r| squash(r) == "circuitid") {
            let data = rows.get(at + 5..).unwrap_or_default();
            for chunk in data.chunks(5) {
                if chunk.len() < 2 || !chunk[0].starts_with('/') {
                    break;
                }
                let impact = if chunk[1].to_lowercase().contains("no expected impact") {
                    Impact::NoImpact
                } else {
                    Impact::Outage
                };
                circuits.push(Circuit::new(chunk[0], impact));
            }
        }
    }
    circuits
}
