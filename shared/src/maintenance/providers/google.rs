//! Google peering NOC: "Start Time: 2023-12-05 20:55:00 +0000 UTC", the peer ASN and one row per BGP
//! session pair ("Google Neighbor Address(es)" / "Peer Neighbor Address(es)"). Newer notices put the
//! status in the subject ("[Completed] ...", "[Canceled] ...") and some give no End Time: Google means a
//! short intervention then, read as one hour, as the reference library does.

use std::sync::LazyLock;

use regex_lite::Regex;

use crate::maintenance::datetime::Reading;
use crate::maintenance::model::{Circuit, Draft, Impact, Status};
use crate::maintenance::notice::Notice;
use crate::maintenance::page::squash;

static REFERENCE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r" - Reference (\S+)").expect("valid regex"));
/// "[Scheduled] Google Planned Network Maintenance Notification - ...": the bracketed status and the title.
static SUBJECT_STATUS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\[(\S+)\]\s+(.*)").expect("valid regex"));
static PEER_ASN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"Peer ASN:\s*(\d+)").expect("valid regex"));
static SESSION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"Google Neighbor Address\(es\):\s*(\S+)\s+Peer Neighbor\s+Address\(es\):\s*(\S+)")
        .expect("valid regex")
});

pub(super) fn read(notice: &Notice) -> Vec<Draft> {
    let reading = Reading::month_first();
    let subject = SUBJECT_STATUS.captures(&notice.subject);
    let heading = notice
        .pages()
        .flat_map(|p| p.lines.iter())
        .flat_map(|l| l.cells.iter())
        .find(|c| c.contains(" - Reference ") && REFERENCE.is_match(c))
        .map(|c| c.trim().to_string());
    let mut draft = Draft {
        maintenance_id: REFERENCE
            .captures(&notice.subject)
            .or_else(|| heading.as_deref().and_then(|h| REFERENCE.captures(h)))
            .map(|c| c[1].to_string()),
        // The heading's "Google" is the logo; the notice title is what follows it.
        summary: heading
            .map(|h| h.strip_prefix("Google ").unwrap_or(&h).to_string())
            .or_else(|| subject.as_ref().map(|c| c[2].trim().to_string())),
        start: super::field(notice, &["Start Time"]).and_then(|t| reading.read(&t)),
        end: super::field(notice, &["End Time"]).and_then(|t| reading.read(&t)),
        account: super::field(notice, &["Peer ASN"])
            .filter(|a| a.chars().all(|c| c.is_ascii_digit())),
        status: Some(
            subject
                .as_ref()
                .map_or(Status::Confirmed, |c| status(&c[1])),
        ),
        ..Draft::default()
    };
    if draft.end.is_none() && super::field(notice, &["End Time"]).is_none() {
        draft.end = draft.start.map(|start| start + 3600);
    }
    for page in notice.html.iter() {
        for line in &page.lines {
            let cells: Vec<&str> = line.cells.iter().map(|c| c.trim()).collect();
            let google = cells
                .iter()
                .position(|c| squash(c) == "googleneighboraddress(es)");
            let peer = cells
                .iter()
                .position(|c| squash(c) == "peerneighboraddress(es)");
            if let (Some(g), Some(p)) = (google, peer)
                && let (Some(ga), Some(pa)) = (cells.get(g + 1), cells.get(p + 1))
            {
                draft
                    .circuits
                    .push(Circuit::new(format!("{ga}-{pa}"), Impact::Outage));
            }
        }
    }
    if draft.circuits.is_empty() || draft.account.is_none() {
        // Plain-text bodies wrap these rows across lines.
        let text = notice.plain.join("\n");
        let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if draft.circuits.is_empty() {
            draft.circuits = SESSION
                .captures_iter(&flat)
                .map(|c| Circuit::new(format!("{}-{}", &c[1], &c[2]), Impact::Outage))
                .collect();
        }
        if draft.account.is_none() {
            draft.account = PEER_ASN.captures(&flat).map(|c| c[1].to_string());
        }
    }
    vec![draft]
}

fn status(word: &str) -> Status {
    let word = word.to_lowercase();
    if word.contains("completed") {
        Status::Completed
    } else if word.contains("cancel") {
        Status::Cancelled
    } else {
        Status::Confirmed
    }
}
