//! The audit log on the table: one partition per UTC day, and a GSI1 entry per subject.

use async_trait::async_trait;

use super::{DynamoStore, failure, keys};
use crate::audit::{AuditEntry, AuditLog};
use crate::store::StoreError;

#[async_trait]
impl AuditLog for DynamoStore {
    async fn record(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(self.table.as_str())
            .set_item(Some(Self::audit_item(entry)?))
            .send()
            .await
            .map_err(|e| failure("PutItem", e))?;
        Ok(())
    }

    async fn list(
        &self,
        from: jiff::civil::Date,
        to: jiff::civil::Date,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let mut entries = Vec::new();
        let mut day = from;
        while day <= to && entries.len() < limit {
            for item in self.query_prefix(&keys::audit_day(day), "").await? {
                entries.push(Self::record(item)?);
            }
            day = match day.tomorrow() {
                Ok(next) => next,
                Err(_) => break,
            };
        }
        entries.truncate(limit);
        Ok(entries)
    }
}
