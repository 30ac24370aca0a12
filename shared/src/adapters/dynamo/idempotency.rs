//! Idempotency records on the table: one item per scope and key, expiring by TTL.

use async_trait::async_trait;

use super::{DynamoStore, failure, keys, n, s, table};
use crate::idempotency::{Begin, IdempotencyStore, RETENTION};
use crate::store::StoreError;

#[async_trait]
impl IdempotencyStore for DynamoStore {
    async fn begin(
        &self,
        scope: &str,
        key: &str,
        now: jiff::Timestamp,
    ) -> Result<Begin, StoreError> {
        let pk = keys::idempotency(scope, key);
        if let Some(item) = self.get(&pk, keys::IDEMPOTENCY).await? {
            let state = item.get("state").and_then(|v| v.as_s().ok());
            if state.is_some_and(|s| s == "done") {
                let outcome = item
                    .get("outcome")
                    .and_then(|v| v.as_s().ok())
                    .cloned()
                    .unwrap_or_default();
                return Ok(Begin::Done(outcome));
            }
            return Ok(Begin::Fresh);
        }
        let mut item = Self::key(&pk, keys::IDEMPOTENCY);
        item.insert("state".into(), s("started"));
        item.insert("started_at".into(), s(now.to_string()));
        item.insert(
            table::TTL_ATTRIBUTE.into(),
            n((now + RETENTION).as_second()),
        );
        // A concurrent begin may win: both go ahead, since every handler is idempotent by its own writes.
        let _ = self
            .client
            .put_item()
            .table_name(self.table.as_str())
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", table::PK)
            .send()
            .await;
        Ok(Begin::Fresh)
    }

    async fn complete(
        &self,
        scope: &str,
        key: &str,
        outcome: &str,
        now: jiff::Timestamp,
    ) -> Result<(), StoreError> {
        let mut item = Self::key(&keys::idempotency(scope, key), keys::IDEMPOTENCY);
        item.insert("state".into(), s("done"));
        item.insert("outcome".into(), s(outcome));
        item.insert("completed_at".into(), s(now.to_string()));
        item.insert(
            table::TTL_ATTRIBUTE.into(),
            n((now + RETENTION).as_second()),
        );
        self.client
            .put_item()
            .table_name(self.table.as_str())
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| failure("PutItem", e))?;
        Ok(())
    }
}
