//! The handoff mails' outbox on the table: one claim per week, role and address.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{TransactWriteItem, Update};

use super::{DynamoStore, Item, failure, keys, n, s, table};
use crate::audit::AuditEntry;
use crate::handoff::ports::{Claim, HandoffOutbox, MailKey};
use crate::store::StoreError;

impl DynamoStore {
    fn mail_key(key: &MailKey) -> Item {
        Self::key(
            &keys::rotation(&key.rotation),
            &keys::handoff_mail(&key.week, key.role.as_str(), key.address.as_str()),
        )
    }
}

#[async_trait]
impl HandoffOutbox for DynamoStore {
    async fn claim_mail(
        &self,
        key: &MailKey,
        now: jiff::Timestamp,
        lease_until: jiff::Timestamp,
    ) -> Result<Claim, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(self.table.as_str())
            .set_key(Some(Self::mail_key(key)))
            .update_expression(
                "SET #state = :sending, lease_until = :lease, attempts = if_not_exists(attempts, :zero) + :one, \
                 rotation = :rotation, week = :week, #role = :role, address = :address",
            )
            .condition_expression(
                "attribute_not_exists(#pk) OR #state = :failed OR (#state = :sending AND lease_until < :now)",
            )
            .expression_attribute_names("#pk", table::PK)
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#role", "role")
            .expression_attribute_values(":sending", s("sending"))
            .expression_attribute_values(":failed", s("failed"))
            .expression_attribute_values(":lease", n(lease_until.as_second()))
            .expression_attribute_values(":now", n(now.as_second()))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":rotation", s(&key.rotation))
            .expression_attribute_values(":week", s(&key.week))
            .expression_attribute_values(":role", s(key.role.as_str()))
            .expression_attribute_values(":address", s(key.address.as_str()))
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
                let pk = keys::rotation(&key.rotation);
                let sk = keys::handoff_mail(&key.week, key.role.as_str(), key.address.as_str());
                let state = self
                    .get(&pk, &sk)
                    .await?
                    .and_then(|item| item.get("state").cloned());
                match state
                    .as_ref()
                    .and_then(|v| v.as_s().ok())
                    .map(String::as_str)
                {
                    Some("sent") => Ok(Claim::AlreadySent),
                    _ => Ok(Claim::HeldElsewhere),
                }
            }
            Err(err) => Err(failure("UpdateItem", err)),
        }
    }

    async fn mail_sent(
        &self,
        key: &MailKey,
        message_id: &str,
        now: jiff::Timestamp,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let update = Update::builder()
            .table_name(self.table.as_str())
            .set_key(Some(Self::mail_key(key)))
            .update_expression("SET #state = :sent, message_id = :id, sent_at = :at REMOVE lease_until, last_error")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":sent", s("sent"))
            .expression_attribute_values(":id", s(message_id))
            .expression_attribute_values(":at", s(now.to_string()))
            .build()
            .map_err(|e| failure("TransactWriteItems", e))?;
        self.transact(vec![
            TransactWriteItem::builder().update(update).build(),
            self.put(Self::audit_item(audit)?, None)?,
        ])
        .await?;
        Ok(())
    }

    async fn mail_failed(
        &self,
        key: &MailKey,
        error: &str,
        now: jiff::Timestamp,
    ) -> Result<(), StoreError> {
        self.release_claim_as_failed(Self::mail_key(key), "sending", error, now)
            .await
    }
}
