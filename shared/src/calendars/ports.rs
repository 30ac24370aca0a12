//! What the calendars keep in the table: one item per feed token, keyed by the token's SHA-256.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::store::StoreError;

/// Which calendar a token opens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum FeedKind {
    /// The holder's own shifts (on duty or backup) in every rotation they are in.
    Personal,
    /// Every shift of one rotation.
    Team { rotation: String },
    /// The vendor maintenance calendar the maintenance-mail function writes.
    Maintenance,
}

impl FeedKind {
    /// How the page names it.
    pub fn describe(&self) -> String {
        match self {
            FeedKind::Personal => "My shifts".to_owned(),
            FeedKind::Team { rotation } => format!("Rotation {rotation}"),
            FeedKind::Maintenance => "Vendor maintenance".to_owned(),
        }
    }
}

/// A feed token as stored: never the token, only its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedRecord {
    /// SHA-256 of the token, 64 lower-case hex digits.
    pub hash: String,
    /// Whose feed it is (the roster id of the person who issued it).
    pub person: String,
    pub kind: FeedKind,
    /// A VALARM this many minutes before each shift, when chosen.
    pub alarm_minutes: Option<u16>,
    pub issued_at: jiff::Timestamp,
}

/// What a revoke did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoked {
    Revoked,
    /// No such feed (revoked already, or never issued).
    NoSuchFeed,
    /// The feed is someone else's: nothing was written.
    NotYours,
}

#[async_trait]
pub trait FeedTokens: Send + Sync {
    /// Records a new feed; refused (`false`) if one with this hash exists.
    async fn record_feed(&self, feed: &FeedRecord) -> Result<bool, StoreError>;
    /// The feed of a token hash: one read by key.
    async fn feed(&self, hash: &str) -> Result<Option<FeedRecord>, StoreError>;
    /// The feeds `person` issued, oldest first.
    async fn feeds_of(&self, person: &str) -> Result<Vec<FeedRecord>, StoreError>;
    /// Deletes the feed if it is `person`'s, in one conditional write.
    async fn revoke_feed(&self, person: &str, hash: &str) -> Result<Revoked, StoreError>;
}
