//! HGC Global Communications: "Label : value" rows (or "Label: value" spans) in HTML; the ticket closes the
//! subject ("... | CIR000001 | TIC000000000000001" or "... (TIC000000000000001)").

use crate::maintenance::datetime::Reading;
use crate::maintenance::model::{Circuit, Draft, Impact, Status};
use crate::maintenance::notice::Notice;

pub(super) fn read(notice: &Notice) -> Vec<Draft> {
    let subject = notice.subject.replace(['\r', '\n'], "");
    let subject = subject.trim();
    let ticket = match subject.strip_suffix(')').and_then(|s| s.rsplit_once('(')) {
        Some((_, id)) => Some(id.trim().to_string()),
        None => subject
            .rsplit_once(" | ")
            .map(|(_, id)| id.trim().to_string()),
    };
    let reading = Reading::month_first();
    let circuits = super::field(notice, &["Circuit ID", "Circuit IDs"])
        .map(|ids| {
            super::split_ids(&ids)
                .into_iter()
                .map(|id| Circuit::new(id, Impact::Outage))
                .collect()
        })
        .unwrap_or_default();
    vec![Draft {
        maintenance_id: ticket.filter(|t| !t.is_empty()),
        account: super::field(notice, &["Customer"]),
        start: super::field(
            notice,
            &[
                "Maintenance Window start date & time",
                "Maintenance Window start date",
            ],
        )
        .and_then(|t| reading.read(&t)),
        end: super::field(
            notice,
            &[
                "Maintenance Window end date & time",
                "Maintenance Window end date",
            ],
        )
        .and_then(|t| reading.read(&t)),
        summary: super::field(notice, &["Description"]),
        circuits,
        status: Some(Status::Confirmed),
        ..Draft::default()
    }]
}
