//! The maintenance a notice announces, in the shape circuit-maintenance-parser emits it.
//! Field names and enum strings are a contract with whatever stores or compares these records,
//! so they mirror the Python library exactly.

use serde::{Deserialize, Serialize};

use super::error::{Field, NoticeError};
use super::provider_id::ProviderId;

/// How an affected circuit is impacted during the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Impact {
    #[serde(rename = "NO-IMPACT")]
    NoImpact,
    #[serde(rename = "REDUCED-REDUNDANCY")]
    ReducedRedundancy,
    #[serde(rename = "DEGRADED")]
    Degraded,
    #[serde(rename = "OUTAGE")]
    Outage,
}

impl Impact {
    /// Reads the BCOP spelling (`NO-IMPACT`, ...), tolerating case, stray spaces and underscores.
    pub fn from_bcop(text: &str) -> Option<Impact> {
        match text.trim().to_ascii_uppercase().replace('_', "-").as_str() {
            "NO-IMPACT" => Some(Impact::NoImpact),
            "REDUCED-REDUNDANCY" => Some(Impact::ReducedRedundancy),
            "DEGRADED" => Some(Impact::Degraded),
            "OUTAGE" => Some(Impact::Outage),
            _ => None,
        }
    }
}

/// Where the maintenance stands according to this notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Status {
    #[serde(rename = "TENTATIVE")]
    Tentative,
    #[serde(rename = "CONFIRMED")]
    Confirmed,
    #[serde(rename = "CANCELLED")]
    Cancelled,
    #[serde(rename = "IN-PROCESS")]
    InProcess,
    #[serde(rename = "COMPLETED")]
    Completed,
    #[serde(rename = "RE-SCHEDULED")]
    ReScheduled,
    #[serde(rename = "NO-CHANGE")]
    NoChange,
}

impl Status {
    /// Reads the BCOP spelling (`IN-PROCESS`, ...), tolerating case, stray spaces and the US "CANCELED".
    pub fn from_bcop(text: &str) -> Option<Status> {
        match text.trim().to_ascii_uppercase().replace('_', "-").as_str() {
            "TENTATIVE" => Some(Status::Tentative),
            "CONFIRMED" => Some(Status::Confirmed),
            "CANCELLED" | "CANCELED" => Some(Status::Cancelled),
            "IN-PROCESS" => Some(Status::InProcess),
            "COMPLETED" => Some(Status::Completed),
            "RE-SCHEDULED" | "RESCHEDULED" => Some(Status::ReScheduled),
            "NO-CHANGE" => Some(Status::NoChange),
            _ => None,
        }
    }
}

/// How a notice was read: by the template of the provider that sent it (or a BCOP calendar), or by the
/// template-free reading of labelled windows, which a person should confirm before trusting it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReadingKind {
    #[default]
    Template,
    Generic,
}

impl ReadingKind {
    pub fn is_template(&self) -> bool {
        *self == ReadingKind::Template
    }
}

/// One affected service and how it is impacted.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Circuit {
    pub circuit_id: String,
    pub impact: Impact,
}

impl Circuit {
    pub fn new(circuit_id: impl Into<String>, impact: Impact) -> Circuit {
        Circuit {
            circuit_id: circuit_id.into(),
            impact,
        }
    }
}

/// One maintenance window announced by a notice. Times are Unix seconds, UTC.
///
/// Fields are declared in alphabetical order so the JSON reads like the reference library's sorted output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Maintenance {
    pub account: String,
    pub circuits: Vec<Circuit>,
    pub end: i64,
    pub maintenance_id: String,
    /// The notice gave no end time: `end` is then `start`, and the window lasts until a later notice
    /// (or a person) says otherwise.
    #[serde(default)]
    pub open_ended: bool,
    pub organizer: String,
    pub provider: String,
    /// `template` or `generic` (see [`ReadingKind`]); not a field of the reference library.
    #[serde(default)]
    pub reading: ReadingKind,
    pub sequence: i64,
    pub stamp: i64,
    pub start: i64,
    pub status: Status,
    pub summary: String,
    pub uid: String,
}

/// What a provider parser could read from a notice; `finish` turns it into a [`Maintenance`] once the
/// provider's defaults are applied and the required fields are known to be there.
#[derive(Debug, Clone, Default)]
pub(crate) struct Draft {
    pub provider: Option<String>,
    pub account: Option<String>,
    pub maintenance_id: Option<String>,
    pub circuits: Vec<Circuit>,
    pub status: Option<Status>,
    pub start: Option<i64>,
    pub end: Option<i64>,
    pub stamp: Option<i64>,
    pub organizer: Option<String>,
    pub uid: Option<String>,
    pub sequence: Option<i64>,
    pub summary: Option<String>,
    /// The notice says the end is not known ("until further notice", "TBD").
    pub open_ended: bool,
    /// A field the notice states in a form that cannot be read, and why; reported instead of guessed.
    pub unreadable: Option<(Field, String)>,
}

/// What the notice as a whole supplies when a provider's template leaves a field out.
pub(crate) struct Defaults<'a> {
    pub provider: ProviderId,
    pub organizer: &'a str,
    pub sent_at: Option<i64>,
    /// The notice's subject, for the status words of templates that do not read them.
    pub subject: Option<&'a str>,
    /// The status the body asserts in a full phrase ("has been cancelled"), for templates that read
    /// none and a subject that says none.
    pub body_status: Option<Status>,
}

/// The status a body asserts in so many words: only past or present statements ("has been
/// cancelled", "is now in progress"), never the conditional boilerplate of notices ("should this
/// work be cancelled", "will be rescheduled if").
pub(crate) fn status_asserted(text: &str) -> Option<Status> {
    let text = text.to_lowercase();
    let has = |phrases: &[&str]| phrases.iter().any(|p| text.contains(p));
    if has(&[
        "has been cancelled",
        "has been canceled",
        "have been cancelled",
        "have been canceled",
        "was cancelled",
        "was canceled",
    ]) {
        Some(Status::Cancelled)
    } else if has(&[
        "has been completed",
        "have been completed",
        "was completed",
        "has been successfully completed",
        "was successfully completed",
    ]) {
        Some(Status::Completed)
    } else if has(&[
        "has been rescheduled",
        "have been rescheduled",
        "was rescheduled",
        "has been postponed",
        "was postponed",
    ]) {
        Some(Status::ReScheduled)
    } else if has(&[
        "is now in progress",
        "is currently in progress",
        "is now underway",
    ]) {
        Some(Status::InProcess)
    } else {
        None
    }
}

/// The status a text states in so many words (cancelled, completed, rescheduled, in progress, scheduled),
/// for any template; `None` when it does not. Stricter than a template's own vocabulary: "update" or
/// "notification" alone say nothing here.
pub(crate) fn status_stated(text: &str) -> Option<Status> {
    let text = text.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| text.contains(w));
    if has(&["cancelled", "canceled", "cancellation", "withdrawn"]) {
        Some(Status::Cancelled)
    } else if has(&[
        "completed",
        "has been completed",
        "work complete",
        "successfully closed",
    ]) {
        Some(Status::Completed)
    } else if has(&["rescheduled", "re-scheduled", "postponed"]) {
        Some(Status::ReScheduled)
    } else if has(&["in progress", "has started", "has begun", "now underway"]) {
        Some(Status::InProcess)
    } else if has(&["tentative"]) {
        Some(Status::Tentative)
    } else {
        None
    }
}

impl Draft {
    pub fn finish(self, defaults: &Defaults<'_>) -> Result<Maintenance, NoticeError> {
        if let Some((field, detail)) = self.unreadable {
            return Err(NoticeError::InvalidField {
                provider: defaults.provider,
                field,
                detail,
            });
        }
        let missing = |field| NoticeError::MissingField {
            provider: defaults.provider,
            field,
        };
        let maintenance_id =
            non_empty(self.maintenance_id).ok_or_else(|| missing(Field::MaintenanceId))?;
        let start = self.start.ok_or_else(|| missing(Field::Start))?;
        // A window without an end is kept, flagged, rather than refused: the start is what matters most.
        let open_ended = self.open_ended || self.end.is_none();
        let end = if open_ended {
            start
        } else {
            self.end.unwrap_or(start)
        };
        let stamp = self
            .stamp
            .or(defaults.sent_at)
            .ok_or_else(|| missing(Field::Stamp))?;
        let account = self.account.ok_or_else(|| missing(Field::Account))?;
        Ok(Maintenance {
            provider: self
                .provider
                .unwrap_or_else(|| defaults.provider.to_string()),
            account,
            maintenance_id,
            circuits: self.circuits,
            // A notice that announces a window without saying otherwise is a confirmed plan, unless its
            // subject says plainly where it stands (a template that forgot a "Completed" variant).
            status: self
                .status
                .or_else(|| defaults.subject.and_then(status_stated))
                .or(defaults.body_status)
                .unwrap_or(Status::Confirmed),
            start,
            end,
            open_ended,
            reading: ReadingKind::Template,
            stamp,
            organizer: non_empty(self.organizer).unwrap_or_else(|| defaults.organizer.to_string()),
            uid: self.uid.unwrap_or_else(|| "0".to_string()),
            sequence: self.sequence.unwrap_or(1),
            summary: self.summary.unwrap_or_default(),
        })
    }
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_asserting_a_status_decides_it_when_the_template_and_subject_say_none() {
        assert_eq!(
            status_asserted("Dear customer, the work below has been cancelled."),
            Some(Status::Cancelled)
        );
        assert_eq!(
            status_asserted("The maintenance was successfully completed at 04:10."),
            Some(Status::Completed)
        );
        assert_eq!(
            status_asserted("It has been postponed to June."),
            Some(Status::ReScheduled)
        );
        for boilerplate in [
            "Should this work be cancelled, you will be notified.",
            "If the work is rescheduled we will send a new notice.",
            "You will be told once it is completed.",
        ] {
            assert_eq!(status_asserted(boilerplate), None, "{boilerplate}");
        }
        let draft = Draft {
            account: Some("ACME".into()),
            maintenance_id: Some("X-1".into()),
            start: Some(1_800_000_000),
            end: Some(1_800_003_600),
            ..Draft::default()
        };
        let defaults = |subject, body_status| Defaults {
            provider: crate::maintenance::provider_id::ProviderId::Generic,
            organizer: "noc@acme.example",
            sent_at: Some(1_799_000_000),
            subject: Some(subject),
            body_status,
        };
        let read = |d: &Draft, subject, body| d.clone().finish(&defaults(subject, body)).unwrap();
        assert_eq!(
            read(&draft, "Planned work X-1", Some(Status::Cancelled)).status,
            Status::Cancelled
        );
        assert_eq!(
            read(
                &draft,
                "[Completed] Planned work X-1",
                Some(Status::Cancelled)
            )
            .status,
            Status::Completed,
            "the subject speaks first"
        );
        let mut stated = draft.clone();
        stated.status = Some(Status::Confirmed);
        assert_eq!(
            read(&stated, "Planned work X-1", Some(Status::Cancelled)).status,
            Status::Confirmed,
            "the template's own reading wins"
        );
    }

    #[test]
    fn enums_serialise_to_the_reference_strings() {
        assert_eq!(
            serde_json::to_string(&Impact::ReducedRedundancy).unwrap(),
            "\"REDUCED-REDUNDANCY\""
        );
        assert_eq!(
            serde_json::to_string(&Status::InProcess).unwrap(),
            "\"IN-PROCESS\""
        );
        assert_eq!(
            serde_json::to_string(&Status::ReScheduled).unwrap(),
            "\"RE-SCHEDULED\""
        );
        assert_eq!(
            serde_json::from_str::<Status>("\"NO-CHANGE\"").unwrap(),
            Status::NoChange
        );
    }

    #[test]
    fn bcop_words_are_read_leniently() {
        assert_eq!(Status::from_bcop(" completed"), Some(Status::Completed));
        assert_eq!(Status::from_bcop("Canceled"), Some(Status::Cancelled));
        assert_eq!(
            Impact::from_bcop("reduced_redundancy"),
            Some(Impact::ReducedRedundancy)
        );
        assert_eq!(Impact::from_bcop("maybe"), None);
    }
}
