//! What the maintenance-mail job needs from the world: the object store SES writes raw mail to (and
//! the calendar is published to), and the table of maintenances and mail to review.

use async_trait::async_trait;

use super::lifecycle::{MaintenanceRecord, ReviewItem};
use crate::audit::AuditEntry;
use crate::store::StoreError;

/// An object store failure (reading a mail, writing the calendar): always worth a retry.
#[derive(Debug, thiserror::Error)]
#[error("S3 {operation} s3://{bucket}/{key} failed: {message}")]
pub struct ObjectError {
    pub operation: &'static str,
    pub bucket: String,
    pub key: String,
    pub message: String,
}

/// A mail object as read.
pub struct RawMail {
    pub bytes: Vec<u8>,
    pub size: u64,
}

/// Where raw mail is read and the calendar written.
#[async_trait]
pub trait MailObjects: Send + Sync {
    /// Reads the object; an object larger than `limit` is not downloaded (`bytes` is empty, `size` set).
    async fn fetch(&self, bucket: &str, key: &str, limit: u64) -> Result<RawMail, ObjectError>;
    async fn publish(
        &self,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
        content_type: &str,
    ) -> Result<(), ObjectError>;
}

/// What writing a verdict found.
#[derive(Debug, Clone, PartialEq)]
pub enum Applied {
    Written,
    /// The record moved on since it was read (a concurrent notice): judge again.
    Conflict,
}

/// The maintenances and review items in the table.
#[async_trait]
pub trait MaintenanceLedger: Send + Sync {
    async fn maintenance(
        &self,
        provider: &str,
        id: &str,
    ) -> Result<Option<MaintenanceRecord>, StoreError>;
    /// Writes `record` if the stored one is still older than it (or absent), with its audit entry.
    async fn write_maintenance(
        &self,
        record: &MaintenanceRecord,
        audit: &AuditEntry,
    ) -> Result<Applied, StoreError>;
    /// Records that a person looked at maintenance `provider`/`id`, with its audit entry, in one
    /// write; `false` when no such maintenance is stored.
    async fn acknowledge(
        &self,
        provider: &str,
        id: &str,
        ack: &super::lifecycle::Acknowledgement,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError>;
    /// Records that a person confirmed maintenance `provider`/`id` (a generic reading, usually),
    /// applying its corrections, with its audit entry, in one conditional write; `false` (nothing
    /// written) when no such maintenance is stored, or when `confirmation` corrects nothing and the
    /// maintenance is confirmed already.
    async fn confirm(
        &self,
        provider: &str,
        id: &str,
        confirmation: &super::lifecycle::Confirmation,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError>;
    /// Maintenances whose window overlaps `[from, to)`, by start time; an open-ended one overlaps
    /// every range from its start on.
    async fn maintenances_between(
        &self,
        from: jiff::Timestamp,
        to: jiff::Timestamp,
    ) -> Result<Vec<MaintenanceRecord>, StoreError>;
    async fn add_review(&self, item: &ReviewItem, audit: &AuditEntry) -> Result<(), StoreError>;
    async fn reviews(&self) -> Result<Vec<ReviewItem>, StoreError>;
    /// Takes review item `id` off the list once a person has dealt with the mail (the item and the
    /// raw mail stay), with its audit entry. `Ok(false)` when no such item is on the list.
    async fn review_done(&self, id: &str, audit: &AuditEntry) -> Result<bool, StoreError>;
    /// Puts `item` (its reason: received, parsing not finished) on the review list before its mail
    /// is parsed, so that a parse that never finishes (the process aborted or was killed) still
    /// leaves the mail there. Returns how many parses of it have now started without finishing,
    /// this one included.
    async fn parse_started(&self, item: &ReviewItem) -> Result<u32, StoreError>;
    /// The parse behind review item `id` finished and the mail needs no review: the item put there
    /// by [`MaintenanceLedger::parse_started`] leaves the list. Any other review item is left alone.
    async fn parse_finished(&self, id: &str, now: jiff::Timestamp) -> Result<(), StoreError>;
}

/// Who to tell of an outage the circuits file reveals: the person on clinic duty.
#[async_trait]
pub trait DutyDirectory: Send + Sync {
    /// The person on duty in `rotation` at `at` (the committed shift whose [start, end) holds it).
    async fn on_duty(
        &self,
        rotation: &str,
        at: jiff::Timestamp,
    ) -> Result<Option<crate::mail::Mailbox>, StoreError>;
}
