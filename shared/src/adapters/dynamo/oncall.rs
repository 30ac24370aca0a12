//! The VictorOps sync's ports on the table: each committed week's record at `ROTATION#<name>` /
//! `VICTOROPS#<week>`, with the lease of the run working on it (taken with the read, renewed with
//! each write, given back with the last one, which also copies the override ids onto the shift), and
//! the once-a-week drift notices as claims beside it.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{TransactWriteItem, Update};

use super::{DynamoStore, LEASE_HOLDER, LEASE_UNTIL, n, s};
use super::{failure, keys, table};
use crate::audit::AuditEntry;
use crate::oncall::ports::{Lease, OnCallLedger, OverrideSyncRecord};
use crate::store::StoreError;

#[async_trait]
impl OnCallLedger for DynamoStore {
    async fn take_sync(
        &self,
        rotation: &str,
        week: &str,
        holder: &str,
        now: jiff::Timestamp,
        until: jiff::Timestamp,
    ) -> Result<Option<OverrideSyncRecord>, StoreError> {
        let pk = keys::rotation(rotation);
        let Some(item) = self
            .take_lease(&pk, &keys::victorops_sync(week), holder, now, until)
            .await?
        else {
            return Ok(None);
        };
        // A week never worked on has only its keys and the lease so far.
        if item.contains_key("status") {
            Self::record(item).map(Some)
        } else {
            Ok(Some(OverrideSyncRecord::new(rotation, week)))
        }
    }

    async fn save_sync(
        &self,
        record: &OverrideSyncRecord,
        holder: &str,
        lease: Lease,
        audit: &[AuditEntry],
    ) -> Result<bool, StoreError> {
        let pk = keys::rotation(&record.rotation);
        let mut item = Self::item(record, pk.clone(), keys::victorops_sync(&record.week), None)?;
        let mut writes = Vec::new();
        match lease {
            Lease::RenewUntil(until) => {
                item.insert(LEASE_HOLDER.into(), s(holder));
                item.insert(LEASE_UNTIL.into(), n(until.as_second()));
            }
            Lease::Release => {
                let ids = record
                    .override_ids()
                    .into_iter()
                    .map(aws_sdk_dynamodb::types::AttributeValue::S)
                    .collect();
                let shift = Update::builder()
                    .table_name(self.table().as_str())
                    .set_key(Some(Self::key(&pk, &keys::shift(&record.week))))
                    .update_expression("SET victorops_overrides = :ids")
                    .condition_expression("attribute_exists(#pk)")
                    .expression_attribute_names("#pk", table::PK)
                    .expression_attribute_values(
                        ":ids",
                        aws_sdk_dynamodb::types::AttributeValue::L(ids),
                    )
                    .build()
                    .map_err(|e| failure("TransactWriteItems", e))?;
                writes.push(TransactWriteItem::builder().update(shift).build());
            }
        }
        writes.insert(0, self.put_if_held(item, holder)?);
        self.transact_with_audit(writes, audit).await
    }

    async fn syncs(&self, rotation: &str) -> Result<Vec<OverrideSyncRecord>, StoreError> {
        self.query_prefix(&keys::rotation(rotation), keys::VICTOROPS_PREFIX)
            .await?
            .into_iter()
            .filter(|item| item.contains_key("status"))
            .map(Self::record)
            .collect()
    }
}
