//! What the handoff job's mails are: who each is for, and the claim each is sent once under (the
//! job's other ports are the shifts', the roster mirror's, the audit log's and the claims'), and
//! the hooks the chat step takes from the `notices` feature.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::chat::ChatNetworks;
use crate::claim::ClaimKey;
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

    /// The claim the mail is sent under, in its rotation's partition.
    pub fn claim(&self) -> ClaimKey {
        ClaimKey::rotation(
            &self.rotation,
            format!(
                "handoff#{}#{}#{}",
                self.week,
                self.role.as_str(),
                self.address
            ),
        )
    }
}

/// The standing notice a topic section shows (`{notice}`). The `notices` feature provides it; until
/// it is wired in, no notice shows.
#[async_trait]
pub trait StandingNotices: Send + Sync {
    async fn standing(
        &self,
        rotation: &str,
        now: jiff::Timestamp,
    ) -> Result<Option<String>, StoreError>;
}

/// HOOK for the `notices` feature: reads and handles the commands people posted in the rooms
/// (Matrix `!status ...`). The sweep calls it first each minute, so a notice posted by command shows
/// in the topic the same minute. Not provided on this branch: without it no command is read.
#[async_trait]
pub trait RoomCommands: Send + Sync {
    async fn read_commands(
        &self,
        networks: &ChatNetworks,
        now: jiff::Timestamp,
        cause: &str,
    ) -> Result<serde_json::Value, String>;
}
