//! GTT / EXA Infrastructure: "Planned Work Notification: 65430585 - New" names ticket and status; Start and
//! End rows (a rescheduled window shows the old time struck through, then the new one); a services table
//! with the circuit (SLID/CCSD) and the customer PON.

use std::sync::LazyLock;

use regex_lite::Regex;

use crate::maintenance::datetime::Reading;
use crate::maintenance::model::{Circuit, Draft, Impact, Status};
use crate::maintenance::notice::Notice;

static NOTIFICATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:Planned|Emergency) Work Notification:\s*(\w+)\s*[-–]\s*([A-Za-z]+)")
        .expect("valid regex")
});
static ISO_DATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\d{4}-\d{2}-\d{2}").expect("valid regex"));

pub(super) fn read(notice: &Notice) -> Vec<Draft> {
    let headline = notice
        .pages()
        .flat_map(|p| p.rows())
        .filter(|row| row.contains("Work Notification"))
        .find_map(|row| NOTIFICATION.captures(row));
    let status = headline
        .as_ref()
        .map(|c| match c[2].to_lowercase().as_str() {
            "cancelled" | "canceled" | "cancellation" => Status::Cancelled,
            "update" | "rescheduled" | "reschedule" => Status::ReScheduled,
            "completed" | "complete" => Status::Completed,
            // "New" and "Reminder" announce a planned window.
            _ => Status::Confirmed,
        });
    let mut draft = Draft {
        maintenance_id: headline.as_ref().map(|c| c[1].to_string()),
        start: super::field(notice, &["Start"]).and_then(|t| latest_time(&t)),
        end: super::field(notice, &["End"]).and_then(|t| latest_time(&t)),
        status,
        // The reference library leaves GTT summaries empty; the reason text is free-form and often absent.
        summary: Some(String::new()),
        ..Draft::default()
    };
    if status == Some(Status::Cancelled) && draft.start.is_none() {
        // A cancellation names no window; 0..1 marks "no window" as the reference library does.
        draft.start = Some(0);
        draft.end = Some(1);
    }
    for page in notice.pages() {
        for grid in page.grids(&["SLID/CCSD"]) {
            let Some(circuit_col) = grid.column(&["SLID/CCSD"]) else {
                continue;
            };
            let pon_col = grid.column(&["Customer PON"]);
            for row in &grid.rows {
                let Some(id) = row
                    .get(circuit_col)
                    .map(|s| s.trim())
                    .filter(|s| !s.is_empty())
                else {
                    continue;
                };
                draft.circuits.push(Circuit::new(id, Impact::Outage));
                if let Some(pon) = pon_col
                    .and_then(|c| row.get(c))
                    .map(|p| p.trim())
                    .filter(|p| !p.is_empty())
                {
                    draft.account = Some(pon.to_string());
                }
            }
        }
        if !draft.circuits.is_empty() {
            break;
        }
    }
    vec![draft]
}

/// The last time written in a cell: a rescheduled window keeps the old time in front of the new one.
fn latest_time(text: &str) -> Option<i64> {
    let reading = Reading::month_first();
    let last = ISO_DATE.find_iter(text).last().map_or(0, |m| m.start());
    reading.read(&text[last..]).or_else(|| reading.read(text))
}
