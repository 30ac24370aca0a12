//! What the incident desk needs from the table: the incidents themselves, once-only claims for the
//! actions that must not be repeated (a Statuspage creation, a mail), and who to tell.

use async_trait::async_trait;

use super::lifecycle::{IncidentNumber, IncidentRecord};
use crate::audit::AuditEntry;
use crate::mail::EmailAddress;
use crate::store::StoreError;

/// An action done at most once: per incident `what` is `statuspage-create`, `mail-opened`,
/// `reminder-<slot>`; per downtime window `statuspage-create`, `mail-<announce|start|after>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimKey {
    /// The partition of the thing claimed on (`INCIDENT#<number>`, `DOWNTIME#<id>`).
    pub pk: String,
    pub what: String,
}

impl ClaimKey {
    pub fn new(number: &IncidentNumber, what: impl Into<String>) -> Self {
        Self {
            pk: crate::store::keys::incident(number.as_str()),
            what: what.into(),
        }
    }

    pub fn downtime(id: &str, what: impl Into<String>) -> Self {
        Self {
            pk: crate::store::keys::downtime(id),
            what: what.into(),
        }
    }
}

/// The answer to a claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This invocation may act; `attempt` > 1 means an earlier one claimed it and failed or vanished.
    Claimed { attempt: u32 },
    /// Already done; the outcome recorded then (a Statuspage id, a mail's message id).
    Done(String),
    /// Another invocation holds it right now.
    HeldElsewhere,
}

/// A person Clinic writes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub id: String,
    pub name: String,
    pub email: EmailAddress,
}

#[async_trait]
pub trait IncidentLedger: Send + Sync {
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
    async fn claim(
        &self,
        key: &ClaimKey,
        now: jiff::Timestamp,
        lease_until: jiff::Timestamp,
    ) -> Result<Claim, StoreError>;
    /// Marks the claim done with its outcome, in one transaction with the audit entry.
    async fn claim_done(
        &self,
        key: &ClaimKey,
        outcome: &str,
        audit: &AuditEntry,
    ) -> Result<(), StoreError>;
    /// Releases the claim so a later delivery or sweep tries again.
    async fn claim_failed(
        &self,
        key: &ClaimKey,
        error: &str,
        now: jiff::Timestamp,
    ) -> Result<(), StoreError>;
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
#[async_trait]
pub trait DowntimeBook: Send + Sync {
    /// Writes the window with its audit entry; `Ok(false)` if the stored version moved (as incidents).
    async fn save_window(
        &self,
        window: &super::downtime::DowntimeWindow,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError>;
    /// Windows with a mail still to send.
    async fn pending_windows(&self) -> Result<Vec<super::downtime::DowntimeWindow>, StoreError>;
}
