//! Idempotency records: "this event was already handled, and this was the outcome". They expire
//! (TTL) after the longest time a sender retries a delivery, so the table does not grow forever.

use async_trait::async_trait;

use crate::store::StoreError;

/// How long a record is kept: Phorge retries for 7 days, so 8 covers every sender Clinic has.
pub const RETENTION: jiff::SignedDuration = jiff::SignedDuration::from_hours(24 * 8);

/// What starting to handle an event found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begin {
    /// Not handled to completion before: go ahead.
    Fresh,
    /// Completed before, with this recorded outcome.
    Done(String),
}

#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    async fn begin(
        &self,
        scope: &str,
        key: &str,
        now: jiff::Timestamp,
    ) -> Result<Begin, StoreError>;
    async fn complete(
        &self,
        scope: &str,
        key: &str,
        outcome: &str,
        now: jiff::Timestamp,
    ) -> Result<(), StoreError>;
}
