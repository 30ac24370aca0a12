//! Colt: the subject carries ticket, window and status ("MAINTENANCE ALERT: CRQ1-1 31/10/2021 00:00:00 GMT -
//! 31/10/2021 07:30:00 GMT - COMPLETED", "Cancellation Colt Third Party Maintenance Notification - CRQ1-1
//! [07/12/2021 23:00:00 GMT - 08/12/2021 05:00:00 GMT] for ACME, 123456"); the services and the customer
//! number (OCN) come in a CSV attachment. Dates are day first.

use std::sync::LazyLock;

use regex_lite::Regex;

use crate::maintenance::datetime::Reading;
use crate::maintenance::model::{Circuit, Draft, Impact, Status};
use crate::maintenance::notice::Notice;
use crate::maintenance::page::squash;

static TICKET: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\bCRQ\w*-\w+").expect("valid regex"));
static STAMP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\d{1,2}/\d{1,2}/\d{4}\s+\d{1,2}:\d{2}(?::\d{2})?\s*(?:\(?[A-Z]{2,4}\)?)?")
        .expect("valid regex")
});

pub(super) fn read(notice: &Notice) -> Vec<Draft> {
    // "[ EXTERNAL ]", "[list-name]" and "Fwd:" prefixes say nothing about the notice.
    let subject = strip_tags(&notice.subject);
    let reading = Reading::day_first();
    let ticket = TICKET.find(&subject).map(|m| m.as_str().to_string());
    let stamps: Vec<i64> = STAMP
        .find_iter(&subject)
        .filter_map(|m| reading.read(m.as_str()))
        .collect();
    let (title, status) = read_subject(&subject);
    let mut draft = Draft {
        maintenance_id: ticket.or_else(|| {
            super::field(notice, &["Planned Work (PW)Ref.", "Planned Work (PW) Ref."]).or_else(
                || {
                    TICKET
                        .find(notice.body_text())
                        .map(|m| m.as_str().to_string())
                },
            )
        }),
        start: stamps.first().copied().or_else(|| {
            super::field(notice, &["Start Date & Time", "Start Date and Time"])
                .and_then(|t| reading.read(&t))
        }),
        end: stamps.get(1).copied().or_else(|| {
            super::field(notice, &["End Date & Time", "End Date and Time"])
                .and_then(|t| reading.read(&t))
        }),
        status: Some(status),
        summary: title,
        ..Draft::default()
    };
    for csv in &notice.csv {
        read_services(csv, &mut draft);
    }
    if draft.account.is_none() {
        // "... for ACME, 123456": the OCN closes the subject.
        draft.account = subject
            .rsplit_once(',')
            .map(|(_, tail)| tail.trim().to_string())
            .filter(|t| !t.is_empty() && t.chars().all(|c| c.is_ascii_digit()));
    }
    vec![draft]
}

fn strip_tags(subject: &str) -> String {
    let mut rest = subject.trim();
    loop {
        let lower = rest.to_lowercase();
        if rest.starts_with('[') {
            match rest.find(']') {
                Some(close) => rest = rest[close + 1..].trim_start(),
                None => break,
            }
        } else if lower.starts_with("fwd:") || lower.starts_with("fw:") || lower.starts_with("re:")
        {
            rest = rest[rest.find(':').map_or(0, |c| c + 1)..].trim_start();
        } else {
            break;
        }
    }
    rest.replace(['\r', '\n'], " ")
}

/// Summary and status from the subject. Alerts read "MAINTENANCE ALERT: ... - COMPLETED" or "... is about
/// to START"; notifications read "<Word> Colt ... Notification - CRQ...", where the first word is the kind
/// of notice ("Cancellation", or "Colt" itself for a plain notification).
fn read_subject(subject: &str) -> (Option<String>, Status) {
    if let Some((head, tail)) = subject.split_once(':')
        && squash(head).ends_with("alert")
    {
        let tail = tail.trim_end().to_uppercase();
        let status = if tail.ends_with("START") {
            Status::InProcess
        } else if tail.ends_with("COMPLETED") {
            Status::Completed
        } else if tail.contains("CANCEL") {
            Status::Cancelled
        } else {
            Status::Confirmed
        };
        return (Some(head.trim().to_string()), status);
    }
    let head = subject.split(" - CRQ").next().unwrap_or(subject).trim();
    let head = head.split(" [").next().unwrap_or(head).trim();
    let (first, rest) = head.split_once(' ').unwrap_or((head, ""));
    let status = match first.to_lowercase().as_str() {
        "cancellation" | "cancelled" | "canceled" => Status::Cancelled,
        "reschedule" | "rescheduled" | "update" | "amendment" => Status::ReScheduled,
        "completion" | "completed" => Status::Completed,
        _ => Status::Confirmed,
    };
    let summary = if rest.is_empty() { head } else { rest.trim() };
    ((!summary.is_empty()).then(|| summary.to_string()), status)
}

/// Circuit ids and the customer number from the services CSV (tab or comma separated).
fn read_services(csv: &str, draft: &mut Draft) {
    let csv = csv.trim_start_matches('\u{feff}');
    let delimiter = if csv.lines().next().is_some_and(|l| l.contains('\t')) {
        b'\t'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(csv.as_bytes());
    let Ok(headers) = reader.headers().cloned() else {
        return;
    };
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let Some(circuit_col) = column("Circuit ID") else {
        return;
    };
    let ocn_col = column("OCN");
    for record in reader.records().flatten() {
        let Some(id) = record
            .get(circuit_col)
            .map(str::trim)
            .filter(|id| !id.is_empty())
        else {
            continue;
        };
        draft.circuits.push(Circuit::new(id, Impact::Outage));
        if draft.account.is_none() {
            // "OCN: 123456" -> "123456".
            draft.account = ocn_col
                .and_then(|c| record.get(c))
                .map(|ocn| {
                    ocn.chars()
                        .skip_while(|c| !c.is_ascii_digit())
                        .take_while(char::is_ascii_digit)
                        .collect::<String>()
                })
                .filter(|ocn| !ocn.is_empty());
        }
    }
}
