//! A Herald webhook delivery, checked and parsed at the edge: the HMAC signature over the raw body
//! first (nothing else happens without it), then the body's shape.

use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::{Digest as _, Sha256};

use super::model::{TaskPhid, TransactionPhid};
use crate::log_text::escape;

/// The header Phorge signs deliveries with (HTTP header names are case-insensitive).
pub const SIGNATURE_HEADER: &str = "x-phabricator-webhook-signature";

/// Larger bodies are refused unread: a delivery lists PHIDs only, a few KiB at most.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// Why a delivery was refused; every case is the sender's fault, so none is retried.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    #[error("the delivery has no {SIGNATURE_HEADER} header")]
    MissingSignature,
    #[error("the delivery's signature does not match its body")]
    BadSignature,
    #[error("the body is {size} bytes, more than the {MAX_BODY_BYTES} accepted")]
    TooLarge { size: usize },
    #[error("the body is not a webhook delivery: {0}")]
    Malformed(String),
}

/// Checks `signature` (lower-case hex HMAC-SHA256 of `body` under `key`) in constant time.
pub fn verify_signature(key: &[u8], body: &[u8], signature: &str) -> Result<(), DeliveryError> {
    let expected = hex::decode(signature.trim()).map_err(|_| DeliveryError::BadSignature)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(key).map_err(|_| DeliveryError::BadSignature)?;
    mac.update(body);
    // `verify_slice` compares in constant time, so the answer leaks nothing about the right value.
    mac.verify_slice(&expected)
        .map_err(|_| DeliveryError::BadSignature)
}

/// The signature Phorge would send for `body`, for tests, the demo and `clinic` tooling.
pub fn sign(key: &[u8], body: &[u8]) -> String {
    // HMAC accepts keys of any length, so the error branch is never taken.
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(body);
            hex::encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

/// What a delivery is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// A change to a task, with the transactions that made it.
    Task(TaskDelivery),
    /// Any other object (project, user, the hook itself): acknowledged and ignored.
    Other { object_type: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskDelivery {
    pub task: TaskPhid,
    pub transactions: Vec<TransactionPhid>,
    /// A "test" delivery from the hook's page in Phorge: acknowledged, never acted on.
    pub test: bool,
    /// Made with Phorge's silent flag (a bulk or scripted edit that notifies nobody): Clinic
    /// records the task but adds no edits of its own, which would notify everyone the flag spared.
    pub silent: bool,
    /// Phorge's secure flag (mail about the object must not carry its content): the task is
    /// shown as "T123 (restricted)" wherever Clinic would show its title.
    pub secure: bool,
    pub epoch: i64,
    /// Stable for retries of one delivery (they carry the same body): the hex SHA-256 of the body.
    pub key: String,
}

#[derive(Deserialize)]
struct WireDelivery {
    object: WireObject,
    #[serde(default)]
    transactions: Vec<WirePhid>,
    #[serde(default)]
    action: WireAction,
}

#[derive(Deserialize)]
struct WireObject {
    #[serde(rename = "type")]
    kind: String,
    phid: String,
}

#[derive(Deserialize)]
struct WirePhid {
    phid: String,
}

#[derive(Deserialize, Default)]
struct WireAction {
    #[serde(default)]
    test: bool,
    #[serde(default)]
    silent: bool,
    #[serde(default)]
    secure: bool,
    #[serde(default)]
    epoch: i64,
}

/// Parses a body whose signature was already checked.
pub fn parse_delivery(body: &[u8]) -> Result<Delivery, DeliveryError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(DeliveryError::TooLarge { size: body.len() });
    }
    // The errors quote the body (serde's unknown field, a PHID that is not one): escaped, as they
    // end up in the log and in the answer.
    let malformed = |e: &dyn std::fmt::Display| DeliveryError::Malformed(escape(&e.to_string()));
    let wire: WireDelivery = serde_json::from_slice(body).map_err(|e| malformed(&e))?;
    if wire.object.kind != "TASK" {
        let kind: String = wire.object.kind.chars().take(32).collect();
        return Ok(Delivery::Other {
            object_type: escape(&kind),
        });
    }
    let task = TaskPhid::parse(&wire.object.phid).map_err(|e| malformed(&e))?;
    let transactions = wire
        .transactions
        .iter()
        .map(|t| TransactionPhid::parse(&t.phid))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| malformed(&e))?;
    Ok(Delivery::Task(TaskDelivery {
        task,
        transactions,
        test: wire.action.test,
        silent: wire.action.silent,
        secure: wire.action.secure,
        epoch: wire.action.epoch,
        key: hex::encode(Sha256::digest(body)),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"unit-test-hmac-key";

    fn body(kind: &str) -> Vec<u8> {
        format!(
            "{{\n  \"object\": {{\"type\": \"{kind}\", \"phid\": \"PHID-{kind}-abc123\"}},\n  \"triggers\": [],\n  \
             \"action\": {{\"test\": false, \"silent\": false, \"secure\": false, \"epoch\": 1795312623}},\n  \
             \"transactions\": [{{\"phid\": \"PHID-XACT-TASK-x1\"}}]\n}}\n"
        )
        .into_bytes()
    }

    #[test]
    fn signing_agrees_with_the_published_hmac_sha256_test_vector() {
        // RFC 4231, test case 2.
        assert_eq!(
            sign(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn a_signature_made_with_the_key_verifies() {
        let body = body("TASK");
        assert_eq!(verify_signature(KEY, &body, &sign(KEY, &body)), Ok(()));
    }

    #[test]
    fn a_signature_over_other_bytes_or_in_other_case_or_not_hex_fails() {
        let body = body("TASK");
        let signature = sign(KEY, &body);
        let mut reserialised = body.clone();
        reserialised.pop();
        assert_eq!(
            verify_signature(KEY, &reserialised, &signature),
            Err(DeliveryError::BadSignature)
        );
        assert_eq!(
            verify_signature(b"other key", &body, &signature),
            Err(DeliveryError::BadSignature)
        );
        assert_eq!(
            verify_signature(KEY, &body, "zz"),
            Err(DeliveryError::BadSignature)
        );
        assert_eq!(
            verify_signature(KEY, &body, &signature[..10]),
            Err(DeliveryError::BadSignature)
        );
    }

    #[test]
    fn a_task_delivery_is_parsed_with_a_key_stable_for_its_retries() {
        let Delivery::Task(first) = parse_delivery(&body("TASK")).unwrap() else {
            panic!("not a task delivery");
        };
        let Delivery::Task(again) = parse_delivery(&body("TASK")).unwrap() else {
            panic!("not a task delivery");
        };
        assert_eq!(first.task.as_str(), "PHID-TASK-abc123");
        assert_eq!(first.transactions.len(), 1);
        assert_eq!(first.key, again.key);
        assert_eq!(first.epoch, 1795312623);
    }

    #[test]
    fn other_objects_are_recognised_and_garbage_is_refused() {
        assert_eq!(
            parse_delivery(&body("PROJ")).unwrap(),
            Delivery::Other {
                object_type: "PROJ".into()
            }
        );
        assert!(matches!(
            parse_delivery(b"not json"),
            Err(DeliveryError::Malformed(_))
        ));
        assert!(matches!(
            parse_delivery(&vec![b' '; MAX_BODY_BYTES + 1]),
            Err(DeliveryError::TooLarge { .. })
        ));
    }

    #[test]
    fn an_object_type_or_a_parse_error_quoting_the_body_comes_back_escaped() {
        let hostile = "X\n{\"level\":\"ERROR\"}\u{1b}[2K";
        let body = format!(
            "{{\"object\": {{\"type\": {}, \"phid\": \"PHID-X-1\"}}}}",
            serde_json::to_string(hostile).unwrap()
        );
        let Ok(Delivery::Other { object_type }) = parse_delivery(body.as_bytes()) else {
            panic!("an object of another type");
        };
        assert_eq!(object_type, "X\\n{\"level\":\"ERROR\"}\\u{1b}[2K");
        let phid = format!(
            "{{\"object\": {{\"type\": \"TASK\", \"phid\": {}}}}}",
            serde_json::to_string(hostile).unwrap()
        );
        let Err(DeliveryError::Malformed(reason)) = parse_delivery(phid.as_bytes()) else {
            panic!("a bad PHID is refused");
        };
        assert!(!reason.chars().any(char::is_control), "{reason:?}");
    }

    proptest::proptest! {
        #[test]
        fn an_error_never_carries_a_control_character(text in "\\PC{0,40}|[\\x00-\\x20\\u{80}-\\u{9f}a-z\"{}:,]{0,60}") {
            if let Err(DeliveryError::Malformed(reason)) = parse_delivery(text.as_bytes()) {
                proptest::prop_assert!(!reason.chars().any(char::is_control), "{:?}", reason);
            }
        }

        #[test]
        fn no_body_makes_the_parser_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = parse_delivery(&bytes);
        }
    }
}
