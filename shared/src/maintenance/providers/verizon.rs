//! Verizon Business: two-column "Label: | value" rows (the window in GMT, the MASTARS request number), an
//! "Attention:" line when rescheduled or not completed, and a circuit table.

use crate::maintenance::datetime::{Reading, split_window};
use crate::maintenance::model::{Circuit, Draft, Impact, Status};
use crate::maintenance::notice::Notice;

pub(super) fn read(notice: &Notice) -> Vec<Draft> {
    let reading = Reading::month_first();
    let window = super::field(notice, &["Maintenance Date/Time (GMT)"]).unwrap_or_default();
    let (start, end) =
        split_window(&window).map_or((None, None), |(s, e)| (reading.read(s), reading.read(e)));
    let attention = super::field(notice, &["Attention"])
        .unwrap_or_default()
        .to_lowercase();
    let status = if attention.contains("not completed") || attention.contains("cancel") {
        Status::Cancelled
    } else if attention.contains("rescheduled") {
        Status::ReScheduled
    } else if attention.contains("completed") {
        Status::Completed
    } else {
        Status::Confirmed
    };
    let mut draft = Draft {
        account: super::salutation(notice),
        maintenance_id: super::field(
            notice,
            &["Verizon MASTARS Request number", "MASTARS Request number"],
        ),
        summary: super::field(notice, &["Description of Maintenance"]),
        start,
        end,
        status: Some(status),
        ..Draft::default()
    };
    for page in notice.pages() {
        for grid in page.grids(&["Company Name", "Circuit ID"]) {
            let Some(col) = grid.column(&["Circuit ID"]) else {
                continue;
            };
            for row in &grid.rows {
                if let Some(id) = row.get(col).map(|s| s.trim()).filter(|s| !s.is_empty()) {
                    draft.circuits.push(Circuit::new(id, Impact::Outage));
                }
            }
        }
        if !draft.circuits.is_empty() {
            break;
        }
    }
    vec![draft]
}
