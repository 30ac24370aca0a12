//! What sign-in keeps in the table (links and sessions by their hash, attempt counters that expire)
//! and where its randomness comes from.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::store::StoreError;

/// A mailed link, known by the SHA-256 of its token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkRecord {
    pub hash: String,
    pub person: String,
    pub issued_at: jiff::Timestamp,
    pub expires_at: jiff::Timestamp,
}

/// A signed-in browser, known by the SHA-256 of its cookie.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    pub hash: String,
    pub person: String,
    pub created_at: jiff::Timestamp,
    pub expires_at: jiff::Timestamp,
}

/// Whose attempts a counter counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptScope {
    /// Links asked for one address (known or not).
    Address,
    /// Links asked for from one client address.
    Client,
}

impl AttemptScope {
    pub fn name(self) -> &'static str {
        match self {
            AttemptScope::Address => "address",
            AttemptScope::Client => "client",
        }
    }
}

#[async_trait]
pub trait SignInLedger: Send + Sync {
    async fn record_link(&self, link: &LinkRecord) -> Result<(), StoreError>;
    /// Marks the link used, in one conditional write; its person, or `None` when no such link was
    /// issued or it was used already (a replay).
    async fn redeem_link(
        &self,
        hash: &str,
        now: jiff::Timestamp,
    ) -> Result<Option<String>, StoreError>;
    /// Records a session; refused (`false`) if one with this hash exists.
    async fn record_session(&self, session: &SessionRecord) -> Result<bool, StoreError>;
    async fn session(&self, hash: &str) -> Result<Option<SessionRecord>, StoreError>;
    async fn end_session(&self, hash: &str) -> Result<(), StoreError>;
    /// Adds one to the counter of `subject` (a hash) in the window starting at `window_start`, kept
    /// until `expires`; the count after it.
    async fn count_attempt(
        &self,
        scope: AttemptScope,
        subject: &str,
        window_start: jiff::Timestamp,
        expires: jiff::Timestamp,
    ) -> Result<u64, StoreError>;
}

/// Unpredictable bytes for nonces.
pub trait Nonces: Send + Sync {
    fn nonce(&self) -> Result<[u8; 32], NonceError>;
}

#[derive(Debug, thiserror::Error)]
#[error("no random bytes: {0}")]
pub struct NonceError(pub String);
