//! What the incident desk needs from the world: the table (the incidents themselves, once-only
//! claims for the actions that must not be repeated, who to tell, planned downtime) and Statuspage.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use std::collections::BTreeMap;

use super::lifecycle::{IncidentNumber, IncidentRecord};
use super::mapping::{ComponentStatus, Impact};
use crate::audit::AuditEntry;
use crate::claim::Claims;
use crate::mail::EmailAddress;
use crate::store::StoreError;

/// A person Clinic writes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub id: String,
    pub name: String,
    pub email: EmailAddress,
}

#[async_trait]
/// The incidents, and (as a [`Claims`] store) the once-only actions taken on them.
pub trait IncidentLedger: Claims + Send + Sync {
    async fn incident(&self, number: &IncidentNumber)
    -> Result<Option<IncidentRecord>, StoreError>;
    /// Writes `record` with its audit entry if the stored version is `record.version - 1` (absent for
    /// version 1); `Ok(false)` when another writer got there first.
    async fn save_incident(
        &self,
        record: &IncidentRecord,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError>;
    /// Incidents with a Statuspage incident Clinic has not seen closed.
    async fn open_on_statuspage(&self) -> Result<Vec<IncidentRecord>, StoreError>;
    /// Incidents held back by planned downtime and not released, first seen at or after `since`.
    async fn held_incidents(
        &self,
        since: jiff::Timestamp,
    ) -> Result<Vec<IncidentRecord>, StoreError>;
}

#[async_trait]
pub trait Directory: Send + Sync {
    /// The person on duty in `rotation` at `at`: the committed shift whose [start, end) contains it.
    async fn on_duty(
        &self,
        rotation: &str,
        at: jiff::Timestamp,
    ) -> Result<Option<Contact>, StoreError>;
    /// The person whose roster entry names this VictorOps user.
    async fn by_victorops_user(&self, user: &str) -> Result<Option<Contact>, StoreError>;
}

/// Where planned downtime windows are kept.
/// How long before a window its announcement goes out, and its last call.
pub(crate) const ANNOUNCE_AHEAD: jiff::SignedDuration = jiff::SignedDuration::from_hours(7 * 24);
pub(crate) const START_AHEAD: jiff::SignedDuration = jiff::SignedDuration::from_secs(60);

/// What users should expect during the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DowntimeKind {
    NoImpact,
    Degraded,
    PartialOutage,
    FullOutage,
}

impl DowntimeKind {
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim() {
            "no-impact" => Ok(Self::NoImpact),
            "degraded" => Ok(Self::Degraded),
            "partial-outage" => Ok(Self::PartialOutage),
            "full-outage" => Ok(Self::FullOutage),
            other => Err(format!(
                "--impact must be no-impact, degraded, partial-outage or full-outage (got {other:?})"
            )),
        }
    }

    pub fn expectation(self) -> &'static str {
        match self {
            Self::NoImpact => "no interruption is expected",
            Self::Degraded => "the services stay up but may be slow or show errors now and then",
            Self::PartialOutage => "parts of the services will be unavailable",
            Self::FullOutage => "the services will be unavailable for the whole window",
        }
    }
}

/// A recorded window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DowntimeWindow {
    pub id: String,
    pub services: Vec<String>,
    pub component_ids: Vec<String>,
    pub start: jiff::Timestamp,
    pub end: jiff::Timestamp,
    pub kind: DowntimeKind,
    pub urgent: bool,
    pub mail_after: bool,
    pub announce: Vec<EmailAddress>,
    pub statuspage_id: Option<String>,
    /// Mail slots handled (`announce`, `start`, `after`), sent or skipped.
    pub mails_done: Vec<String>,
    pub created_at: jiff::Timestamp,
    pub created_by: String,
    pub version: u64,
}

impl DowntimeWindow {
    pub fn subject(&self) -> String {
        format!("downtime/{}", self.id)
    }

    /// The mail slots and when each is due.
    pub fn slots(&self) -> Vec<(&'static str, jiff::Timestamp)> {
        let mut slots = vec![
            (
                "announce",
                (self.start - ANNOUNCE_AHEAD).max(self.created_at),
            ),
            ("start", self.start - START_AHEAD),
        ];
        if self.mail_after {
            slots.push(("after", self.end));
        }
        slots
    }

    /// True while some mail is still to be sent or skipped, or the sweep has not yet seen the
    /// window end: a running window stays listed, for the incidents it holds back.
    pub fn pending(&self) -> bool {
        self.slots()
            .iter()
            .map(|(slot, _)| *slot)
            .chain([ENDED])
            .any(|slot| !self.mails_done.iter().any(|d| d == slot))
    }

    /// The window runs at `at` on one of `component_ids`.
    pub fn covers(
        &self,
        at: jiff::Timestamp,
        component_ids: impl IntoIterator<Item = impl AsRef<str>>,
    ) -> bool {
        self.start <= at
            && at < self.end
            && component_ids
                .into_iter()
                .any(|c| self.component_ids.iter().any(|mine| mine == c.as_ref()))
    }
}

/// The mark in [`DowntimeWindow::mails_done`] that the sweep saw the window end (not a mail).
pub(crate) const ENDED: &str = "ended";

#[async_trait]
pub trait DowntimeBook: Send + Sync {
    /// Writes the window with its audit entry; `Ok(false)` if the stored version moved (as incidents).
    async fn save_window(
        &self,
        window: &DowntimeWindow,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError>;
    /// Windows with a mail still to send.
    async fn pending_windows(&self) -> Result<Vec<DowntimeWindow>, StoreError>;
}

/// A realtime incident to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewIncident {
    pub name: String,
    pub status: &'static str,
    pub impact: Impact,
    pub body: String,
    pub components: BTreeMap<String, ComponentStatus>,
    pub deliver_notifications: bool,
    pub victorops_number: IncidentNumber,
    pub entity_id: String,
}

/// A change of an existing incident's status (and its components').
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentUpdate {
    pub status: &'static str,
    pub body: String,
    pub components: BTreeMap<String, ComponentStatus>,
    pub deliver_notifications: bool,
}

/// A scheduled maintenance to post, for one planned downtime window (its id in the metadata).
#[derive(Debug, Clone, PartialEq)]
pub struct NewMaintenance {
    pub downtime_id: String,
    pub name: String,
    pub body: String,
    pub scheduled_for: jiff::Timestamp,
    pub scheduled_until: jiff::Timestamp,
    pub component_ids: Vec<String>,
    pub deliver_notifications: bool,
    /// Statuspage reminds its subscribers before the window and notifies them at its start and
    /// end; off when Clinic's own timed mails do that (the mapping's `downtime_notices`).
    pub statuspage_reminds: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum StatuspageError {
    /// Statuspage refused the request itself: retrying it unchanged fails again.
    #[error("Statuspage refused {what} with HTTP {status}: {message}")]
    Rejected {
        what: &'static str,
        status: u16,
        message: String,
    },
    /// Unreachable, failing, or still rate-limiting after every retry: may pass later.
    #[error("Statuspage could not {what}: {reason}")]
    Unavailable {
        what: &'static str,
        reason: String,
        /// Whether Statuspage may have applied the request all the same (a timeout, a dropped or
        /// failed answer); not when it was refused for its rate or never reached it.
        maybe_applied: bool,
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

/// The port the incident desk publishes through.
#[async_trait]
pub trait StatusPage: Send + Sync {
    /// Creates a realtime incident; returns its id.
    async fn create_incident(&self, incident: &NewIncident) -> Result<String, StatuspageError>;
    async fn update_incident(
        &self,
        id: &str,
        update: &IncidentUpdate,
    ) -> Result<(), StatuspageError>;
    /// The incident's current status (`resolved` once a person closed it).
    async fn incident_status(&self, id: &str) -> Result<String, StatuspageError>;
    /// An unresolved incident Clinic created for this VictorOps incident, found by its metadata:
    /// how a retried creation whose first answer was lost avoids a duplicate.
    async fn find_unresolved(
        &self,
        number: &IncidentNumber,
    ) -> Result<Option<String>, StatuspageError>;
    /// A scheduled maintenance Clinic posted for this downtime window, found by its metadata.
    async fn find_maintenance(&self, downtime_id: &str) -> Result<Option<String>, StatuspageError>;
    /// Posts a scheduled maintenance; returns its id.
    async fn schedule_maintenance(
        &self,
        maintenance: &NewMaintenance,
    ) -> Result<String, StatuspageError>;
}
