//! The incident desk's ports on the table: incidents written under optimistic concurrency with their
//! audit entry, once-only claims, and the people to write to (from the rotation's committed shifts).

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};

use super::{DynamoStore, Item, n};
use super::{failure, keys, table};
use crate::audit::AuditEntry;
use crate::incidents::lifecycle::{IncidentNumber, IncidentRecord, Phase};
use crate::incidents::ports::DowntimeWindow;
use crate::incidents::ports::{Contact, Directory, DowntimeBook, IncidentLedger};
use crate::mail::EmailAddress;
use crate::shifts::ShiftLedger;
use crate::store::StoreError;

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
        let put = put.build().map_err(|e| failure("TransactWriteItems", e))?;
        Ok(TransactWriteItem::builder().put(put).build())
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
        let gsi = if record.is_held() {
            // Held incidents have their own list, resolved ones too: the brief shows what the
            // window held back, and its end publishes the ones still open.
            Some((
                keys::INCIDENTS_HELD.to_owned(),
                keys::held_since(record.first_seen_at, record.number.as_str()),
            ))
        } else if on_statuspage {
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

    async fn held_incidents(
        &self,
        since: jiff::Timestamp,
    ) -> Result<Vec<IncidentRecord>, StoreError> {
        let mut records = Vec::new();
        for listed in self
            .query_index_from(keys::INCIDENTS_HELD, &keys::held_since(since, ""))
            .await?
        {
            let listed: IncidentRecord = Self::record(listed)?;
            // The index is eventually consistent: read the item itself before acting on it.
            if let Some(record) = self.incident(&listed.number).await?
                && record.is_held()
            {
                records.push(record);
            }
        }
        Ok(records)
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
