//! What the handoff job needs from the table beyond the shifts: the outbox of handoff mails, each
//! claimed before it is sent and recorded after.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::audit::AuditEntry;
use crate::mail::EmailAddress;
use crate::store::StoreError;

/// Who a handoff mail is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailRole {
    Incoming,
    Backup,
    Outgoing,
    Notify,
    /// The notify list, told that a week is unstaffed.
    Alert,
}

impl MailRole {
    /// Why this recipient gets the mail, for the audit log.
    pub fn reason(self) -> &'static str {
        match self {
            Self::Incoming => "the person coming on duty",
            Self::Backup => "the backup of a first duty",
            Self::Outgoing => "the person going off duty",
            Self::Notify => "the rotation's notify list",
            Self::Alert => "the notify list, because nobody can serve",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Incoming => "incoming",
            Self::Backup => "backup",
            Self::Outgoing => "outgoing",
            Self::Notify => "notify",
            Self::Alert => "alert",
        }
    }
}

/// Identifies one handoff mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailKey {
    pub rotation: String,
    pub week: String,
    pub role: MailRole,
    pub address: EmailAddress,
}

impl MailKey {
    pub fn subject(&self) -> String {
        format!(
            "rotation/{}/{}/mail/{}/{}",
            self.rotation,
            self.week,
            self.role.as_str(),
            self.address
        )
    }

    pub fn message_id(&self, attempt: u32) -> String {
        crate::mail::stable_message_id(&self.subject(), &self.week, attempt)
    }
}

/// What a claim on a mail found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This invocation may send; `attempt` counts from 1.
    Claimed {
        attempt: u32,
    },
    AlreadySent,
    /// Another invocation holds an unexpired lease on it.
    HeldElsewhere,
}

/// The record of which handoff mails went out.
#[async_trait]
pub trait HandoffOutbox: Send + Sync {
    async fn claim_mail(
        &self,
        key: &MailKey,
        now: jiff::Timestamp,
        lease_until: jiff::Timestamp,
    ) -> Result<Claim, StoreError>;
    async fn mail_sent(
        &self,
        key: &MailKey,
        message_id: &str,
        now: jiff::Timestamp,
        audit: &AuditEntry,
    ) -> Result<(), StoreError>;
    async fn mail_failed(
        &self,
        key: &MailKey,
        error: &str,
        now: jiff::Timestamp,
    ) -> Result<(), StoreError>;
}
