//! Megaport: "Hi <account>", "... maintenance (<ticket>) ...", "Purpose of Maintenance: ...", start and end
//! in UTC, and a table of the affected service ids. The ticket stands in brackets in the opening sentence,
//! "This is a reminder that Planned maintenance (id) ..." or, in newer notices, "Please be advised that
//! Megaport will be performing a maintenance activity (id) ...".

use std::sync::LazyLock;

use regex_lite::Regex;

use crate::maintenance::datetime::Reading;
use crate::maintenance::model::{Circuit, Draft, Impact, Status};
use crate::maintenance::notice::Notice;

static TICKET: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)maintenance\s*\(([^)\s]+)\)").expect("valid regex"));
static OPENING_TICKET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:This is a reminder|Please be advised that)\b[^(]*\(([^)\s]+)\)")
        .expect("valid regex")
});

pub(super) fn read(notice: &Notice) -> Vec<Draft> {
    let reading = Reading::month_first();
    let mut draft = Draft {
        status: Some(Status::Confirmed),
        ..Draft::default()
    };
    for page in notice.pages() {
        let rows: Vec<&str> = page.rows().collect();
        for (index, text) in rows.iter().enumerate() {
            if draft.account.is_none()
                && let Some(name) = text.strip_prefix("Hi ")
            {
                draft.account = Some(name.trim().trim_end_matches(',').to_string());
            }
            if draft.maintenance_id.is_none()
                && text.contains('(')
                && let Some(ticket) = OPENING_TICKET
                    .captures(text)
                    .or_else(|| TICKET.captures(text))
            {
                draft.maintenance_id = Some(ticket[1].to_string());
                let lower = text.to_lowercase();
                if lower.contains("cancel") {
                    draft.status = Some(Status::Cancelled);
                } else if lower.contains("completed") {
                    draft.status = Some(Status::Completed);
                }
            }
            if draft.summary.is_none()
                && let Some(purpose) = text.strip_prefix("Purpose of Maintenance:")
            {
                let purpose = purpose.trim();
                draft.summary = if purpose.is_empty() {
                    rows.get(index + 1).map(|r| r.to_string())
                } else {
                    Some(purpose.to_string())
                };
            }
            if let Some(rest) = text.strip_prefix("Start Date and Time:") {
                let (start, end) = rest.split_once("End Date and Time:").unwrap_or((rest, ""));
                draft.start = draft.start.or_else(|| reading.read(start));
                draft.end = draft.end.or_else(|| reading.read(end));
            } else if let Some(end) = text.strip_prefix("End Date and Time:") {
                draft.end = draft.end.or_else(|| reading.read(end));
            }
        }
        for grid in page.grids(&["Service ID"]) {
            let Some(col) = grid.column(&["Service ID"]) else {
                continue;
            };
            for row in &grid.rows {
                if let Some(id) = row.get(col).map(|s| s.trim()).filter(|s| !s.is_empty()) {
                    draft.circuits.push(Circuit::new(id, Impact::Outage));
                }
            }
        }
        if draft.maintenance_id.is_some() {
            break;
        }
    }
    vec![draft]
}
