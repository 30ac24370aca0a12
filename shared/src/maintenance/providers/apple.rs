//! Apple peering NOC (AS714): a plain-text notice per peering session, with a CHG ticket and the peer AS.

use std::sync::LazyLock;

use regex_lite::Regex;

use crate::maintenance::datetime::Reading;
use crate::maintenance::model::{Circuit, Draft, Impact, Status};
use crate::maintenance::notice::Notice;

static TICKET: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\bCHG\d+").expect("valid regex"));
static PEER_AS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)Peer AS(?:N)?:\s*(?:AS)?(\d+)").expect("valid regex"));

pub(super) fn read(notice: &Notice) -> Vec<Draft> {
    let text = notice.body_text();
    let reading = Reading::month_first();
    let start = super::field(notice, &["Start Time"]).and_then(|t| reading.read(&t));
    let mut circuits: Vec<Circuit> = Vec::new();
    for peer in PEER_AS.captures_iter(text) {
        let circuit = Circuit::new(format!("AS{}", &peer[1]), Impact::Outage);
        if !circuits.contains(&circuit) {
            circuits.push(circuit);
        }
    }
    vec![Draft {
        maintenance_id: TICKET.find(text).map(|m| m.as_str().to_string()),
        start,
        end: super::field(notice, &["End Time"]).and_then(|t| reading.read(&t)),
        // Apple's notices carry no issue date; the window start stands in for it, as in the reference library.
        stamp: start,
        circuits,
        status: Some(Status::Confirmed),
        // Apple does not name the customer account.
        account: Some("Customer info unavailable".to_string()),
        summary: Some(notice.subject.clone()),
        ..Draft::default()
    }]
}
