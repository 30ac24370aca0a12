//! The maintenance ledger on the table: one item per maintenance, indexed by the month it starts in so
//! the calendar and the brief read a time range with a few Queries, and review items indexed by arrival.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};

use super::{DynamoStore, failure, keys, n, s, table};
use crate::audit::AuditEntry;
use crate::idempotency::RETENTION;
use crate::maintenance::lifecycle::{MaintenanceRecord, ReviewItem};
use crate::maintenance::ports::{Applied, MaintenanceLedger};
use crate::store::StoreError;

fn month_of(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds)
        .map(|t| t.strftime("%Y-%m").to_string())
        .unwrap_or_else(|_| "0000-00".to_owned())
}

fn months_between(from: jiff::Timestamp, to: jiff::Timestamp) -> Vec<String> {
    let utc = jiff::tz::TimeZone::UTC;
    let mut month = from.to_zoned(utc.clone()).date().first_of_month();
    let last = to.to_zoned(utc).date().first_of_month();
    let mut months = Vec::new();
    while month <= last && months.len() < 240 {
        months.push(month.strftime("%Y-%m").to_string());
        month = match month.checked_add(jiff::Span::new().months(1)) {
            Ok(next) => next,
            Err(_) => break,
        };
    }
    months
}

impl DynamoStore {
    fn maintenance_item(record: &MaintenanceRecord) -> Result<super::Item, StoreError> {
        let start = jiff::Timestamp::from_second(record.start)
            .map(|t| t.to_string())
            .unwrap_or_else(|_| record.start.to_string());
        Self::item_with_keys(
            record,
            keys::maintenance(&record.provider, &record.maintenance_id),
            keys::META.to_owned(),
            Some((
                keys::maintenance_month(&month_of(record.start)),
                format!("{start}#{}#{}", record.provider, record.maintenance_id),
            )),
        )
    }
}

#[async_trait]
impl MaintenanceLedger for DynamoStore {
    async fn maintenance(
        &self,
        provider: &str,
        id: &str,
    ) -> Result<Option<MaintenanceRecord>, StoreError> {
        match self
            .get(&keys::maintenance(provider, id), keys::META)
            .await?
        {
            Some(item) => Ok(Some(Self::from_item(item)?)),
            None => Ok(None),
        }
    }

    async fn write_maintenance(
        &self,
        record: &MaintenanceRecord,
        audit: &AuditEntry,
    ) -> Result<Applied, StoreError> {
        let put = Put::builder()
            .table_name(self.table().as_str())
            .set_item(Some(Self::maintenance_item(record)?))
            // Only a newer notice may replace what is stored: this re-checks `judge` against a racing
            // write. And only over the acknowledgement it was judged with: a person's ack written in
            // between makes it a conflict, re-read and kept.
            .condition_expression(
                "(attribute_not_exists(#pk) OR #stamp < :stamp OR (#stamp = :stamp AND #seq < :seq)) \
                 AND (attribute_not_exists(#ack) OR #ack.#at = :ack_at) \
                 AND (attribute_not_exists(#conf) OR #conf.#at = :conf_at)",
            )
            .expression_attribute_names("#conf", "confirmed")
            .expression_attribute_values(
                ":conf_at",
                AttributeValue::S(
                    record
                        .confirmed
                        .as_ref()
                        .map(|a| a.at.to_string())
                        .unwrap_or_default(),
                ),
            )
            .expression_attribute_names("#pk", table::PK)
            .expression_attribute_names("#ack", "acknowledged")
            .expression_attribute_names("#at", "at")
            .expression_attribute_values(
                ":ack_at",
                AttributeValue::S(
                    record
                        .acknowledged
                        .as_ref()
                        .map(|a| a.at.to_string())
                        .unwrap_or_default(),
                ),
            )
            .expression_attribute_names("#stamp", "stamp")
            .expression_attribute_names("#seq", "sequence")
            .expression_attribute_values(":stamp", AttributeValue::N(record.stamp.to_string()))
            .expression_attribute_values(":seq", AttributeValue::N(record.sequence.to_string()))
            .build()
            .map_err(|e| failure("TransactWriteItems", e))?;
        let written = self
            .transact_items(vec![
                TransactWriteItem::builder().put(put).build(),
                self.audit_put(audit)?,
            ])
            .await?;
        Ok(if written {
            Applied::Written
        } else {
            Applied::Conflict
        })
    }

    async fn acknowledge(
        &self,
        provider: &str,
        id: &str,
        ack: &crate::maintenance::lifecycle::Acknowledgement,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        let value = serde_dynamo::to_attribute_value(ack)
            .map_err(|e| StoreError::malformed(keys::maintenance(provider, id), e))?;
        let update = Update::builder()
            .table_name(self.table().as_str())
            .key(
                table::PK,
                AttributeValue::S(keys::maintenance(provider, id)),
            )
            .key(table::SK, AttributeValue::S(keys::META.to_owned()))
            .condition_expression("attribute_exists(#pk)")
            .update_expression("SET acknowledged = :ack")
            .expression_attribute_names("#pk", table::PK)
            .expression_attribute_values(":ack", value)
            .build()
            .map_err(|e| failure("TransactWriteItems", e))?;
        self.transact_items(vec![
            TransactWriteItem::builder().update(update).build(),
            self.audit_put(audit)?,
        ])
        .await
    }

    async fn confirm(
        &self,
        provider: &str,
        id: &str,
        confirmation: &crate::maintenance::lifecycle::Confirmation,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        let malformed = |e| StoreError::malformed(keys::maintenance(provider, id), e);
        let by = serde_dynamo::to_attribute_value(&confirmation.by).map_err(malformed)?;
        let mut set = vec!["confirmed = :by"];
        let mut remove = Vec::new();
        let mut update = Update::builder()
            .table_name(self.table().as_str())
            .key(
                table::PK,
                AttributeValue::S(keys::maintenance(provider, id)),
            )
            .key(table::SK, AttributeValue::S(keys::META.to_owned()))
            // A confirmation that corrects nothing adds nothing to an earlier one: it writes nothing.
            .condition_expression(
                if confirmation.window.is_none() && confirmation.status.is_none() {
                    "attribute_exists(#pk) AND attribute_not_exists(confirmed)"
                } else {
                    "attribute_exists(#pk)"
                },
            )
            .expression_attribute_names("#pk", table::PK)
            .expression_attribute_values(":by", by);
        if let Some((start, end)) = confirmation.window {
            // The calendar index is keyed by the start: it moves with it, in the same write.
            let stamp = jiff::Timestamp::from_second(start)
                .map(|t| t.to_string())
                .unwrap_or_else(|_| start.to_string());
            set.extend([
                "#start = :start",
                "#end = :end",
                "#gpk = :gpk",
                "#gsk = :gsk",
            ]);
            remove.push("open_ended");
            update = update
                .expression_attribute_names("#start", "start")
                .expression_attribute_names("#end", "end")
                .expression_attribute_names("#gpk", table::GSI1_PK)
                .expression_attribute_names("#gsk", table::GSI1_SK)
                .expression_attribute_values(":start", n(start))
                .expression_attribute_values(":end", n(end))
                .expression_attribute_values(":gpk", s(keys::maintenance_month(&month_of(start))))
                .expression_attribute_values(":gsk", s(format!("{stamp}#{provider}#{id}")));
        }
        if let Some(status) = confirmation.status {
            let status = serde_dynamo::to_attribute_value(status).map_err(malformed)?;
            set.push("#status = :status");
            update = update
                .expression_attribute_names("#status", "status")
                .expression_attribute_values(":status", status);
        }
        let mut expression = format!("SET {}", set.join(", "));
        if !remove.is_empty() {
            expression.push_str(&format!(" REMOVE {}", remove.join(", ")));
        }
        let update = update
            .update_expression(expression)
            .build()
            .map_err(|e| failure("TransactWriteItems", e))?;
        self.transact_items(vec![
            TransactWriteItem::builder().update(update).build(),
            self.audit_put(audit)?,
        ])
        .await
    }

    async fn maintenances_between(
        &self,
        from: jiff::Timestamp,
        to: jiff::Timestamp,
    ) -> Result<Vec<MaintenanceRecord>, StoreError> {
        // A maintenance that started in the month before `from` may still be running.
        let earliest = from - jiff::SignedDuration::from_hours(24 * 31);
        let mut records = Vec::new();
        for month in months_between(earliest, to) {
            for item in self.query_index(&keys::maintenance_month(&month)).await? {
                let record: MaintenanceRecord = Self::from_item(item)?;
                // An open-ended window lasts until a notice or a person gives its end.
                let end = if record.open_ended {
                    i64::MAX
                } else {
                    record.end
                };
                if end > from.as_second() && record.start < to.as_second() {
                    records.push(record);
                }
            }
        }
        records.sort_by(|a, b| {
            (a.start, &a.provider, &a.maintenance_id).cmp(&(
                b.start,
                &b.provider,
                &b.maintenance_id,
            ))
        });
        Ok(records)
    }

    async fn add_review(&self, item: &ReviewItem, audit: &AuditEntry) -> Result<(), StoreError> {
        let stored = Self::item_with_keys(
            item,
            keys::review(&item.id),
            keys::META.to_owned(),
            Some((
                keys::REVIEWS.to_owned(),
                format!("{}#{}", item.received_at, item.id),
            )),
        )?;
        self.transact_items(vec![self.plain_put(stored)?, self.audit_put(audit)?])
            .await?;
        Ok(())
    }

    async fn reviews(&self) -> Result<Vec<ReviewItem>, StoreError> {
        self.query_index(keys::REVIEWS)
            .await?
            .into_iter()
            .map(Self::from_item)
            .collect()
    }

    async fn review_done(&self, id: &str, audit: &AuditEntry) -> Result<bool, StoreError> {
        let update = Update::builder()
            .table_name(self.table().as_str())
            .key(table::PK, AttributeValue::S(keys::review(id)))
            .key(table::SK, AttributeValue::S(keys::META.to_owned()))
            .condition_expression("#list = :reviews")
            .update_expression("SET reviewed_at = :at, reviewed_by = :by REMOVE #list, #sort")
            .expression_attribute_names("#list", table::GSI1_PK)
            .expression_attribute_names("#sort", table::GSI1_SK)
            .expression_attribute_values(":reviews", AttributeValue::S(keys::REVIEWS.to_owned()))
            .expression_attribute_values(":at", AttributeValue::S(audit.at.to_string()))
            .expression_attribute_values(":by", AttributeValue::S(audit.actor.clone()))
            .build()
            .map_err(|e| failure("TransactWriteItems", e))?;
        self.transact_items(vec![
            TransactWriteItem::builder().update(update).build(),
            self.audit_put(audit)?,
        ])
        .await
    }

    // The marker of a parse under way is the review item with a `parse_attempts` attribute; GetItem
    // and PutItem only, the actions the function already has.
    async fn parse_started(&self, item: &ReviewItem) -> Result<u32, StoreError> {
        let pk = keys::review(&item.id);
        let before = self
            .get(&pk, keys::META)
            .await?
            .and_then(|stored| stored.get(PARSE_ATTEMPTS)?.as_n().ok()?.parse::<u32>().ok())
            .unwrap_or(0);
        let attempts = before.saturating_add(1);
        let mut stored = Self::item_with_keys(
            item,
            pk,
            keys::META.to_owned(),
            Some((
                keys::REVIEWS.to_owned(),
                format!("{}#{}", item.received_at, item.id),
            )),
        )?;
        stored.insert(PARSE_ATTEMPTS.into(), n(attempts));
        self.client
            .put_item()
            .table_name(self.table.as_str())
            .set_item(Some(stored))
            .send()
            .await
            .map_err(|e| failure("PutItem", e))?;
        Ok(attempts)
    }

    async fn parse_finished(&self, id: &str, now: jiff::Timestamp) -> Result<(), StoreError> {
        // The marker becomes a small item off the list that expires like an idempotency record.
        let mut resolved = Self::key(&keys::review(id), keys::META);
        resolved.insert("state".into(), s("parsed"));
        resolved.insert("parsed_at".into(), s(now.to_string()));
        resolved.insert(
            table::TTL_ATTRIBUTE.into(),
            n((now + RETENTION).as_second()),
        );
        let result = self
            .client
            .put_item()
            .table_name(self.table.as_str())
            .set_item(Some(resolved))
            .condition_expression("attribute_exists(#attempts)")
            .expression_attribute_names("#attempts", PARSE_ATTEMPTS)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(failure("PutItem", e)),
        }
    }
}

/// The attribute that makes a review item the marker of a parse under way.
const PARSE_ATTEMPTS: &str = "parse_attempts";

#[async_trait]
impl crate::maintenance::ports::DutyDirectory for DynamoStore {
    async fn on_duty(
        &self,
        rotation: &str,
        at: jiff::Timestamp,
    ) -> Result<Option<crate::mail::Mailbox>, StoreError> {
        // The same reading of the committed shifts the incident desk makes.
        let contact = crate::incidents::ports::Directory::on_duty(self, rotation, at).await?;
        Ok(contact.map(|c| crate::mail::Mailbox::new(c.name, c.email)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_is_read_month_by_month() {
        let from: jiff::Timestamp = "2027-11-20T00:00:00Z".parse().unwrap();
        let to: jiff::Timestamp = "2028-02-01T00:00:00Z".parse().unwrap();
        assert_eq!(
            months_between(from, to),
            vec!["2027-11", "2027-12", "2028-01", "2028-02"]
        );
    }
}
