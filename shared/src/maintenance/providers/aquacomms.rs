//! Aqua Comms: an HTML table of "Label: | value" rows; the subject carries ISSUE= and PROJ= numbers.

use std::sync::LazyLock;

use regex_lite::Regex;

use crate::maintenance::datetime::Reading;
use crate::maintenance::model::{Circuit, Draft, Impact, Status};
use crate::maintenance::notice::Notice;

static SUBJECT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"ISSUE=(\d+)\W+PROJ=(\d+)").expect("valid regex"));

pub(super) fn read(notice: &Notice) -> Vec<Draft> {
    let subject = SUBJECT.captures(&notice.subject);
    let reading = Reading::day_first();
    let summary = notice
        .pages()
        .flat_map(|p| p.lines.iter())
        .flat_map(|l| l.cells.iter())
        .find_map(|cell| {
            // "- Update - There are no new updates."
            let lower = cell.to_lowercase();
            let at = lower.find("update - ")?;
            Some(cell[at + "update - ".len()..].trim().to_string())
        });
    vec![Draft {
        maintenance_id: super::field(notice, &["Ticket Number"])
            .or_else(|| subject.as_ref().map(|c| c[1].to_string())),
        account: subject.as_ref().map(|c| c[2].to_string()),
        start: super::field(
            notice,
            &["Scheduled Start Date & Time", "Scheduled Start Date"],
        )
        .and_then(|t| reading.read(&t)),
        end: super::field(notice, &["Scheduled End Date & Time", "Scheduled End Date"])
            .and_then(|t| reading.read(&t)),
        circuits: super::field(notice, &["Service ID", "Service IDs", "Circuit ID"])
            .map(|ids| {
                super::split_ids(&ids)
                    .into_iter()
                    .map(|id| Circuit::new(id, Impact::Outage))
                    .collect()
            })
            .unwrap_or_default(),
        status: Some(super::status_in_words(&notice.subject).unwrap_or(Status::Confirmed)),
        summary,
        ..Draft::default()
    }]
}
