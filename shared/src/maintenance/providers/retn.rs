//! RETN: the subject carries the ticket and the customer ("[RETN.NET Ticket#PW-40135152]: Planned Works
//! Notification CID#133337"); the HTML body heads the ticket's state ("Ticket Opened", "Ticket Resolved"),
//! gives "Planned start time: 07.05.2026 16:00 GMT" (day first), then per impact a heading such as "The
//! following services will face a complete loss of service:" over one service id per line, and a
//! "Description" heading over the summary.

use std::sync::LazyLock;

use regex_lite::Regex;

use crate::maintenance::datetime::Reading;
use crate::maintenance::model::{Circuit, Draft, Impact, Status};
use crate::maintenance::notice::Notice;

static SUBJECT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"Ticket#\s*([A-Z]+-[0-9]+)\].*CID#\s*([0-9]+)").expect("valid regex")
});

pub(super) fn read(notice: &Notice) -> Vec<Draft> {
    let subject = SUBJECT.captures(&notice.subject);
    let reading = Reading::day_first();
    let mut draft = Draft {
        maintenance_id: subject.as_ref().map(|c| c[1].to_string()),
        account: subject.as_ref().map(|c| c[2].to_string()),
        start: super::field(notice, &["Planned start time"]).and_then(|t| reading.read(&t)),
        end: super::field(notice, &["Planned end time"]).and_then(|t| reading.read(&t)),
        ..Draft::default()
    };
    let Some(page) = notice.html.first().or_else(|| notice.pages().next()) else {
        return vec![draft];
    };
    let rows: Vec<&str> = page.rows().collect();
    let mut impact: Option<Impact> = None;
    for (at, row) in rows.iter().enumerate() {
        let lower = row.to_lowercase();
        if let Some(status) = heading_status(&lower) {
            draft.status = Some(status);
        }
        if lower.trim_end_matches(':') == "description" {
            impact = None;
            draft.summary = rows.get(at + 1).map(|s| s.to_string());
        } else if lower.contains("description") {
            impact = None;
        } else if is_service_heading(&lower) {
            impact = Some(impact_of(&lower));
        } else if let Some(impact) = impact {
            draft.circuits.push(Circuit::new(*row, impact));
        }
    }
    // A notice whose heading states no change of the ticket (a plain reminder) keeps what was announced.
    draft.status = draft.status.or(Some(Status::NoChange));
    vec![draft]
}

fn heading_status(lower: &str) -> Option<Status> {
    if lower.contains("ticket opened") {
        Some(Status::Confirmed)
    } else if lower.contains("ticket resolved") {
        Some(Status::Completed)
    } else if lower.contains("rescheduling update") {
        Some(Status::ReScheduled)
    } else if lower.contains("new update") {
        Some(Status::InProcess)
    } else if lower.contains("ticket cancelled") || lower.contains("ticket canceled") {
        Some(Status::Cancelled)
    } else {
        None
    }
}

/// The heading over a list of services: it names the services and ends in a colon.
fn is_service_heading(lower: &str) -> bool {
    lower.contains("service") && lower.ends_with(':') && !lower.starts_with("planned")
}

fn impact_of(heading: &str) -> Impact {
    if heading.contains("complete loss") {
        Impact::Outage
    } else if heading.contains("flaps")
        || heading.contains("at risk")
        || heading.contains("rtt increas")
    {
        Impact::ReducedRedundancy
    } else {
        Impact::NoImpact
    }
}
