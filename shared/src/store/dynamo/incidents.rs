//! The incident desk's ports on the table: incidents written under optimistic concurrency with their
//! audit entry, once-only claims, and the people to write to (from the rotation's committed shifts).

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};

use super::{DynamoStore, Item, n, s};
use crate::audit::AuditEntry;
use crate::incidents::downtime::DowntimeWindow;
use crate::incidents::lifecycle::{IncidentNumber, IncidentRecord, Phase};
use crate::incidents::ports::{Claim, ClaimKey, Contact, Directory, DowntimeBook, IncidentLedger};
use crate::mail::EmailAddress;
use crate::rotation::handoff::ShiftLedger;
use crate::store::{StoreError, keys, table};

impl DynamoStore {
    /// A put that succeeds only on the version the writer read (absent for version 1).
    fn versioned_put(&self, item: Item, version: u64) -> Result<TransactWriteItem, StoreError> {
        let mut put = Put::builder()
            .table_name(self.table.as_str())
            .set_item(Some(item))
            .expression_attribute_names("#pk", table::PK);
        put = if version <= 1 {
            put.condition_expression("attribute_not_exists(#pk)")
        } else {
            put.condition_expression("attribute_exists(#pk) AND version = :previous")
                .expression_attribute_values(":previous", n(version - 1))
        };
        let put = put
            .build()
            .map_err(|e| StoreError::dynamo("TransactWriteItems", e))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    fn claim_key(key: &ClaimKey) -> Item {
        Self::key(&key.pk, &keys::incident_claim(&key.what))
    }

    fn contact(item: &Item) -> Option<Contact> {
        let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
        Some(Contact {
            id: text("id")?,
            name: text("name").unwrap_or_default(),
            email: EmailAddress::parse(&text("email")?).ok()?,
        })
    }

    async fn person(&self, id: &str) -> Result<Option<Contact>, StoreError> {
        Ok(self
            .get(&keys::person(id), keys::PROFILE)
            .await?
            .as_ref()
            .and_then(Self::contact))
    }
}

#[async_trait]
impl IncidentLedger for DynamoStore {
    async fn incident(
        &self,
        number: &IncidentNumber,
    ) -> Result<Option<IncidentRecord>, StoreError> {
        self.get(&keys::incident(number.as_str()), keys::INCIDENT_STATE)
            .await?
            .map(Self::record)
            .transpose()
    }

    async fn save_incident(
        &self,
        record: &IncidentRecord,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        // One index entry per incident: the reminder sweep's list while its Statuspage incident is
        // open, else the brief's list of incidents VictorOps has not resolved yet.
        let on_statuspage = record.statuspage_id.is_some() && record.statuspage_closed_at.is_none();
        let gsi = if on_statuspage {
            Some((keys::STATUSPAGE_OPEN.to_owned(), record.number.to_string()))
        } else if record.phase != Phase::Resolved {
            Some((keys::VICTOROPS_OPEN.to_owned(), record.number.to_string()))
        } else {
            None
        };
        let item = Self::item(
            record,
            keys::incident(record.number.as_str()),
            keys::INCIDENT_STATE.to_owned(),
            gsi,
        )?;
        self.transact(vec![
            self.versioned_put(item, record.version)?,
            self.put(Self::audit_item(audit)?, None)?,
        ])
        .await
    }

    async fn open_on_statuspage(&self) -> Result<Vec<IncidentRecord>, StoreError> {
        let mut records = Vec::new();
        for listed in self.query_index(keys::STATUSPAGE_OPEN).await? {
            // The index is eventually consistent: read the item itself before acting on it.
            let number = listed
                .get(table::GSI1_SK)
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default();
            let Ok(number) = IncidentNumber::parse(&number) else {
                continue;
            };
            if let Some(record) = self.incident(&number).await?
                && record.statuspage_id.is_some()
                && record.statuspage_closed_at.is_none()
            {
                records.push(record);
            }
        }
        Ok(records)
    }

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
            .set_key(Some(Self::claim_key(key)))
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
                let item = self.get(&key.pk, &keys::incident_claim(&key.what)).await?;
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
            Err(err) => Err(StoreError::dynamo("UpdateItem", err)),
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
            .set_key(Some(Self::claim_key(key)))
            .update_expression(
                "SET #state = :done, outcome = :outcome, done_at = :at REMOVE lease_until, last_error",
            )
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":done", s("done"))
            .expression_attribute_values(":outcome", s(outcome))
            .expression_attribute_values(":at", s(audit.at.to_string()))
            .build()
            .map_err(|e| StoreError::dynamo("TransactWriteItems", e))?;
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
        self.release_claim_as_failed(Self::claim_key(key), "working", error, now)
            .await
    }
}

#[async_trait]
impl Directory for DynamoStore {
    async fn on_duty(
        &self,
        rotation: &str,
        at: jiff::Timestamp,
    ) -> Result<Option<Contact>, StoreError> {
        let shift = self
            .shifts(rotation)
            .await?
            .into_iter()
            .find(|s| s.start_utc <= at && at < s.end_utc);
        match shift.and_then(|s| s.primary) {
            Some(id) => self.person(&id).await,
            None => Ok(None),
        }
    }

    async fn by_victorops_user(&self, user: &str) -> Result<Option<Contact>, StoreError> {
        for listed in self.query_index(keys::PEOPLE).await? {
            let names_user = listed
                .get("victorops_user")
                .and_then(|v| v.as_s().ok())
                .is_some_and(|u| u == user);
            if names_user {
                return Ok(Self::contact(&listed));
            }
        }
        Ok(None)
    }
}

#[async_trait]
impl DowntimeBook for DynamoStore {
    async fn save_window(
        &self,
        window: &DowntimeWindow,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        let gsi = window.pending().then(|| {
            (
                keys::DOWNTIME_PENDING.to_owned(),
                format!("{}#{}", window.start, window.id),
            )
        });
        let item = Self::item(
            window,
            keys::downtime(&window.id),
            keys::DOWNTIME_WINDOW.to_owned(),
            gsi,
        )?;
        self.transact(vec![
            self.versioned_put(item, window.version)?,
            self.put(Self::audit_item(audit)?, None)?,
        ])
        .await
    }

    async fn pending_windows(&self) -> Result<Vec<DowntimeWindow>, StoreError> {
        let mut windows = Vec::new();
        for listed in self.query_index(keys::DOWNTIME_PENDING).await? {
            let id = listed
                .get("id")
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default();
            // Read the item itself: the index is eventually consistent.
            if let Some(item) = self
                .get(&keys::downtime(&id), keys::DOWNTIME_WINDOW)
                .await?
            {
                let window: DowntimeWindow = Self::record(item)?;
                if window.pending() {
                    windows.push(window);
                }
            }
        }
        Ok(windows)
    }
}
