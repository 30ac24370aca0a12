//! What swap requests need from the table: create one, read one, replace one conditional on the
//! version read (with its audit entry, in one transaction), and list those whose week is near.

use async_trait::async_trait;

use super::model::{SwapId, SwapRequest};
use crate::audit::AuditEntry;
use crate::store::StoreError;

#[async_trait]
pub trait SwapLedger: Send + Sync {
    /// Writes a new request with its audit entry; `Ok(false)` when its id is taken.
    async fn create_swap(
        &self,
        request: &SwapRequest,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError>;
    async fn swap(&self, id: &SwapId) -> Result<Option<SwapRequest>, StoreError>;
    /// Replaces the request stored at version `next.version - 1` in state `from` by `next`, with its
    /// audit entry: one conditional write. `Ok(false)` when the stored one is not that version
    /// or state any more (another person or run changed it first), and nothing is written.
    async fn move_swap(
        &self,
        from: super::model::SwapState,
        next: &SwapRequest,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError>;
    /// Every request whose week starts at or after `from`, in any state, earliest week first.
    async fn swaps_from(&self, from: jiff::Timestamp) -> Result<Vec<SwapRequest>, StoreError>;
}
