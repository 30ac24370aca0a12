//! One VictorOps incident as Clinic keeps it: its phase only moves forward (UNACKED → ACKED →
//! RESOLVED), whatever order deliveries arrive in, and what was published to Statuspage.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::mapping::Publication;

/// The incident's phase, in the order VictorOps moves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Phase {
    Unacked,
    Acked,
    Resolved,
}

impl Phase {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "UNACKED" => Some(Self::Unacked),
            "ACKED" => Some(Self::Acked),
            "RESOLVED" => Some(Self::Resolved),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unacked => "UNACKED",
            Self::Acked => "ACKED",
            Self::Resolved => "RESOLVED",
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A VictorOps incident number in its one canonical form: ASCII digits, no leading zero, nothing
/// around them. VictorOps numbers incidents from 1 and writes them that way; accepting `"07200"` or
/// `" 7200 "` as well would make each a different incident (its own item, Statuspage incident and
/// duty mail), so every other spelling is refused rather than normalised.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IncidentNumber(String);

/// More digits than any `u64` has: no VictorOps number is that long.
const MAX_DIGITS: usize = 20;

impl IncidentNumber {
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.is_empty() || text.len() > MAX_DIGITS || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "incident number must be 1 to {MAX_DIGITS} ASCII digits with nothing around them (got {:?})",
                shorten(text)
            ));
        }
        if text.starts_with('0') {
            return Err(format!(
                "incident number must not start with 0: VictorOps numbers from 1, without leading zeros (got {:?})",
                shorten(text)
            ));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for IncidentNumber {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<IncidentNumber> for String {
    fn from(value: IncidentNumber) -> Self {
        value.0
    }
}

impl fmt::Display for IncidentNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Outside text quoted in an error message is cut short: a hostile body must not flood the logs.
pub(crate) fn shorten(text: &str) -> String {
    let cut: String = text.chars().take(80).collect();
    if cut.len() < text.len() {
        format!("{cut}…")
    } else {
        cut
    }
}

/// What one delivery says about an incident, already parsed and validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub number: IncidentNumber,
    pub phase: Phase,
    pub routing_key: String,
    pub entity_id: String,
    pub display_name: String,
    /// The VictorOps user who acted, when the delivery names one (`SYSTEM` is not a person).
    pub user: Option<String>,
    /// When VictorOps says the change happened (the incident start for a trigger).
    pub at: jiff::Timestamp,
    /// Which webhook it came by, for the audit log.
    pub source: &'static str,
}

/// The incident as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentRecord {
    pub number: IncidentNumber,
    pub phase: Phase,
    pub routing_key: String,
    pub entity_id: String,
    pub display_name: String,
    pub first_seen_at: jiff::Timestamp,
    pub acked_by: Option<String>,
    pub acked_at: Option<jiff::Timestamp>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<jiff::Timestamp>,
    /// Where the incident is published; `None` when no mapping rule matched.
    pub publication: Option<Publication>,
    /// The Statuspage incident, once created.
    pub statuspage_id: Option<String>,
    /// The last status Clinic set on Statuspage (`investigating`, `identified`, `monitoring`, `resolved`).
    pub statuspage_status: Option<String>,
    /// When Clinic saw the Statuspage incident closed (by a person or by auto-resolve): no reminder after.
    pub statuspage_closed_at: Option<jiff::Timestamp>,
    /// Set when the incident opened inside a planned downtime window of ours and its rule holds
    /// such incidents back from Statuspage (the mapping's `during_downtime`).
    #[serde(default)]
    pub hold: Option<Hold>,
    /// Optimistic-concurrency counter: every write expects the version it read.
    pub version: u64,
}

/// Why an incident is not on Statuspage: the planned downtime window it opened in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    pub window: String,
    pub services: Vec<String>,
    pub until: jiff::Timestamp,
    /// When Clinic published it after all, because it was still open when the window ended.
    pub released_at: Option<jiff::Timestamp>,
}

/// What a delivery changes.
#[derive(Debug, Clone, PartialEq)]
pub enum Transition {
    /// First delivery for this incident.
    Opened(IncidentRecord),
    /// The phase moved forward (possibly skipping one, when a delivery was lost or is late).
    Advanced { from: Phase, record: IncidentRecord },
    /// A repeat, or a delivery older than what is stored: nothing changes.
    Unchanged,
}

impl IncidentRecord {
    fn opened(delivery: &Delivery, publication: Option<Publication>, now: jiff::Timestamp) -> Self {
        let mut record = Self {
            number: delivery.number.clone(),
            phase: Phase::Unacked,
            routing_key: delivery.routing_key.clone(),
            entity_id: delivery.entity_id.clone(),
            display_name: delivery.display_name.clone(),
            first_seen_at: now,
            acked_by: None,
            acked_at: None,
            resolved_by: None,
            resolved_at: None,
            publication,
            statuspage_id: None,
            statuspage_status: None,
            statuspage_closed_at: None,
            hold: None,
            version: 0,
        };
        record.enter(delivery);
        record
    }

    /// Moves to the delivery's phase, filling in who and when for every phase passed.
    fn enter(&mut self, delivery: &Delivery) {
        if delivery.phase >= Phase::Acked && self.acked_at.is_none() {
            self.acked_at = Some(delivery.at);
            self.acked_by = delivery.user.clone();
        }
        if delivery.phase == Phase::Resolved && self.resolved_at.is_none() {
            self.resolved_at = Some(delivery.at);
            self.resolved_by = delivery.user.clone();
        }
        self.phase = self.phase.max(delivery.phase);
    }

    /// The person to remind: who resolved it, else who acknowledged it.
    pub fn responder(&self) -> Option<&str> {
        self.resolved_by.as_deref().or(self.acked_by.as_deref())
    }

    /// Held back from Statuspage by a planned downtime window, and not released.
    pub fn is_held(&self) -> bool {
        self.hold.as_ref().is_some_and(|h| h.released_at.is_none())
    }

    /// Held, still open, and its window is over at `now`: time to publish it after all.
    pub fn outlasted_its_window(&self, now: jiff::Timestamp) -> bool {
        self.phase < Phase::Resolved
            && self
                .hold
                .as_ref()
                .is_some_and(|h| h.released_at.is_none() && now >= h.until)
    }

    /// Kept off Statuspage at `now`: held, and not (yet) outlasting its window.
    pub fn held_back(&self, now: jiff::Timestamp) -> bool {
        self.is_held() && !self.outlasted_its_window(now)
    }

    /// The subject path used in audit entries.
    pub fn subject(&self) -> String {
        format!("incident/victorops/{}", self.number)
    }
}

/// Applies a delivery to what is stored. Pure: the caller writes the result conditionally.
pub fn apply(
    stored: Option<&IncidentRecord>,
    delivery: &Delivery,
    publication: impl FnOnce() -> Option<Publication>,
    now: jiff::Timestamp,
) -> Transition {
    match stored {
        None => Transition::Opened(IncidentRecord::opened(delivery, publication(), now)),
        Some(record) if delivery.phase <= record.phase => Transition::Unchanged,
        Some(record) => {
            let mut next = record.clone();
            next.enter(delivery);
            Transition::Advanced {
                from: record.phase,
                record: next,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery(phase: Phase, user: Option<&str>, at: &str) -> Delivery {
        Delivery {
            number: IncidentNumber::parse("1873").unwrap(),
            phase,
            routing_key: "sre".into(),
            entity_id: "disk-space/db01".into(),
            display_name: "Disk".into(),
            user: user.map(str::to_owned),
            at: at.parse().unwrap(),
            source: "test",
        }
    }

    fn now() -> jiff::Timestamp {
        "2026-01-01T10:00:00Z".parse().unwrap()
    }

    fn record_after(deliveries: &[Delivery]) -> IncidentRecord {
        let mut stored: Option<IncidentRecord> = None;
        for d in deliveries {
            match apply(stored.as_ref(), d, || None, now()) {
                Transition::Opened(r) | Transition::Advanced { record: r, .. } => stored = Some(r),
                Transition::Unchanged => {}
            }
        }
        stored.unwrap()
    }

    #[test]
    fn the_phase_moves_forward_and_keeps_who_and_when() {
        let r = record_after(&[
            delivery(Phase::Unacked, None, "2026-01-01T09:50:00Z"),
            delivery(Phase::Acked, Some("jdoe"), "2026-01-01T09:54:00Z"),
            delivery(Phase::Resolved, Some("asmith"), "2026-01-01T10:30:00Z"),
        ]);
        assert_eq!(r.phase, Phase::Resolved);
        assert_eq!(r.acked_by.as_deref(), Some("jdoe"));
        assert_eq!(r.resolved_by.as_deref(), Some("asmith"));
        assert_eq!(r.responder(), Some("asmith"));
    }

    #[test]
    fn a_late_trigger_after_the_acknowledgement_changes_nothing() {
        let acked = record_after(&[delivery(Phase::Acked, Some("jdoe"), "2026-01-01T09:54:00Z")]);
        let late = delivery(Phase::Unacked, None, "2026-01-01T09:50:00Z");
        assert_eq!(
            apply(Some(&acked), &late, || None, now()),
            Transition::Unchanged
        );
        assert_eq!(
            apply(
                Some(&acked),
                &delivery(Phase::Acked, Some("x"), "2026-01-01T09:59:00Z"),
                || None,
                now()
            ),
            Transition::Unchanged
        );
    }

    #[test]
    fn a_resolution_that_skips_the_acknowledgement_records_both() {
        let r = record_after(&[
            delivery(Phase::Unacked, None, "2026-01-01T09:50:00Z"),
            delivery(Phase::Resolved, Some("jdoe"), "2026-01-01T10:30:00Z"),
        ]);
        assert_eq!(r.phase, Phase::Resolved);
        assert!(r.acked_at.is_some());
        assert_eq!(r.resolved_by.as_deref(), Some("jdoe"));
    }

    #[test]
    fn phases_are_ordered_as_victorops_moves_them() {
        assert!(Phase::Unacked < Phase::Acked && Phase::Acked < Phase::Resolved);
        assert_eq!(Phase::parse("ACKED"), Some(Phase::Acked));
        assert_eq!(Phase::parse("acked"), None);
    }

    #[test]
    fn incident_numbers_are_digits_only() {
        assert!(IncidentNumber::parse("1873").is_ok());
        for bad in ["", "18a", "${{INCIDENT.INCIDENT_ID}}", &"9".repeat(21)] {
            assert!(IncidentNumber::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_incident_number_in_any_other_spelling_than_its_canonical_one_is_refused() {
        assert_eq!(IncidentNumber::parse("7200").unwrap().as_str(), "7200");
        for other in [
            "07200",
            " 7200 ",
            " 7200",
            "7200 ",
            "72 00",
            "7200\n",
            "\t7200",
            "+7200",
            "-7200",
            "7200.0",
            "0",
            "00",
            "\u{0667}",
            "７２００",
        ] {
            assert!(IncidentNumber::parse(other).is_err(), "{other:?}");
        }
    }

    #[test]
    fn a_stored_number_off_its_canonical_form_does_not_deserialise() {
        assert!(serde_json::from_str::<IncidentNumber>("\"7200\"").is_ok());
        assert!(serde_json::from_str::<IncidentNumber>("\"07200\"").is_err());
    }

    /// Strings near the canonical form: digits with zeros, spaces and signs around or inside.
    fn near_numbers() -> impl proptest::strategy::Strategy<Value = String> {
        proptest::prop_oneof![
            "[0-9]{1,22}",
            "[ 0+-]{0,2}[0-9]{1,6}[ .]{0,2}",
            "[0-9 \t\n]{0,8}",
            ".{0,8}",
        ]
    }

    proptest::proptest! {
        #[test]
        fn an_accepted_number_is_its_own_canonical_spelling(text in near_numbers()) {
            if let Ok(number) = IncidentNumber::parse(&text) {
                proptest::prop_assert_eq!(number.as_str(), text.as_str());
                proptest::prop_assert_eq!(number.to_string(), text.clone());
                let value: u128 = text.parse().expect("accepted numbers are decimal");
                proptest::prop_assert!(value >= 1);
                proptest::prop_assert_eq!(value.to_string(), text.clone());
                let json = serde_json::to_string(&number).expect("a number serialises");
                proptest::prop_assert_eq!(serde_json::from_str::<IncidentNumber>(&json).ok(), Some(number));
            }
        }

        #[test]
        fn no_two_distinct_accepted_inputs_name_the_same_incident(a in near_numbers(), b in near_numbers()) {
            if let (Ok(x), Ok(y)) = (IncidentNumber::parse(&a), IncidentNumber::parse(&b)) {
                proptest::prop_assert_eq!(x == y, a == b);
                proptest::prop_assert_eq!(x.as_str() == y.as_str(), a == b);
            }
        }

        #[test]
        fn two_spellings_of_one_value_are_never_both_accepted(value in 0u64..100_000, zeros in 1usize..3, pad in " {0,2}") {
            let canonical = value.to_string();
            for other in [format!("{}{canonical}", "0".repeat(zeros)), format!("{pad}{canonical}{pad}")] {
                if other != canonical {
                    proptest::prop_assert!(IncidentNumber::parse(&other).is_err(), "{:?}", other);
                }
            }
        }
    }

    #[test]
    fn a_held_incident_stays_back_while_its_window_runs_and_only_an_open_one_comes_out_after() {
        let opened = delivery(Phase::Unacked, None, "2027-01-05T09:50:00Z");
        let Transition::Opened(mut record) = apply(
            None,
            &opened,
            || None,
            "2027-01-05T09:50:01Z".parse().unwrap(),
        ) else {
            panic!("a first delivery opens the incident");
        };
        record.hold = Some(Hold {
            window: "w1".into(),
            services: vec!["database".into()],
            until: "2027-01-05T11:00:00Z".parse().unwrap(),
            released_at: None,
        });
        let during = "2027-01-05T10:59:59Z".parse().unwrap();
        let after = "2027-01-05T11:00:00Z".parse().unwrap();
        assert!(record.held_back(during));
        assert!(!record.held_back(after) && record.outlasted_its_window(after));
        let mut resolved = record.clone();
        resolved.phase = Phase::Resolved;
        assert!(
            resolved.held_back(after),
            "resolved inside the window: never published"
        );
        record.hold.as_mut().unwrap().released_at = Some(after);
        assert!(!record.is_held() && !record.outlasted_its_window(after));
    }
}
