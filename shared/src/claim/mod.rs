//! Claims: the one protocol by which an action on another system (a mail, a Statuspage incident or
//! update, a reminder) is done once however many invocations race for it and whichever answers are
//! lost. A claim is taken by a holder before the action, the intent is recorded right before the
//! action, the outcome right after it; `once` drives it, the port below stores it.
//!
//! Every write carries the holder's token, so a write retried after its answer was lost finds its
//! own token and knows it holds the claim. A claim another holder has and has not finished is never
//! success: the caller answers "busy" (503, Retryable) so the sender comes back. An action whose
//! outcome is unknown (its answer never came) is settled — looked up, or waited for — before anyone
//! acts again.

mod once;

#[cfg(test)]
pub(crate) mod memory;
#[cfg(test)]
mod tests;

use std::fmt;

use async_trait::async_trait;

use crate::audit::AuditEntry;
use crate::store::StoreError;

pub use once::{Effect, Failure, Lookup, Once, OnceError, Outcome, SETTLE_WITHIN};

/// How long a scheduled job waits for a claim another invocation has before calling it busy: jobs
/// have minutes, and a racing invocation usually finishes in well under a second.
pub const JOB_PATIENCE: std::time::Duration = std::time::Duration::from_secs(3);
/// How long a webhook delivery waits for one: deliveries must be answered within seconds.
pub const WEBHOOK_PATIENCE: std::time::Duration = std::time::Duration::from_secs(1);

/// What a claim is on: the thing the action concerns, which also decides where the claim is kept.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum ClaimScope {
    /// A VictorOps incident, by its canonical number.
    Incident(String),
    /// A planned downtime window, by its id.
    Downtime(String),
    /// A rotation, by its name.
    Rotation(String),
    /// A redundancy group of the circuits file, by its name.
    RedundancyGroup(String),
    /// A vendor maintenance, by its provider and the provider's id.
    Maintenance { provider: String, id: String },
}

/// One action done once: per incident `what` is `statuspage-create`, `statuspage-<status>`,
/// `mail-opened`, `reminder-<slot>`; per downtime window `statuspage-create`,
/// `mail-<announce|start|after>`; per rotation `handoff#<week>#<role>#<address>` and
/// `victorops-drift#<week>#<address>`, `moved#<week>#<person>`; per redundancy group `outage#<start>#<maintenances>`;
/// per maintenance `notice#<start|end>#<time>`;
/// `victorops-take#<override>#<week>[#record|#undo|
/// #notice#<address>|#mail#<address>]`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
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

    pub fn maintenance(provider: &str, id: &str, what: impl Into<String>) -> Self {
        Self {
            scope: ClaimScope::Maintenance {
                provider: provider.to_owned(),
                id: id.to_owned(),
            },
            what: what.into(),
        }
    }

    pub fn redundancy_group(name: &str, what: impl Into<String>) -> Self {
        Self {
            scope: ClaimScope::RedundancyGroup(name.to_owned()),
            what: what.into(),
        }
    }
}

impl fmt::Display for ClaimKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (kind, id) = match &self.scope {
            ClaimScope::Incident(n) => ("incident", n),
            ClaimScope::Downtime(id) => ("downtime", id),
            ClaimScope::Rotation(name) => ("rotation", name),
            ClaimScope::RedundancyGroup(name) => ("redundancy-group", name),
            ClaimScope::Maintenance { provider, id } => {
                return write!(f, "maintenance/{provider}/{id}/{}", self.what);
            }
        };
        write!(f, "{kind}/{id}/{}", self.what)
    }
}

/// Who holds a claim: a token unique to one invocation's attempt at the action. The SDK's retries
/// of one write send the same token, so a retry whose first try was applied finds it its own.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Holder(String);

impl Holder {
    /// A fresh token.
    pub fn new() -> Self {
        Self(uuid::Uuid::new_v4().simple().to_string())
    }

    /// A holder named by a token read back from the table.
    pub fn from_token(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Holder {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Holder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Holder({})", self.0)
    }
}

/// What taking a claim found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Taken {
    /// This holder has it until the lease ends. `attempt` counts takes (an earlier one failed,
    /// vanished, or was a lost answer retried); `unsettled_since` is set when an earlier holder began
    /// the action and nobody knows whether it happened: look it up before acting again.
    Mine {
        attempt: u32,
        unsettled_since: Option<jiff::Timestamp>,
    },
    /// Done already, with the outcome recorded then (a Statuspage id, a mail's message id).
    Done(String),
    /// Another holder has it and has not finished; its lease ends at `until`.
    Held { until: jiff::Timestamp },
}

/// How a holder gives a claim up without an outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Release {
    /// The action surely did not happen (refused, or never started): the next holder acts afresh.
    NotDone,
    /// The action may have happened (its answer never came): the next holder settles it first.
    Unknown,
}

/// The port claims are taken and settled through. Every write is conditional on the holder's
/// token, so each may be retried after a lost answer and applies at most once in effect.
#[async_trait]
pub trait Claims: Send + Sync {
    /// Takes the claim for `holder` until `until` when it is free, failed, its lease ran out, or it
    /// is already this holder's.
    async fn take(
        &self,
        key: &ClaimKey,
        holder: &Holder,
        now: jiff::Timestamp,
        until: jiff::Timestamp,
    ) -> Result<Taken, StoreError>;
    /// Records, right before the action, that `holder` is about to act (its intent), so that a
    /// later holder knows the action may have happened. `Ok(false)` when `holder` no longer has it.
    async fn begin(
        &self,
        key: &ClaimKey,
        holder: &Holder,
        now: jiff::Timestamp,
    ) -> Result<bool, StoreError>;
    /// Records the outcome, in one transaction with its audit entry. `Ok(false)` when another
    /// holder took the claim over meanwhile (this one's lease ran out).
    async fn done(
        &self,
        key: &ClaimKey,
        holder: &Holder,
        outcome: &str,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError>;
    /// Gives the claim up without an outcome, saying whether the action may have happened.
    async fn release(
        &self,
        key: &ClaimKey,
        holder: &Holder,
        how: Release,
        error: &str,
        now: jiff::Timestamp,
    ) -> Result<(), StoreError>;
}
