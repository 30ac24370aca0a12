//! Cogent: a short text (often HTML) with "Start time: 12:00 AM (local time) 06/12/2021" lines. "Local
//! time" is the time at the affected city named in "Cogent customers receiving service in San Jose, CA";
//! numeric dates are day first unless that cannot be (11/19/2022).

use std::sync::LazyLock;

use regex_lite::Regex;

use crate::maintenance::datetime::Reading;
use crate::maintenance::model::{Circuit, Draft, Impact, Status};
use crate::maintenance::notice::Notice;
use crate::maintenance::zones::{Zone, zone_of_place};

static PLACE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:\bin|\bnear|\baround)\s+(?:the\s+(?:greater\s+)?)?([A-Z][A-Za-z.'-]*(?:\s+[A-Z][A-Za-z.'-]*)*,\s*[A-Za-z][A-Za-z ]*?)(?:\s+(?:metro|area|will|region)\b|[.;]|$)")
        .expect("valid regex")
});

pub(super) fn read(notice: &Notice) -> Vec<Draft> {
    let mut lines: Vec<String> = Vec::new();
    for page in notice.pages() {
        for line in &page.lines {
            for cell in &line.cells {
                lines.extend(cell.lines().map(|l| l.trim().to_string()));
            }
        }
    }
    let value_of = |label: &str| {
        lines.iter().find_map(|l| {
            let rest = l.strip_prefix(label)?;
            Some(rest.trim_start_matches(':').trim().to_string())
        })
    };
    let place_zone = lines
        .iter()
        .filter(|l| l.starts_with("Cogent customers"))
        .find_map(|l| PLACE.captures(l).and_then(|c| zone_of_place(&c[1])));
    let reading = Reading::day_first().zone(place_zone.unwrap_or(Zone::UTC));
    let mut circuits = Vec::new();
    if let Some(ids) = value_of("Order ID(s) impacted") {
        circuits = super::split_ids(&ids)
            .into_iter()
            .map(|id| Circuit::new(id, Impact::Outage))
            .collect();
    }
    // The HTML notice opens with a headline ("Router Code Upgrade Planned Network Maintenance"); the
    // plain-text one describes the work in its "During this maintenance ..." paragraph.
    let summary = lines
        .iter()
        .find(|l| l.ends_with("Network Maintenance") && !l.starts_with("Subject"))
        .or_else(|| {
            lines
                .iter()
                .find(|l| l.starts_with("During this maintenance"))
        })
        .or_else(|| {
            lines
                .iter()
                .find(|l| l.starts_with("Cogent customers receiving service"))
        })
        .cloned();
    vec![Draft {
        account: super::salutation(notice),
        maintenance_id: value_of("Work order number"),
        start: value_of("Start time").and_then(|t| reading.read(&t)),
        end: value_of("End time").and_then(|t| reading.read(&t)),
        circuits,
        summary,
        status: Some(status(notice, &lines)),
        ..Draft::default()
    }]
}

/// The subject says what kind of notice this is; when forwarded or printed from a mail client, the
/// original subject survives as the page title or a "Subject:" line.
fn status(notice: &Notice, lines: &[String]) -> Status {
    let mut headlines = vec![notice.subject.as_str()];
    headlines.extend(notice.html.iter().map(|p| p.title.as_str()));
    headlines.extend(lines.iter().filter_map(|l| l.strip_prefix("Subject:")));
    for headline in headlines {
        let lower = headline
            .trim()
            .trim_start_matches("fwd:")
            .trim()
            .to_lowercase();
        let lower = lower
            .trim_start_matches("fwd:")
            .trim_start_matches("fw:")
            .trim();
        if lower.starts_with("correction") || lower.contains("rescheduled") {
            return Status::ReScheduled;
        }
        if lower.contains("cancellation") || lower.contains("cancelled") {
            return Status::Cancelled;
        }
        if lower.contains("completed") {
            return Status::Completed;
        }
        if lower.contains("planned") || lower.contains("provider") || lower.contains("emergency") {
            return Status::Confirmed;
        }
    }
    Status::Confirmed
}
