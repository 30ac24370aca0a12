//! Tata Communications: a two-column table ("Ticket Reference - TCL", "Service ID", "Activity Window (GMT)",
//! possibly revised or extended windows); the subject names the status.

use crate::maintenance::datetime::{Reading, split_window};
use crate::maintenance::model::{Circuit, Draft, Impact, Status};
use crate::maintenance::notice::{Notice, address_in};

pub(super) fn read(notice: &Notice) -> Vec<Draft> {
    let reading = Reading::month_first();
    let window = super::field(
        notice,
        &["Revised Activity Window (GMT)", "Activity Window (GMT)"],
    );
    let (start, mut end) = match window.as_deref().and_then(split_window) {
        Some((start, end)) => (reading.read(start), reading.read(end)),
        None => (None, None),
    };
    if let Some(extended) = super::field(
        notice,
        &[
            "Extended up to Time Window (GMT)",
            "Extended up to Time Window",
        ],
    ) {
        end = reading.read(&extended).or(end);
    }
    let lower = notice.subject.to_lowercase();
    let status = if lower.contains("completion") || lower.contains("completed") {
        Status::Completed
    } else if lower.contains("reschedule") || lower.contains("extension") {
        Status::ReScheduled
    } else if lower.contains("cancellation") || lower.contains("cancelled") {
        Status::Cancelled
    } else {
        Status::Confirmed
    };
    vec![Draft {
        maintenance_id: super::field(notice, &["Ticket Reference - TCL", "Ticket Reference"]),
        circuits: super::field(notice, &["Service ID"])
            .map(|ids| {
                super::split_ids(&ids)
                    .into_iter()
                    .map(|id| Circuit::new(id, Impact::Outage))
                    .collect()
            })
            .unwrap_or_default(),
        start,
        end,
        status: Some(status),
        summary: Some(notice.subject.replace(['\r', '\n'], "").trim().to_string()),
        // Tata does not name the customer account.
        account: Some("N/A".to_string()),
        organizer: super::field(notice, &["Mail ID"]).and_then(|m| address_in(&m)),
        ..Draft::default()
    }]
}
