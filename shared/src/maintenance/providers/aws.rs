//! AWS Direct Connect: a plain-text notice listing the connection ids one per line. AWS gives no ticket
//! number, so the id is derived from the window and the connections, the same way the reference library
//! derives it, so both tools name the same maintenance alike.

use std::sync::LazyLock;

use regex_lite::Regex;
use sha2::{Digest, Sha256};

use crate::maintenance::datetime::Reading;
use crate::maintenance::model::{Circuit, Draft, Impact, Status};
use crate::maintenance::notice::Notice;

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
        if lower.contains("planned maintenance") {
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
    if let (Some(start), Some(end)) = (draft.start, draft.end) {
        let mut seed = format!("{start}{end}");
        for circuit in &draft.circuits {
            seed.push_str(&circuit.circuit_id);
        }
        draft.maintenance_id = Some(hex_sha256(&seed));
    }
    vec![draft]
}

pub(super) fn hex_sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
