//! Momentum Telecom: the subject is "Momentum Data Services | Planned Network Maintenance , | Customer |
//! | <ticket> | [ ref:... ]"; the body has "Account:", "Circuit ID(s) impacted:", start/finish and reason.

use crate::maintenance::datetime::Reading;
use crate::maintenance::model::{Circuit, Draft, Impact, Status};
use crate::maintenance::notice::Notice;

pub(super) fn read(notice: &Notice) -> Vec<Draft> {
    let parts: Vec<&str> = notice.subject.split('|').map(str::trim).collect();
    let ticket = parts
        .get(4)
        .filter(|t| !t.is_empty())
        .or_else(|| {
            parts
                .iter()
                .skip(1)
                .find(|p| p.len() >= 5 && p.chars().all(|c| c.is_ascii_digit()))
        })
        .map(|t| t.to_string());
    let reading = Reading::month_first();
    let circuits = super::field(
        notice,
        &["Circuit ID(s) impacted", "Circuit ID(s)", "Circuit ID"],
    )
    .map(|ids| {
        super::split_ids(&ids)
            .into_iter()
            .map(|id| Circuit::new(id, Impact::Outage))
            .collect()
    })
    .unwrap_or_default();
    vec![Draft {
        maintenance_id: ticket,
        account: super::field(notice, &["Account"]),
        start: super::field(notice, &["Maintenance start date/time"])
            .and_then(|t| reading.read(&t)),
        end: super::field(
            notice,
            &["Maintenance finish date/time", "Maintenance end date/time"],
        )
        .and_then(|t| reading.read(&t)),
        summary: super::field(notice, &["Reason for Maintenance"]).map(|s| without_tag_debris(&s)),
        circuits,
        status: Some(
            super::status_in_words(parts.get(1).copied().unwrap_or(""))
                .unwrap_or(Status::Confirmed),
        ),
        ..Draft::default()
    }]
}

/// Momentum's editor leaves broken markup such as "/font>" in the text; it is not part of the reason.
fn without_tag_debris(text: &str) -> String {
    text.split_whitespace()
        .filter(|w| {
            !(w.ends_with('>')
                && w.trim_start_matches('/')
                    .trim_end_matches('>')
                    .chars()
                    .all(char::is_alphanumeric))
        })
        .collect::<Vec<_>>()
        .join(" ")
}
