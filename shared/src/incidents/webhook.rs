//! The edge of the VictorOps webhook: who may call it (the shared secret; the legacy escalation
//! webhook's form and signature are in `escalation`) and what a body must look like before any
//! logic runs.

use serde::Deserialize;
use sha2::Digest as _;
use subtle::ConstantTimeEq;

use super::lifecycle::{Delivery, IncidentNumber, Phase, shorten};
use crate::log_text::escape;
use crate::secret::Secret;

/// Why a request was refused before anything happened. All are the caller's fault (4xx).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("unauthorized: {0}")]
    Unauthorized(&'static str),
    #[error("bad request: {0}")]
    BadRequest(String),
}

/// True when `given` equals `expected`; the time taken does not depend on where they differ, nor
/// on the secret's length (both sides are hashed first).
pub fn secret_matches(given: &str, expected: &Secret) -> bool {
    let a = sha2::Sha256::digest(given.as_bytes());
    let b = sha2::Sha256::digest(expected.expose().as_bytes());
    a.as_slice().ct_eq(b.as_slice()).into()
}

/// The body the outgoing-webhook template (docs/victorops-webhook.md) produces. Every key is required except
/// `entity_display_name` (free text, which VictorOps does not escape); unknown keys are refused so a
/// mistyped template is noticed on its first delivery.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OutgoingBody {
    source: String,
    incident_number: String,
    incident_name: String,
    phase: String,
    entity_id: String,
    #[serde(default)]
    entity_display_name: Option<String>,
    entity_state: String,
    message_type: String,
    monitoring_tool: String,
    routing_key: String,
    team: String,
    ack_user: String,
    acked_by: Option<String>,
    resolved_by: Option<String>,
    alert_count: u64,
    incident_timestamp: i64,
    last_timestamp: i64,
}

const PLACEHOLDER: &str = "${{";

fn person(name: Option<&str>) -> Option<String> {
    name.map(str::trim)
        .filter(|n| !n.is_empty() && !n.eq_ignore_ascii_case("SYSTEM") && *n != "null")
        .map(str::to_owned)
}

fn millis(field: &str, value: i64) -> Result<jiff::Timestamp, Refusal> {
    // VictorOps sends epoch milliseconds; anything before 2000 or after 2200 is a template or clock
    // mistake (and far-future times would overflow the reminder arithmetic).
    if !(946_684_800_000..7_258_118_400_000).contains(&value) {
        return Err(Refusal::BadRequest(format!(
            "{field} must be epoch milliseconds (got {value})"
        )));
    }
    jiff::Timestamp::from_millisecond(value)
        .map_err(|_| Refusal::BadRequest(format!("{field} is out of range (got {value})")))
}

pub(super) fn required(field: &str, value: &str) -> Result<String, Refusal> {
    let v = value.trim();
    if v.is_empty() {
        return Err(Refusal::BadRequest(format!("{field} is empty")));
    }
    if v.chars().count() > 1024 {
        return Err(Refusal::BadRequest(format!(
            "{field} is longer than 1024 characters"
        )));
    }
    Ok(v.to_owned())
}

/// Parses a custom outgoing webhook body (JSON from the template in docs/victorops-webhook.md).
pub fn parse_outgoing(body: &[u8]) -> Result<Delivery, Refusal> {
    let text = std::str::from_utf8(body)
        .map_err(|_| Refusal::BadRequest("the body is not UTF-8".into()))?;
    if text.trim().is_empty() {
        return Err(Refusal::BadRequest("the body is empty".into()));
    }
    // serde's message quotes the body (an unknown key, a bad value): escaped, as it ends up in
    // the log and in the answer.
    let raw: OutgoingBody = serde_json::from_str(text).map_err(|e| {
        Refusal::BadRequest(format!(
            "the body does not follow the payload template in docs/victorops-webhook.md: {}",
            escape(&e.to_string())
        ))
    })?;
    let fields = [
        ("incident_number", raw.incident_number.as_str()),
        ("incident_name", raw.incident_name.as_str()),
        ("phase", raw.phase.as_str()),
        ("entity_id", raw.entity_id.as_str()),
        ("routing_key", raw.routing_key.as_str()),
        ("entity_state", raw.entity_state.as_str()),
        ("message_type", raw.message_type.as_str()),
        ("monitoring_tool", raw.monitoring_tool.as_str()),
        ("team", raw.team.as_str()),
        ("ack_user", raw.ack_user.as_str()),
    ];
    if let Some((name, _)) = fields.iter().find(|(_, v)| v.contains(PLACEHOLDER)) {
        return Err(Refusal::BadRequest(format!(
            "{name} still holds a template variable: VictorOps did not substitute it"
        )));
    }
    if raw.source != "victorops" {
        return Err(Refusal::BadRequest(format!(
            "source must be \"victorops\" (got {:?})",
            shorten(&raw.source)
        )));
    }
    let number = IncidentNumber::parse(&raw.incident_number).map_err(Refusal::BadRequest)?;
    let phase = Phase::parse(raw.phase.trim()).ok_or_else(|| {
        Refusal::BadRequest(format!(
            "phase must be UNACKED, ACKED or RESOLVED (INCIDENT.CURRENT_PHASE; got {:?})",
            shorten(&raw.phase)
        ))
    })?;
    let triggered = millis("incident_timestamp", raw.incident_timestamp)?;
    let last = millis("last_timestamp", raw.last_timestamp)?;
    let user = match phase {
        Phase::Unacked => None,
        Phase::Acked => person(raw.acked_by.as_deref()).or_else(|| person(Some(&raw.ack_user))),
        Phase::Resolved => person(raw.resolved_by.as_deref())
            .or_else(|| person(raw.acked_by.as_deref()))
            .or_else(|| person(Some(&raw.ack_user))),
    };
    let entity_id = required("entity_id", &raw.entity_id)?;
    let display_name = raw
        .entity_display_name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty() && !n.contains(PLACEHOLDER))
        .map(shorten)
        .unwrap_or_else(|| entity_id.clone());
    let _ = raw.alert_count;
    Ok(Delivery {
        number,
        phase,
        routing_key: required("routing_key", &raw.routing_key)?,
        entity_id,
        display_name,
        user,
        at: if phase == Phase::Unacked {
            triggered
        } else {
            last
        },
        source: "outgoing-webhook",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_matches_only_itself() {
        let s = Secret::new("s3cr3t");
        assert!(secret_matches("s3cr3t", &s));
        assert!(!secret_matches("s3cr3", &s));
        assert!(!secret_matches("", &s));
    }

    fn body(phase: &str, acked_by: &str) -> String {
        format!(
            r##"{{"source":"victorops","incident_number":"1873","incident_name":"#1873","phase":"{phase}",
            "entity_id":"disk-space/db01","entity_display_name":"Disk","entity_state":"CRITICAL",
            "message_type":"CRITICAL","monitoring_tool":"prometheus","routing_key":"sre","team":"t",
            "ack_user":"SYSTEM","acked_by":"{acked_by}","resolved_by":"","alert_count":1,
            "incident_timestamp":1767261000123,"last_timestamp":1767261240512}}"##
        )
    }

    #[test]
    fn a_template_body_becomes_a_delivery() {
        let d = parse_outgoing(body("ACKED", "jdoe").as_bytes()).unwrap();
        assert_eq!(d.phase, Phase::Acked);
        assert_eq!(d.user.as_deref(), Some("jdoe"));
        assert_eq!(d.at.as_millisecond(), 1767261240512);
        let d = parse_outgoing(body("UNACKED", "").as_bytes()).unwrap();
        assert_eq!(d.user, None);
        assert_eq!(d.at.as_millisecond(), 1767261000123);
    }

    #[test]
    fn bodies_off_the_template_are_refused_with_the_reason() {
        let cases = [
            (String::new(), "empty"),
            ("{".to_owned(), "template"),
            (body("OPEN", ""), "phase must be"),
            (body("${{INCIDENT.CURRENT_PHASE}}", ""), "template variable"),
            (
                body("ACKED", "").replace("\"team\":\"t\",", ""),
                "missing field `team`",
            ),
            (
                body("ACKED", "").replace("\"team\"", "\"teams\""),
                "unknown field",
            ),
            (
                body("ACKED", "").replace("1767261000123", "17"),
                "epoch milliseconds",
            ),
            (
                body("ACKED", "").replace("1767261000123", "253402300799000"),
                "epoch milliseconds",
            ),
            (body("ACKED", "").replace("\"1873\"", "\"18x\""), "digits"),
            (
                body("ACKED", "").replace("\"1873\"", "\" 1873 \""),
                "nothing around them",
            ),
            (
                body("ACKED", "").replace("\"1873\"", "\"01873\""),
                "must not start with 0",
            ),
        ];
        for (text, expected) in cases {
            let err = parse_outgoing(text.as_bytes()).unwrap_err().to_string();
            assert!(err.contains(expected), "{err} should mention {expected}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_body_is_parsed_or_refused_without_panicking(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            let _ = parse_outgoing(&bytes);
        }

        #[test]
        fn any_json_object_of_strings_is_parsed_or_refused_without_panicking(
            fields in proptest::collection::btree_map("[a-z_]{1,20}", ".{0,30}", 0..20)
        ) {
            let text = serde_json::to_string(&fields).unwrap_or_default();
            let _ = parse_outgoing(text.as_bytes());
        }

        #[test]
        fn a_template_body_with_any_phase_text_never_panics(phase in ".{0,20}", user in ".{0,20}") {
            let text = body("UNACKED", "").replace("\"UNACKED\"", &serde_json::to_string(&phase).unwrap_or_default())
                .replace("\"acked_by\":\"\"", &format!("\"acked_by\":{}", serde_json::to_string(&user).unwrap_or_default()));
            if let Ok(d) = parse_outgoing(text.as_bytes()) {
                proptest::prop_assert!(Phase::parse(phase.trim()).is_some());
                proptest::prop_assert!(d.user.as_deref().is_none_or(|u| !u.is_empty()));
            }
        }
    }
}
