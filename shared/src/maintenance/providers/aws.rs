//! AWS Direct Connect: a plain-text notice listing the connection ids one per line. AWS gives no ticket
//! number, so the id is derived from the window and the connections, the same way the reference library
//! derives it, so both tools name the same maintenance alike. Newer notices give the window as "Start
//! Time:" / "End Time:" lines, or come as an AWS Health HTML mail ("Hello," ... "Affected account",
//! "Start time", "End time"); for those the library (2.12) hashes the connections before the window.

use std::sync::LazyLock;

use regex_lite::Regex;
use sha2::{Digest, Sha256};

use crate::maintenance::datetime::Reading;
use crate::maintenance::model::{Circuit, Draft, Impact, Status};
use crate::maintenance::notice::Notice;
use crate::maintenance::page::Page;

static ACCOUNT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\[?AWS Account ?I?D?:\s*(\d+)").expect("valid regex"));
static WINDOW: LazyLock<Regex> = LazyLock::new(|| {
    let stamp = r"[A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2,9} \d{4} \d{2}:\d{2}:\d{2} [A-Z]{2,4}";
    Regex::new(&format!(r"from ({stamp}) to ({stamp})")).expect("valid regex")
});
/// Direct Connect resource ids: dxcon-xxxxxxxx, dxlag-..., dxvif-... (and the anonymised aaaaa-0000000n).
static RESOURCE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-z]{5}-[a-z0-9]{8,17}$").expect("valid regex"));

pub(super) fn read(notice: &Notice) -> Vec<Draft> {
    let text = if notice.plain.is_empty() {
        notice.body_text().to_string()
    } else {
        notice.plain.join("\n")
    };
    let reading = Reading::month_first();
    let mut draft = Draft {
        account: ACCOUNT
            .captures(&notice.subject)
            .or_else(|| ACCOUNT.captures(&text))
            .map(|c| c[1].to_string())
            .or_else(|| super::field(notice, &["Account ID", "Account"]))
            // Notices to the payer account name no account; the reference library reports it empty.
            .or_else(|| Some(String::new())),
        status: Some(Status::Confirmed),
        ..Draft::default()
    };
    for line in text.lines() {
        let line = line.trim();
        let lower = line.to_lowercase();
        // The last paragraph mentioning the planned maintenance describes it, as the reference library reads it.
        if lower.contains("planned maintenance") || lower.contains("maintenance has been scheduled")
        {
            draft.summary = Some(line.to_string());
        }
        if let Some(window) = WINDOW.captures(line) {
            draft.start = draft.start.or_else(|| reading.read(&window[1]));
            draft.end = draft.end.or_else(|| reading.read(&window[2]));
        }
        if RESOURCE.is_match(line) {
            draft.circuits.push(Circuit::new(line, Impact::Outage));
        }
        if lower.contains("has been cancelled") || lower.contains("has been canceled") {
            draft.status = Some(Status::Cancelled);
        }
    }
    draft.start = draft
        .start
        .or_else(|| super::field(notice, &["Start Time"]).and_then(|t| reading.read(&t)));
    draft.end = draft
        .end
        .or_else(|| super::field(notice, &["End Time"]).and_then(|t| reading.read(&t)));
    let newer_layout = super::field(notice, &["Start Time"]).is_some();
    if let Some(page) = notice
        .html
        .iter()
        .find(|p| p.field(&["Affected account"]).is_some())
    {
        read_health_layout(page, &mut draft);
    }
    if let (Some(start), Some(end)) = (draft.start, draft.end) {
        let circuits: String = draft
            .circuits
            .iter()
            .map(|c| c.circuit_id.as_str())
            .collect();
        let seed = if newer_layout {
            format!("{circuits}{start}{end}")
        } else {
            format!("{start}{end}{circuits}")
        };
        draft.maintenance_id = Some(hex_sha256(&seed));
    }
    vec![draft]
}

/// The AWS Health mail: the message runs from "Hello," to the support link, and the account is a field
/// of the message metadata below it.
fn read_health_layout(page: &Page, draft: &mut Draft) {
    let rows: Vec<&str> = page.rows().collect();
    if let Some(hello) = rows.iter().position(|r| *r == "Hello,") {
        let end = rows[hello..]
            .iter()
            .position(|r| r.starts_with("[1] https://aws.amazon.com/support"))
            .map_or(rows.len(), |n| hello + n);
        draft.summary = Some(rows[hello..end].join(" "));
    }
    if draft.account.as_deref().is_none_or(str::is_empty) {
        draft.account = page.field(&["Affected account"]);
    }
}

pub(super) fn hex_sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
