//! PCCW Global: planned-outage notices come with a BCOP iCalendar (read elsewhere); the completion notice
//! has none and is read here: "Customer Name : ...", "Date Time : 26/11/2024 01:00:00 to 26/11/2024
//! 10:00:00 GMT (dd/mm/yyyy)", the ticket closing the subject.

use crate::maintenance::datetime::{Reading, split_window};
use crate::maintenance::model::{Draft, Status};
use crate::maintenance::notice::Notice;

pub(super) fn read(notice: &Notice) -> Vec<Draft> {
    let subject = notice.subject.replace(['\r', '\n'], "");
    let subject = subject.trim();
    let reading = Reading::day_first();
    let window = super::field(notice, &["Date Time"]).unwrap_or_default();
    let window = window.split(" (").next().unwrap_or("").to_string();
    let (start, end) = match split_window(&window) {
        Some((start, end)) => {
            // The zone is written once, after the end time.
            let zone = end
                .split_whitespace()
                .last()
                .filter(|z| z.chars().all(char::is_alphabetic))
                .unwrap_or("");
            (reading.read(&format!("{start} {zone}")), reading.read(end))
        }
        None => (None, None),
    };
    let lower = subject.to_lowercase();
    let status = if lower.contains("completion") || lower.contains("completed") {
        Status::Completed
    } else if lower.contains("cancel") {
        Status::Cancelled
    } else if lower.contains("amendment") || lower.contains("reschedul") {
        Status::ReScheduled
    } else {
        Status::Confirmed
    };
    vec![Draft {
        provider: Some("PCCW Global".to_string()),
        account: super::field(notice, &["Customer Name"]),
        maintenance_id: subject
            .rsplit_once(" - ")
            .map(|(_, id)| id.trim().to_string()),
        start,
        end,
        status: Some(status),
        summary: Some(subject.to_string()),
        // The affected services are only listed for information in this notice; the reference library
        // reports none, and the iCalendar notices that precede it carry them.
        circuits: Vec::new(),
        ..Draft::default()
    }]
}
