//! Global Cloud Xchange: the subject is "ID | Urgency | Notice type | Summary | 12-Feb-2024 09:00 (GMT) -
//! 12-Feb-2024 17:00 (GMT)"; the body greets the customer and lists services with an impact each.

use crate::maintenance::datetime::{Reading, split_window};
use crate::maintenance::model::{Circuit, Draft, Impact, Status};
use crate::maintenance::notice::Notice;

pub(super) fn read(notice: &Notice) -> Vec<Draft> {
    let parts: Vec<&str> = notice.subject.split('|').map(str::trim).collect();
    let reading = Reading::day_first();
    let window = parts.last().and_then(|w| split_window(w));
    let mut draft = Draft {
        maintenance_id: parts.first().map(|id| {
            // A "Fwd:"/"[list]" prefix before the id is not part of it.
            id.rsplit([' ', ']']).next().unwrap_or(id).to_string()
        }),
        summary: parts.get(3).map(|s| s.to_string()),
        start: window.and_then(|(s, _)| reading.read(s)),
        end: window.and_then(|(_, e)| reading.read(e)),
        account: super::salutation(notice),
        status: Some(status(&notice.subject)),
        ..Draft::default()
    };
    if parts.len() < 2 {
        draft.maintenance_id = None;
    }
    for page in notice.pages() {
        for grid in page.grids(&["Service ID", "Impact"]) {
            let (Some(id_col), Some(impact_col)) =
                (grid.column(&["Service ID"]), grid.column(&["Impact"]))
            else {
                continue;
            };
            for row in &grid.rows {
                let Some(id) = row.get(id_col).map(|s| s.trim()).filter(|s| !s.is_empty()) else {
                    continue;
                };
                let impact = match row.get(impact_col) {
                    Some(i) if i.to_lowercase().contains("at risk") => Impact::ReducedRedundancy,
                    Some(i) if i.to_lowercase().contains("no impact") => Impact::NoImpact,
                    _ => Impact::Outage,
                };
                draft.circuits.push(Circuit::new(id, impact));
            }
        }
        if draft.start.is_none()
            && let Some(grid) = page.grids(&["Window"]).first()
        {
            let start_col = grid.column_starting(&["Primary Start"]);
            let end_col = grid.column_starting(&["Primary End"]);
            if let (Some(row), Some(s), Some(e)) = (grid.rows.first(), start_col, end_col) {
                draft.start = row.get(s).and_then(|t| reading.read(t));
                draft.end = row.get(e).and_then(|t| reading.read(t));
            }
        }
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
        Status::Confirmed
    }
}
