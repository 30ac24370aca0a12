//! Claims on the table: one item per claim in the partition of the thing it is on
//! (`INCIDENT#<number>`, `DOWNTIME#<id>`, `ROTATION#<name>`), sort key `CLAIM#<what>`, holding the
//! state (`working` under a lease, `done` with its outcome, `failed`), the holder's token, the
//! takes so far, and `acting_since` while an action was begun whose outcome nobody recorded.
//!
//! Every write is conditional on the holder's token, so the SDK's retry of a write whose answer was
//! lost finds the item as its own first try left it and succeeds again instead of reading "held".

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{ReturnValue, TransactWriteItem, Update};

use super::{DynamoStore, Item, failure, keys, n, s, table};
use crate::audit::AuditEntry;
use crate::claim::{ClaimKey, ClaimScope, Claims, Holder, Release, Taken};
use crate::store::StoreError;

fn claim_pk(scope: &ClaimScope) -> String {
    match scope {
        ClaimScope::Incident(number) => keys::incident(number),
        ClaimScope::Downtime(id) => keys::downtime(id),
        ClaimScope::Rotation(name) => keys::rotation(name),
        ClaimScope::RedundancyGroup(name) => keys::redundancy_group(name),
        ClaimScope::Maintenance { provider, id } => keys::maintenance(provider, id),
        ClaimScope::Swap(id) => keys::swap(id),
        // Beside the review item (sort key META): the list's index reads only the item.
        ClaimScope::Review(id) => keys::review(id),
        ClaimScope::Room(room) => keys::room(room),
    }
}

fn claim_key(key: &ClaimKey) -> Item {
    DynamoStore::key(&claim_pk(&key.scope), &keys::claim(&key.what))
}

fn conditional_refusal<E>(error: &aws_sdk_dynamodb::error::SdkError<E>) -> bool
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
{
    error
        .as_service_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == "ConditionalCheckFailedException")
}

fn number(item: &Item, name: &str) -> Option<i64> {
    item.get(name)?.as_n().ok()?.parse().ok()
}

fn text(item: &Item, name: &str) -> Option<String> {
    item.get(name)?.as_s().ok().cloned()
}

fn instant(item: &Item, name: &str) -> Option<jiff::Timestamp> {
    number(item, name).and_then(|s| jiff::Timestamp::from_second(s).ok())
}

#[async_trait]
impl Claims for DynamoStore {
    async fn take(
        &self,
        key: &ClaimKey,
        holder: &Holder,
        now: jiff::Timestamp,
        until: jiff::Timestamp,
    ) -> Result<Taken, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(self.table.as_str())
            .set_key(Some(claim_key(key)))
            .update_expression(
                "SET #state = :working, holder = :me, lease_until = :until, \
                 attempts = if_not_exists(attempts, :zero) + :one",
            )
            .condition_expression(
                "attribute_not_exists(#pk) OR (#state <> :done AND \
                 (#state = :failed OR lease_until < :now OR holder = :me))",
            )
            .expression_attribute_names("#pk", table::PK)
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":working", s("working"))
            .expression_attribute_values(":failed", s("failed"))
            .expression_attribute_values(":done", s("done"))
            .expression_attribute_values(":me", s(holder.as_str()))
            .expression_attribute_values(":until", n(until.as_second()))
            .expression_attribute_values(":now", n(now.as_second()))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":one", n(1))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(output) => {
                let item = output.attributes.unwrap_or_default();
                Ok(Taken::Mine {
                    attempt: number(&item, "attempts")
                        .and_then(|a| u32::try_from(a).ok())
                        .unwrap_or(1),
                    unsettled_since: instant(&item, "acting_since"),
                })
            }
            Err(err) if conditional_refusal(&err) => {
                let item = self
                    .get(&claim_pk(&key.scope), &keys::claim(&key.what))
                    .await?
                    .unwrap_or_default();
                match text(&item, "state").as_deref() {
                    Some("done") => Ok(Taken::Done(text(&item, "outcome").unwrap_or_default())),
                    _ => Ok(Taken::Held {
                        until: instant(&item, "lease_until").unwrap_or(now),
                    }),
                }
            }
            Err(err) => Err(failure("UpdateItem", err)),
        }
    }

    async fn begin(
        &self,
        key: &ClaimKey,
        holder: &Holder,
        now: jiff::Timestamp,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(self.table.as_str())
            .set_key(Some(claim_key(key)))
            .update_expression("SET acting_since = :now")
            .condition_expression("holder = :me AND #state = :working")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":working", s("working"))
            .expression_attribute_values(":me", s(holder.as_str()))
            .expression_attribute_values(":now", n(now.as_second()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err) if conditional_refusal(&err) => Ok(false),
            Err(err) => Err(failure("UpdateItem", err)),
        }
    }

    async fn done(
        &self,
        key: &ClaimKey,
        holder: &Holder,
        outcome: &str,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        let update = Update::builder()
            .table_name(self.table.as_str())
            .set_key(Some(claim_key(key)))
            .update_expression(
                "SET #state = :done, outcome = :outcome, done_at = :at \
                 REMOVE lease_until, acting_since, last_error",
            )
            .condition_expression("holder = :me")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":done", s("done"))
            .expression_attribute_values(":outcome", s(outcome))
            .expression_attribute_values(":at", s(audit.at.to_string()))
            .expression_attribute_values(":me", s(holder.as_str()))
            .build()
            .map_err(|e| failure("TransactWriteItems", e))?;
        // The audit entry's key is its own id: a retried transaction writes the same item again.
        self.transact(vec![
            TransactWriteItem::builder().update(update).build(),
            self.put(Self::audit_item(audit)?, None)?,
        ])
        .await
    }

    async fn release(
        &self,
        key: &ClaimKey,
        holder: &Holder,
        how: Release,
        error: &str,
        now: jiff::Timestamp,
    ) -> Result<(), StoreError> {
        let expression = match how {
            Release::NotDone => {
                "SET #state = :failed, last_error = :error, failed_at = :at \
                 REMOVE lease_until, acting_since"
            }
            Release::Unknown => {
                "SET #state = :failed, last_error = :error, failed_at = :at REMOVE lease_until"
            }
        };
        let result = self
            .client
            .update_item()
            .table_name(self.table.as_str())
            .set_key(Some(claim_key(key)))
            .update_expression(expression)
            .condition_expression("holder = :me AND #state = :working")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":failed", s("failed"))
            .expression_attribute_values(":working", s("working"))
            .expression_attribute_values(":me", s(holder.as_str()))
            .expression_attribute_values(":error", s(error))
            .expression_attribute_values(":at", s(now.to_string()))
            .send()
            .await;
        match result {
            // Another holder took it over meanwhile: recording the failure is no longer ours.
            Ok(_) => Ok(()),
            Err(err) if conditional_refusal(&err) => Ok(()),
            Err(err) => Err(failure("UpdateItem", err)),
        }
    }
}
