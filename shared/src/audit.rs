//! The audit log: every action Clinic takes on the world (a mail sent, a shift written, a roster
//! loaded) with when, what, why and which event caused it. Entries are written in the same
//! transaction as the change they describe wherever the change is a table write.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::store::StoreError;

/// One recorded action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: String,
    pub at: jiff::Timestamp,
    /// Which part of Clinic acted: a function name, or `cli` with the operator's user name.
    pub actor: String,
    /// What was done, as `thing.verb` (`shift.commit`, `mail.send`, `override.set`).
    pub action: String,
    /// What it was done to, as a path (`rotation/sre-clinic/2027-W01`).
    pub subject: String,
    /// Why, in a sentence a person reads.
    pub why: String,
    /// The event that caused it: an EventBridge event id, a webhook delivery, a CLI invocation.
    pub cause: String,
    /// Anything else worth keeping, as JSON text.
    #[serde(default)]
    pub details: String,
}

impl AuditEntry {
    pub fn new(
        at: jiff::Timestamp,
        actor: impl Into<String>,
        action: impl Into<String>,
        subject: impl Into<String>,
        why: impl Into<String>,
        cause: impl Into<String>,
    ) -> Self {
        Self {
            id: uuid::Uuid::new_v4().simple().to_string(),
            at,
            actor: actor.into(),
            action: action.into(),
            subject: subject.into(),
            why: why.into(),
            cause: cause.into(),
            details: String::new(),
        }
    }

    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = details.to_string();
        self
    }

    /// The UTC day the entry is filed under.
    pub fn day(&self) -> jiff::civil::Date {
        self.at.to_zoned(jiff::tz::TimeZone::UTC).date()
    }
}

/// The port the audit log is written and read through.
#[async_trait]
pub trait AuditLog: Send + Sync {
    async fn record(&self, entry: &AuditEntry) -> Result<(), StoreError>;
    /// Entries from `from` to `to` (UTC days, inclusive), oldest first, at most `limit`.
    async fn list(
        &self,
        from: jiff::civil::Date,
        to: jiff::civil::Date,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError>;
}

/// A readable line per entry for `clinic audit`.
pub fn format_line(entry: &AuditEntry) -> String {
    format!(
        "{}  {:<10} {:<16} {:<36} {} (cause: {})",
        entry.at.strftime("%Y-%m-%d %H:%M:%SZ"),
        entry.actor,
        entry.action,
        entry.subject,
        entry.why,
        entry.cause
    )
}
