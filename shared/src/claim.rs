//! Claims: how an action on another system (a mail, a Statuspage creation, a reminder) is done at
//! most once however many invocations race for it. A claim is taken before the action, marked done
//! with its outcome after it, and released as failed when the action failed, so a retry may take it.

use async_trait::async_trait;

use crate::audit::AuditEntry;
use crate::store::StoreError;

/// What a claim is on: the thing the action concerns, which also decides where the claim is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimScope {
    /// A VictorOps incident, by its canonical number.
    Incident(String),
    /// A planned downtime window, by its id.
    Downtime(String),
    /// A rotation, by its name.
    Rotation(String),
}

/// One action done at most once: per incident `what` is `statuspage-create`, `mail-opened`,
/// `reminder-<slot>`; per downtime window `statuspage-create`, `mail-<announce|start|after>`; per
/// rotation `victorops-drift#<week>#<address>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimKey {
    pub scope: ClaimScope,
    pub what: String,
}

impl ClaimKey {
    pub fn incident(number: &str, what: impl Into<String>) -> Self {
        Self {
            scope: ClaimScope::Incident(number.to_owned()),
            what: what.into(),
        }
    }

    pub fn downtime(id: &str, what: impl Into<String>) -> Self {
        Self {
            scope: ClaimScope::Downtime(id.to_owned()),
            what: what.into(),
        }
    }

    pub fn rotation(name: &str, what: impl Into<String>) -> Self {
        Self {
            scope: ClaimScope::Rotation(name.to_owned()),
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

/// The port claims are taken and settled through.
#[async_trait]
pub trait Claims: Send + Sync {
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
