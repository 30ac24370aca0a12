//! Equinix: the subject names the status and ends with the ticket in brackets; the body gives the window
//! as "UTC: FRIDAY, 02 JUL 10:00 - FRIDAY, 02 JUL 15:00" (year only in the SPAN/DATE line), one impact for
//! all services, and a table per product with the account and service serial numbers. Bilingual notices
//! repeat the block in the local language first. Newer subjects may end in " - CHG0125903" instead of
//! the bracketed ticket.

use std::sync::LazyLock;

use regex_lite::Regex;

use crate::maintenance::datetime::{Reading, split_window};
use crate::maintenance::model::{Circuit, Draft, Impact, Status};
use crate::maintenance::notice::Notice;
use crate::maintenance::page::{Page, after_label, same_label, squash};

static TICKET: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\[([^\[\]]+)\]\s*$").expect("valid regex"));
static CHANGE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\bCHG\d+\b").expect("valid regex"));
static YEAR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\d{1,2}-[A-Za-z]{3}-(\d{4})").expect("valid regex"));

pub(super) fn read(notice: &Notice) -> Vec<Draft> {
    let subject = notice.subject.replace(['\r', '\n'], "");
    let mut draft = Draft {
        maintenance_id: TICKET
            .captures(subject.trim())
            .map(|c| c[1].trim().to_string())
            .or_else(|| CHANGE.find(&subject).map(|m| m.as_str().to_string())),
        summary: Some(subject.trim().to_string()),
        status: Some(status(&subject)),
        ..Draft::default()
    };
    for page in notice.pages() {
        read_window(page, &mut draft);
        if draft.start.is_some() {
            break;
        }
    }
    let impact = notice.pages().find_map(impact).unwrap_or(Impact::Outage);
    for page in notice.pages() {
        read_services(page, impact, &mut draft);
        if !draft.circuits.is_empty() {
            break;
        }
    }
    if draft.maintenance_id.is_none() {
        draft.maintenance_id = super::field(notice, &["Please reference"])
            .map(|r| r.trim_end_matches('.').to_string());
    }
    vec![draft]
}

fn status(subject: &str) -> Status {
    let lower = subject.to_lowercase();
    if lower.contains("completed") {
        Status::Completed
    } else if lower.contains("cancelled") || lower.contains("canceled") {
        Status::Cancelled
    } else if lower.contains("rescheduled") {
        Status::ReScheduled
    } else {
        // "Scheduled", "REMINDER", or no word at all: a planned maintenance.
        Status::Confirmed
    }
}

fn read_window(page: &Page, draft: &mut Draft) {
    let span = labelled(page, "SPAN")
        .into_iter()
        .chain(labelled(page, "DATE"))
        .next()
        .unwrap_or_default();
    let years: Vec<i16> = YEAR
        .captures_iter(&span)
        .filter_map(|c| c[1].parse().ok())
        .collect();
    let (Some(&first_year), Some(&last_year)) = (years.first(), years.last()) else {
        return;
    };
    for window in labelled(page, "UTC") {
        let Some((start, end)) = split_window(&window) else {
            continue;
        };
        let start = Reading::month_first().year(first_year).read(start);
        let end = Reading::month_first().year(last_year).read(end);
        if let (Some(start), Some(end)) = (start, end) {
            draft.start = Some(start);
            draft.end = Some(end);
            return;
        }
    }
}

/// The value of every "LABEL: value" text line, or of the line below a bare "LABEL:"; the asterisks that
/// plain-text renderings put around bold labels are ignored.
fn labelled(page: &Page, label: &str) -> Vec<String> {
    let rows: Vec<&str> = page.rows().map(|r| r.trim_matches('*').trim()).collect();
    (0..rows.len())
        .filter_map(|i| {
            let rest = after_label(rows[i], label)?.trim_start_matches('*').trim();
            if rest.is_empty() {
                rows.get(i + 1).map(|r| r.to_string())
            } else {
                Some(rest.to_string())
            }
        })
        .collect()
}

/// The impact all services share, from the English "IMPACT:" line.
fn impact(page: &Page) -> Option<Impact> {
    labelled(page, "IMPACT").into_iter().find_map(|text| {
        let text = text.to_lowercase();
        if text.contains("no impact") {
            Some(Impact::NoImpact)
        } else if text.contains("service interruption")
            || text.contains("outage")
            || text.contains("downtime")
        {
            Some(Impact::Outage)
        } else if text.contains("loss of redundancy")
            || text.contains("re-routed")
            || text.contains("rerouted")
        {
            Some(Impact::ReducedRedundancy)
        } else if text.contains("degrad") {
            Some(Impact::Degraded)
        } else {
            None
        }
    })
}

fn read_services(page: &Page, impact: Impact, draft: &mut Draft) {
    let grids = page.grids(&["Account #"]);
    for grid in &grids {
        let Some(account_col) = grid.column(&["Account #"]) else {
            continue;
        };
        let Some(serial_col) = grid
            .column(&["Service Serial #"])
            .or_else(|| grid.column_starting(&["Serial"]))
        else {
            continue;
        };
        for row in &grid.rows {
            let Some(serial) = row
                .get(serial_col)
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
            else {
                continue;
            };
            draft.circuits.push(Circuit::new(serial, impact));
            if let Some(account) = row
                .get(account_col)
                .map(|a| a.trim())
                .filter(|a| !a.is_empty())
            {
                draft.account = Some(account.to_string());
            }
        }
    }
    if !draft.circuits.is_empty() {
        return;
    }
    // Plain text with the whole table flattened onto one tab-separated line: the header cells, then the
    // rows' cells in the same number.
    for line in &page.lines {
        let cells: Vec<&str> = line
            .cells
            .iter()
            .map(|c| c.trim())
            .filter(|c| !c.is_empty())
            .collect();
        let Some(first) = cells.iter().position(|c| same_label(c, "Account #")) else {
            continue;
        };
        let Some(serial) = cells[first..]
            .iter()
            .position(|c| same_label(c, "Service Serial #"))
        else {
            continue;
        };
        let width = serial + 1;
        for row in cells[first + width..].chunks_exact(width) {
            draft.circuits.push(Circuit::new(row[width - 1], impact));
            draft.account = Some(row[0].to_string());
        }
    }
    if !draft.circuits.is_empty() {
        return;
    }
    // Plain text without tabs: "Account # Product Service Serial #" then "009999 Equinix Connect 10101".
    let mut in_table = false;
    for line in &page.lines {
        let text = line.cells.join(" ");
        if squash(&text).starts_with("account#") {
            in_table = true;
            continue;
        }
        if !in_table {
            continue;
        }
        let words: Vec<&str> = text.split_whitespace().collect();
        let is_row = words.len() >= 3 && words[0].chars().all(|c| c.is_ascii_digit());
        if !is_row {
            in_table = false;
            continue;
        }
        draft
            .circuits
            .push(Circuit::new(words[words.len() - 1], impact));
        draft.account = Some(words[0].to_string());
    }
}
