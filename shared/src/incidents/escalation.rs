//! The legacy VictorOps escalation webhook at the edge: a form of exactly VictorOps' fields, and its
//! `X-VictorOps-Signature`. VictorOps signs the URL followed by every `key + value` pair sorted by
//! key, joined without separators; that is their format, so it is kept, but it means a signature
//! vouches for a form only when the keys are known in advance and the signed text splits into them
//! one way.

use base64::Engine as _;
use hmac::Mac;

use super::lifecycle::{Delivery, IncidentNumber, Phase, shorten};
use super::webhook::{Refusal, required};
use crate::log_text::escape;
use crate::secret::Secret;

/// The fields VictorOps' escalation webhook posts, sorted by key: the order they are signed in.
pub const ESCALATION_FIELDS: [&str; 7] = [
    "entity_id",
    "incident",
    "message",
    "message_type",
    "monitoring_tool",
    "routing_key",
    "summary",
];

/// A delivery is a few hundred bytes; a larger form is refused unread (and the split check below
/// stays cheap).
pub const MAX_FORM_BYTES: usize = 64 * 1024;

/// A form body holding exactly [`ESCALATION_FIELDS`], each once; not yet verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscalationForm {
    /// The values, in the order of [`ESCALATION_FIELDS`].
    values: [String; ESCALATION_FIELDS.len()],
}

impl EscalationForm {
    /// Decodes a form body. A key outside [`ESCALATION_FIELDS`], a repeated one or a missing one is
    /// refused before the signature is looked at: with no separator between key and value, a
    /// captured signature also covers forms whose key/value boundaries were shifted
    /// (`summary=X` → `summar=yX`), so only the exact key set can be trusted.
    pub fn parse(body: &[u8]) -> Result<Self, Refusal> {
        if body.len() > MAX_FORM_BYTES {
            return Err(Refusal::BadRequest(format!(
                "the form body is {} bytes, more than the {MAX_FORM_BYTES} accepted",
                body.len()
            )));
        }
        let mut values: [Option<String>; ESCALATION_FIELDS.len()] = Default::default();
        for (key, value) in form_urlencoded::parse(body) {
            let Some(at) = ESCALATION_FIELDS.iter().position(|f| *f == key) else {
                return Err(Refusal::BadRequest(format!(
                    "form field {:?} is not one the escalation webhook sends (expected exactly {})",
                    escape(&key),
                    ESCALATION_FIELDS.join(", ")
                )));
            };
            if values[at].replace(value.into_owned()).is_some() {
                return Err(Refusal::BadRequest(format!("form field {key} is repeated")));
            }
        }
        let missing: Vec<&str> = ESCALATION_FIELDS
            .iter()
            .zip(&values)
            .filter(|(_, v)| v.is_none())
            .map(|(k, _)| *k)
            .collect();
        if !missing.is_empty() {
            return Err(Refusal::BadRequest(format!(
                "form fields missing: {}",
                missing.join(", ")
            )));
        }
        Ok(Self {
            values: values.map(Option::unwrap_or_default),
        })
    }

    /// The value of one of [`ESCALATION_FIELDS`]; "" for any other name.
    pub fn get(&self, name: &str) -> &str {
        ESCALATION_FIELDS
            .iter()
            .position(|f| *f == name)
            .map_or("", |at| self.values[at].as_str())
    }

    fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        ESCALATION_FIELDS
            .iter()
            .copied()
            .zip(self.values.iter().map(String::as_str))
    }

    /// Checks `X-VictorOps-Signature` (in constant time) for this form posted to `url`.
    pub fn verify(&self, url: &str, key: &Secret, header: &str) -> Result<(), Refusal> {
        let pairs: String = self.pairs().flat_map(|(k, v)| [k, v]).collect();
        // A value holding the next key's name lets the same signed text be read as another form
        // (`message=…message_typeACKNOWLEDGEMENTmonitoring_tool…` can move the phase). The
        // signature cannot tell the two apart, so neither is trusted.
        if splits(&pairs, &ESCALATION_FIELDS) > 1 {
            return Err(Refusal::Unauthorized(
                "X-VictorOps-Signature cannot vouch for this form: its signed text also reads as another form",
            ));
        }
        let given = base64::engine::general_purpose::STANDARD
            .decode(header.trim())
            .map_err(|_| Refusal::Unauthorized("X-VictorOps-Signature is not base64"))?;
        let mut mac = hmac_sha1(key);
        mac.update(url.as_bytes());
        mac.update(pairs.as_bytes());
        mac.verify_slice(&given)
            .map_err(|_| Refusal::Unauthorized("X-VictorOps-Signature does not match"))
    }
}

/// The escalation signature exactly as VictorOps computes it for any form: base64 HMAC-SHA1 over
/// `url` followed by every `key + value` pair sorted by key (tests and tooling sign with it; the
/// webhook checks through [`EscalationForm::verify`]).
pub fn escalation_signature(url: &str, fields: &[(String, String)], key: &Secret) -> String {
    let mut sorted: Vec<&(String, String)> = fields.iter().collect();
    sorted.sort();
    let mut mac = hmac_sha1(key);
    mac.update(url.as_bytes());
    for (k, v) in sorted {
        mac.update(k.as_bytes());
        mac.update(v.as_bytes());
    }
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn hmac_sha1(key: &Secret) -> hmac::Hmac<sha1::Sha1> {
    // HMAC takes keys of any length, so this cannot fail.
    <hmac::Hmac<sha1::Sha1> as Mac>::new_from_slice(key.expose().as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"))
}

/// In how many ways `text` reads as `keys[0] value keys[1] value …` (each value any text, empty
/// too), counted up to 2. Keys are ASCII, so every byte position they match at is a character
/// boundary.
fn splits(text: &str, keys: &[&str]) -> u8 {
    let bytes = text.as_bytes();
    let n = bytes.len();
    // `after[p]`: the readings of text[p..] whose next key starts at p or later (saturated at 2).
    let mut after = vec![0u8; n + 2];
    for (i, key) in keys.iter().enumerate().rev() {
        let last = i + 1 == keys.len();
        // `at[p]`: the readings of text[p..] that start with this key at p.
        let mut at = vec![0u8; n + 2];
        for p in 0..=n {
            if bytes[p..].starts_with(key.as_bytes()) {
                at[p] = if last { 1 } else { after[p + key.len()] };
            }
        }
        if i == 0 {
            // The first key must open the text.
            return at[0];
        }
        for p in (0..=n).rev() {
            at[p] = at[p].saturating_add(at[p + 1]).min(2);
        }
        after = at;
    }
    1
}

/// Parses a verified escalation form. `message_type` gives the phase.
pub fn parse_escalation(form: &EscalationForm, now: jiff::Timestamp) -> Result<Delivery, Refusal> {
    let number = IncidentNumber::parse(form.get("incident")).map_err(Refusal::BadRequest)?;
    let phase = match form.get("message_type") {
        "CRITICAL" | "WARNING" => Phase::Unacked,
        "ACKNOWLEDGEMENT" => Phase::Acked,
        "RECOVERY" | "OK" => Phase::Resolved,
        other => {
            return Err(Refusal::BadRequest(format!(
                "message_type must be CRITICAL, WARNING, ACKNOWLEDGEMENT, RECOVERY or OK (got {:?})",
                shorten(other)
            )));
        }
    };
    let entity_id = required("entity_id", form.get("entity_id"))?;
    let summary = shorten(form.get("summary").trim());
    let display_name = if summary.is_empty() {
        entity_id.clone()
    } else {
        summary
    };
    Ok(Delivery {
        number,
        phase,
        routing_key: required("routing_key", form.get("routing_key"))?,
        entity_id,
        display_name,
        user: None,
        at: now,
        source: "escalation-webhook",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const VECTOR_URL: &str =
        "https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws/victorops/escalation";
    const VECTOR_KEY: &str = "V1ct0rOpsWebhookAuthKeyExample==";
    const VECTOR_SIGNATURE: &str = "FZ1ZmYZKbhxRHOv+k2clGL5uZlc=";
    const VECTOR_BODY: &str = "incident=1873&summary=Critically+low+disk+space+on+db01&message=Only+2%25+free+on+%2Fsrv&entity_id=disk-space%2Fdb01.example.org&message_type=CRITICAL&routing_key=sre&monitoring_tool=prometheus";

    fn pairs(body: &str) -> Vec<(String, String)> {
        form_urlencoded::parse(body.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    fn key() -> Secret {
        Secret::new(VECTOR_KEY)
    }

    fn encode(pairs: &[(String, String)]) -> String {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish()
    }

    #[test]
    fn the_escalation_signature_matches_the_published_vector() {
        assert_eq!(
            escalation_signature(VECTOR_URL, &pairs(VECTOR_BODY), &key()),
            VECTOR_SIGNATURE
        );
        let form = EscalationForm::parse(VECTOR_BODY.as_bytes()).unwrap();
        assert!(form.verify(VECTOR_URL, &key(), VECTOR_SIGNATURE).is_ok());
        assert!(
            form.verify(VECTOR_URL, &key(), "AZ1ZmYZKbhxRHOv+k2clGL5uZlc=")
                .is_err()
        );
        assert!(
            form.verify("https://other", &key(), VECTOR_SIGNATURE)
                .is_err()
        );
    }

    #[test]
    fn a_captured_signature_also_covers_shifted_boundaries_which_the_key_set_refuses() {
        let shifted = [
            // summary=Critically… → summar=yCritically…
            VECTOR_BODY.replace("summary=", "summar=y"),
            // monitoring_tool=prometheus → monitoring_too=lprometheus
            VECTOR_BODY.replace("monitoring_tool=", "monitoring_too=l"),
            // message_type's key and value swallowed by message's value.
            VECTOR_BODY
                .replace("&message_type=CRITICAL", "")
                .replace("%2Fsrv", "%2Fsrvmessage_typeCRITICAL"),
        ];
        for body in shifted {
            assert_eq!(
                escalation_signature(VECTOR_URL, &pairs(&body), &key()),
                VECTOR_SIGNATURE,
                "the shift keeps the signed text: {body}"
            );
            assert!(
                matches!(
                    EscalationForm::parse(body.as_bytes()),
                    Err(Refusal::BadRequest(_))
                ),
                "{body}"
            );
        }
    }

    #[test]
    fn a_repeated_an_extra_or_a_missing_field_is_refused_and_named() {
        let cases = [
            (
                format!("{VECTOR_BODY}&incident=1873"),
                "incident is repeated",
            ),
            (format!("{VECTOR_BODY}&incident="), "incident is repeated"),
            (format!("{VECTOR_BODY}&state=ok"), "\"state\" is not one"),
            (
                VECTOR_BODY.replace("&routing_key=sre", ""),
                "missing: routing_key",
            ),
            (String::new(), "missing: entity_id, incident"),
            ("x".repeat(MAX_FORM_BYTES + 1), "more than"),
        ];
        for (body, expected) in cases {
            let refusal = EscalationForm::parse(body.as_bytes()).unwrap_err();
            assert!(
                matches!(&refusal, Refusal::BadRequest(m) if m.contains(expected)),
                "{refusal} should say {expected}"
            );
        }
    }

    #[test]
    fn a_form_whose_signed_text_also_reads_as_another_form_is_not_trusted() {
        // VictorOps signed a delivery whose message carries the later keys' names…
        let genuine = VECTOR_BODY.replace(
            "Only+2%25+free+on+%2Fsrv",
            "disk+fullmessage_typeACKNOWLEDGEMENTmonitoring_toolx",
        );
        let signature = escalation_signature(VECTOR_URL, &pairs(&genuine), &key());
        // …so the same signature covers a form acknowledging the incident.
        let forged = encode(
            &pairs(&genuine)
                .into_iter()
                .map(|(k, v)| match k.as_str() {
                    "message" => (k, "disk full".to_owned()),
                    "message_type" => (k, "ACKNOWLEDGEMENT".to_owned()),
                    "monitoring_tool" => {
                        (k, "xmessage_typeCRITICALmonitoring_toolprometheus".into())
                    }
                    _ => (k, v),
                })
                .collect::<Vec<_>>(),
        );
        assert_eq!(
            escalation_signature(VECTOR_URL, &pairs(&forged), &key()),
            signature
        );
        for body in [&genuine, &forged] {
            let form = EscalationForm::parse(body.as_bytes()).unwrap();
            assert!(
                matches!(
                    form.verify(VECTOR_URL, &key(), &signature),
                    Err(Refusal::Unauthorized(m)) if m.contains("cannot vouch")
                ),
                "{body}"
            );
        }
    }

    #[test]
    fn an_escalation_form_gives_its_phase_from_the_message_type() {
        let form = EscalationForm::parse(VECTOR_BODY.as_bytes()).unwrap();
        let d = parse_escalation(&form, jiff::Timestamp::UNIX_EPOCH).unwrap();
        assert_eq!(d.phase, Phase::Unacked);
        assert_eq!(d.entity_id, "disk-space/db01.example.org");
        assert_eq!(d.display_name, "Critically low disk space on db01");
    }

    #[test]
    fn an_escalation_form_with_an_incident_number_off_its_canonical_form_is_refused() {
        for number in ["01873", "+1873+", "1873+", "0"] {
            let body = VECTOR_BODY.replace("incident=1873", &format!("incident={number}"));
            let form = EscalationForm::parse(body.as_bytes()).unwrap();
            assert!(
                matches!(
                    parse_escalation(&form, jiff::Timestamp::UNIX_EPOCH),
                    Err(Refusal::BadRequest(m)) if m.contains("incident number")
                ),
                "{number}"
            );
        }
    }

    /// Every reading of `text` as `keys[0] v keys[1] v …`, by trying each split.
    fn brute_force_splits(text: &str, keys: &[&str]) -> usize {
        fn rest(text: &str, keys: &[&str]) -> usize {
            let Some((key, later)) = keys.split_first() else {
                return 1;
            };
            let Some(value_and_more) = text.strip_prefix(key) else {
                return 0;
            };
            if later.is_empty() {
                return 1;
            }
            (0..=value_and_more.len())
                .filter(|&at| value_and_more.is_char_boundary(at))
                .map(|at| rest(&value_and_more[at..], later))
                .sum()
        }
        rest(text, keys)
    }

    proptest::proptest! {
        #[test]
        fn splits_are_counted_as_trying_every_split_would(text in "[abc]{0,12}") {
            let keys = ["a", "ab", "b"];
            let expected = brute_force_splits(&text, &keys).min(2) as u8;
            proptest::prop_assert_eq!(splits(&text, &keys), expected);
        }

        #[test]
        fn any_form_body_is_parsed_or_refused_without_panicking(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            if let Ok(form) = EscalationForm::parse(&bytes) {
                let _ = form.verify(VECTOR_URL, &key(), VECTOR_SIGNATURE);
                let _ = parse_escalation(&form, jiff::Timestamp::UNIX_EPOCH);
            }
        }

        #[test]
        fn a_form_that_verifies_is_the_only_form_its_signature_covers(
            values in proptest::collection::vec("(message|_type|tool|x){0,3}", 7)
        ) {
            // Any other form with the same key set and the same signed text is refused, because
            // the text reads more than one way; so one that verifies is the only reading.
            let fields: Vec<(String, String)> = ESCALATION_FIELDS.iter().map(|k| (*k).to_owned()).zip(values).collect();
            let form = EscalationForm::parse(encode(&fields).as_bytes()).unwrap();
            let text: String = fields.iter().flat_map(|(k, v)| [k.as_str(), v.as_str()]).collect();
            let readings = brute_force_splits(&text, &ESCALATION_FIELDS);
            let signature = escalation_signature(VECTOR_URL, &fields, &key());
            proptest::prop_assert_eq!(form.verify(VECTOR_URL, &key(), &signature).is_ok(), readings == 1);
        }
    }
}
