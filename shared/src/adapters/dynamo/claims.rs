//! Claims on the table: one item per claim in the partition of the thing it is on
//! (`INCIDENT#<number>`, `DOWNTIME#<id>`, `ROTATION#<name>`), sort key `CLAIM#<what>`, with the
//! state (`working` under a lease, `done` with its outcome, `failed`) and the attempts so far.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{TransactWriteItem, Update};

use super::{DynamoStore, Item, failure, keys, n, s, table};
use crate::audit::AuditEntry;
use crate::claim::{Claim, ClaimKey, ClaimScope, Claims};
use crate::store::StoreError;

fn claim_pk(scope: &ClaimScope) -> String {
    match scope {
        ClaimScope::Incident(number) => keys::incident(number),
        ClaimScope::Downtime(id) => keys::downtime(id),
        ClaimScope::Rotation(name) => keys::rotation(name),
    }
}

pub(super) fn claim_key(key: &ClaimKey) -> Item {
    DynamoStore::key(&claim_pk(&key.scope), &keys::claim(&key.what))
}

#[async_trait]
impl Claims for DynamoStore {
    async fn claim(
        &self,
        key: &ClaimKey,
        now: jiff::Timestamp,
        lease_until: jiff::Timestamp,
    ) -> Result<Claim, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(self.table.as_str())
            .set_key(Some(claim_key(key)))
            .update_expression(
                "SET #state = :working, lease_until = :lease, attempts = if_not_exists(attempts, :zero) + :one",
            )
            .condition_expression(
                "attribute_not_exists(#pk) OR #state = :failed OR (#state = :working AND lease_until < :now)",
            )
            .expression_attribute_names("#pk", table::PK)
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":working", s("working"))
            .expression_attribute_values(":failed", s("failed"))
            .expression_attribute_values(":lease", n(lease_until.as_second()))
            .expression_attribute_values(":now", n(now.as_second()))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":one", n(1))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(output) => {
                let attempt = output
                    .attributes
                    .as_ref()
                    .and_then(|a| a.get("attempts"))
                    .and_then(|v| v.as_n().ok())
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(1);
                Ok(Claim::Claimed { attempt })
            }
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                let item = self
                    .get(&claim_pk(&key.scope), &keys::claim(&key.what))
                    .await?;
                let text = |name: &str| {
                    item.as_ref()
                        .and_then(|i| i.get(name))
                        .and_then(|v| v.as_s().ok())
                        .cloned()
                };
                match text("state").as_deref() {
                    Some("done") => Ok(Claim::Done(text("outcome").unwrap_or_default())),
                    _ => Ok(Claim::HeldElsewhere),
                }
            }
            Err(err) => Err(failure("UpdateItem", err)),
        }
    }

    async fn claim_done(
        &self,
        key: &ClaimKey,
        outcome: &str,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let update = Update::builder()
            .table_name(self.table.as_str())
            .set_key(Some(claim_key(key)))
            .update_expression(
                "SET #state = :done, outcome = :outcome, done_at = :at REMOVE lease_until, last_error",
            )
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":done", s("done"))
            .expression_attribute_values(":outcome", s(outcome))
            .expression_attribute_values(":at", s(audit.at.to_string()))
            .build()
            .map_err(|e| failure("TransactWriteItems", e))?;
        self.transact(vec![
            TransactWriteItem::builder().update(update).build(),
            self.put(Self::audit_item(audit)?, None)?,
        ])
        .await?;
        Ok(())
    }

    async fn claim_failed(
        &self,
        key: &ClaimKey,
        error: &str,
        now: jiff::Timestamp,
    ) -> Result<(), StoreError> {
        self.release_claim_as_failed(claim_key(key), "working", error, now)
            .await
    }
}
