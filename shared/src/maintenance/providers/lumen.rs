//! Lumen (CenturyLink / Level 3): an HTML notice with the ticket ("Scheduled Maintenance #: 123"), a summary
//! paragraph, dated updates (the latest first), one Start/End table per window (primary and alternate
//! night) with the window in GMT and local time, and a customer/circuit table that may carry a status.

use crate::maintenance::datetime::Reading;
use crate::maintenance::model::{Circuit, Draft, Impact, Status};
use crate::maintenance::notice::Notice;
use crate::maintenance::page::{Page, squash};

pub(super) fn read(notice: &Notice) -> Vec<Draft> {
    let Some(page) = notice
        .pages()
        .find(|p| ticket(p).is_some())
        .or_else(|| notice.pages().next())
    else {
        return vec![Draft::default()];
    };
    let reading = Reading::month_first();
    let (stamp, update_status) = latest_update(page);
    let mut base = Draft {
        maintenance_id: ticket(page),
        summary: text_after(page, "summary"),
        stamp: stamp.and_then(|s| reading.read(&s)),
        status: update_status,
        ..Draft::default()
    };
    for grid in page.grids(&["Customer Name", "Circuit ID"]) {
        let id_col = grid.column(&["Circuit ID"]);
        let alt_col = grid.column(&["Alt Circuit ID"]);
        let impact_col = grid.column(&["Impact Type", "Impact"]);
        let status_col = grid.column(&["Status"]);
        for row in &grid.rows {
            if base.account.is_none() {
                base.account = row
                    .first()
                    .map(|a| a.trim().to_string())
                    .filter(|a| !a.is_empty());
            }
            if let Some(status) = status_col
                .and_then(|c| row.get(c))
                .and_then(|s| row_status(s))
            {
                base.status = Some(status);
            }
            let usable = |id: &&String| !matches!(id.trim(), "" | "_" | "N/A");
            let id = id_col
                .and_then(|c| row.get(c))
                .filter(usable)
                .or_else(|| alt_col.and_then(|c| row.get(c)).filter(usable));
            let impact = impact_col
                .and_then(|c| row.get(c))
                .map(|i| i.to_lowercase())
                .unwrap_or_default();
            // Only circuits marked as going down are reported, as the reference library does; Lumen lists
            // the other circuits of the account for information.
            if let (Some(id), true) = (id, impact.contains("outage")) {
                base.circuits.push(Circuit::new(id.trim(), Impact::Outage));
            }
        }
    }
    let windows: Vec<(i64, i64)> = page
        .grids(&["Start", "End"])
        .iter()
        .filter_map(|grid| {
            grid.rows.iter().find_map(|row| {
                let gmt: Vec<&String> = row
                    .iter()
                    .filter(|c| c.contains("GMT") || c.contains("UTC"))
                    .collect();
                if gmt.len() < 2 {
                    return None;
                }
                Some((reading.read(gmt[0])?, reading.read(gmt[1])?))
            })
        })
        .collect();
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

fn ticket(page: &Page) -> Option<String> {
    page.field(&[
        "Scheduled Maintenance Window #",
        "Scheduled Maintenance #",
        "Maintenance Window #",
    ])
    .map(|t| t.split_whitespace().next().unwrap_or("").to_string())
    .filter(|t| !t.is_empty())
}

/// The first non-empty text after a heading such as "Summary:".
fn text_after(page: &Page, heading: &str) -> Option<String> {
    let at = page.lines.iter().position(|l| {
        l.cells
            .first()
            .is_some_and(|c| squash(c).starts_with(heading))
    })?;
    let first = &page.lines[at].cells[0];
    let inline = first
        .split_once(':')
        .map(|(_, rest)| rest.trim())
        .filter(|r| !r.is_empty());
    if let Some(inline) = inline {
        return inline.lines().next().map(str::to_string);
    }
    page.lines[at + 1..]
        .iter()
        .flat_map(|l| l.cells.iter())
        .flat_map(|c| c.lines())
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(str::to_string)
}

/// The newest update line ("2021-05-20 07:00:21 GMT - The scheduled maintenance work has begun."): its
/// time is when this notice was issued, and its wording tells the status.
fn latest_update(page: &Page) -> (Option<String>, Option<Status>) {
    let Some(line) = text_after(page, "updates") else {
        return (None, None);
    };
    let stamp = line
        .split_once(" GMT")
        .map(|(time, _)| format!("{time} GMT"));
    let lower = line.to_lowercase();
    let status = if lower.contains("cancelled") || lower.contains("canceled") {
        Some(Status::Cancelled)
    } else if lower.contains("postponed") || lower.contains("rescheduled") {
        Some(Status::ReScheduled)
    } else if lower.contains("has ended") || lower.contains("completed") {
        Some(Status::Completed)
    } else if lower.contains("this maintenance is scheduled") || lower.contains("work has begun") {
        // The reference library (v2.9) reports both as IN-PROCESS; kept so that both tools agree.
        Some(Status::InProcess)
    } else {
        Some(Status::Confirmed)
    };
    (stamp, status)
}

fn row_status(text: &str) -> Option<Status> {
    match text.trim().to_lowercase().as_str() {
        "completed" => Some(Status::Completed),
        "postponed" | "alternate night" => Some(Status::ReScheduled),
        "not completed" | "cancelled" | "canceled" => Some(Status::Cancelled),
        "in progress" => Some(Status::InProcess),
        _ => None,
    }
}
