//! Committed shifts and overrides on the table, in each rotation's own partition.

use async_trait::async_trait;

use super::{DynamoStore, Item, keys};
use crate::audit::AuditEntry;
use crate::shifts::{Commit, OverrideRecord, ShiftLedger, ShiftRecord};
use crate::store::StoreError;

#[async_trait]
impl ShiftLedger for DynamoStore {
    async fn shifts(&self, rotation: &str) -> Result<Vec<ShiftRecord>, StoreError> {
        self.query_prefix(&keys::rotation(rotation), keys::SHIFT_PREFIX)
            .await?
            .into_iter()
            .map(Self::record)
            .collect()
    }

    async fn overrides(&self, rotation: &str) -> Result<Vec<OverrideRecord>, StoreError> {
        self.query_prefix(&keys::rotation(rotation), keys::OVERRIDE_PREFIX)
            .await?
            .into_iter()
            .map(Self::record)
            .collect()
    }

    async fn commit_shift(
        &self,
        shift: &ShiftRecord,
        audit: &AuditEntry,
    ) -> Result<Commit, StoreError> {
        let pk = keys::rotation(&shift.rotation);
        let sk = keys::shift(&shift.week);
        let item = Self::shift_item(shift)?;
        let written = self
            .transact(vec![
                self.put(item, Some("attribute_not_exists(PK)"))?,
                self.put(Self::audit_item(audit)?, None)?,
            ])
            .await?;
        if written {
            return Ok(Commit::Created);
        }
        let stored = self.get(&pk, &sk).await?.ok_or_else(|| {
            StoreError::malformed(format!("{pk}/{sk}"), "refused as existing, then not found")
        })?;
        Ok(Commit::Existing(Box::new(Self::record(stored)?)))
    }

    async fn replace_shift(
        &self,
        shift: &ShiftRecord,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let item = Self::shift_item(shift)?;
        self.transact(vec![
            self.put(item, Some("attribute_exists(PK)"))?,
            self.put(Self::audit_item(audit)?, None)?,
        ])
        .await?;
        Ok(())
    }

    async fn put_override(
        &self,
        record: &OverrideRecord,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let item = Self::item(
            record,
            keys::rotation(&record.rotation),
            keys::override_of(&record.week),
            None,
        )?;
        self.transact(vec![
            self.put(item, None)?,
            self.put(Self::audit_item(audit)?, None)?,
        ])
        .await?;
        Ok(())
    }
}

impl DynamoStore {
    fn shift_item(shift: &ShiftRecord) -> Result<Item, StoreError> {
        let gsi = shift.primary.as_ref().map(|p| {
            (
                keys::person(p),
                format!("{}{}", keys::SHIFT_PREFIX, shift.start_utc),
            )
        });
        Self::item(
            shift,
            keys::rotation(&shift.rotation),
            keys::shift(&shift.week),
            gsi,
        )
    }
}
