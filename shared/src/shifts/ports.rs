//! What the committed shifts need from the table: a rotation's shifts and overrides, and writes of
//! each with its audit entry.

use async_trait::async_trait;

use super::{Commit, OverrideRecord, ShiftRecord};
use crate::audit::AuditEntry;
use crate::store::StoreError;

/// The shift history and overrides of a rotation.
#[async_trait]
pub trait ShiftLedger: Send + Sync {
    async fn shifts(&self, rotation: &str) -> Result<Vec<ShiftRecord>, StoreError>;
    async fn overrides(&self, rotation: &str) -> Result<Vec<OverrideRecord>, StoreError>;
    /// Creates the shift only if its week has none, together with its audit entry.
    async fn commit_shift(
        &self,
        shift: &ShiftRecord,
        audit: &AuditEntry,
    ) -> Result<Commit, StoreError>;
    async fn put_override(
        &self,
        record: &OverrideRecord,
        audit: &AuditEntry,
    ) -> Result<(), StoreError>;
    /// Rewrites a committed shift (an override of a week already handed off), with its audit entry.
    async fn replace_shift(
        &self,
        shift: &ShiftRecord,
        audit: &AuditEntry,
    ) -> Result<(), StoreError>;
}
