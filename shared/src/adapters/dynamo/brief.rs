//! The brief's port on the table. Every read is one request on a small partition or by key: the
//! rotations' names (the roster's `ROSTER`/`META` item), a rotation's shifts of three weeks (its own
//! partition, a sort-key range), the people on duty (BatchGetItem by key), the sparse index lists of
//! open tasks and incidents, the maintenance months and the review list.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};

use super::pages::{Batch, RetryPolicy, in_batches};
use super::{DynamoStore, failure, keys, table};
use crate::brief::{BriefSource, IncidentList, PersonCard};
use crate::incidents::lifecycle::IncidentRecord;
use crate::maintenance::lifecycle::{MaintenanceRecord, ReviewItem};
use crate::maintenance::ports::MaintenanceLedger;
use crate::rotation::calendar::IsoWeek;
use crate::shifts::ShiftRecord;
use crate::store::StoreError;

/// What a person's card needs of their item.
const CARD: [&str; 7] = [
    "id",
    "name",
    "email",
    "team",
    "timezone",
    "rotations",
    "active",
];
/// BatchGetItem takes at most 100 keys; the brief asks for a handful.
const BATCH_KEYS: usize = 100;

impl DynamoStore {
    /// The cards of the people still on the roster among `items`.
    fn active_cards(items: Vec<super::Item>) -> Result<Vec<PersonCard>, StoreError> {
        let mut people = Vec::new();
        for item in items {
            let active = item
                .get("active")
                .and_then(|v| v.as_bool().ok())
                .copied()
                .unwrap_or(true);
            if active {
                people.push(Self::from_item(item)?);
            }
        }
        Ok(people)
    }

    /// The person items of `ids` (those that exist), projected to their cards.
    async fn person_items(&self, ids: &[String]) -> Result<Vec<super::Item>, StoreError> {
        let keys_of: Vec<super::Item> = ids
            .iter()
            .map(|id| {
                HashMap::from([
                    (table::PK.to_owned(), AttributeValue::S(keys::person(id))),
                    (
                        table::SK.to_owned(),
                        AttributeValue::S(keys::PROFILE.to_owned()),
                    ),
                ])
            })
            .collect();
        let table = self.table().as_str();
        in_batches(
            "BatchGetItem",
            keys_of,
            BATCH_KEYS,
            RetryPolicy::default(),
            |chunk| {
                let mut wanted = KeysAndAttributes::builder()
                    .set_keys(Some(chunk))
                    .projection_expression(
                        (0..CARD.len())
                            .map(|i| format!("#a{i}"))
                            .collect::<Vec<_>>()
                            .join(", "),
                    );
                for (i, attribute) in CARD.iter().enumerate() {
                    wanted = wanted.expression_attribute_names(format!("#a{i}"), *attribute);
                }
                let request = wanted
                    .build()
                    .map(|wanted| self.client().batch_get_item().request_items(table, wanted));
                async move {
                    let output = request
                        .map_err(|e| failure("BatchGetItem", e))?
                        .send()
                        .await
                        .map_err(|e| failure("BatchGetItem", e))?;
                    Ok(Batch {
                        done: output
                            .responses
                            .and_then(|mut r| r.remove(table))
                            .unwrap_or_default(),
                        unprocessed: output
                            .unprocessed_keys
                            .and_then(|mut u| u.remove(table))
                            .map(|k| k.keys)
                            .unwrap_or_default(),
                    })
                }
            },
        )
        .await
    }
}

#[async_trait]
impl BriefSource for DynamoStore {
    async fn people(&self) -> Result<Vec<PersonCard>, StoreError> {
        Self::active_cards(self.query_index_below(keys::PEOPLE, None, &CARD).await?)
    }

    async fn rotation_names(&self) -> Result<Option<Vec<String>>, StoreError> {
        let Some(meta) = self.get(keys::ROSTER, keys::META).await? else {
            return Ok(Some(Vec::new()));
        };
        let Some(listed) = meta.get("rotations") else {
            return Ok(None);
        };
        let names = listed
            .as_l()
            .map_err(|_| StoreError::malformed(keys::ROSTER, "its rotations are not a list"))?
            .iter()
            .map(|v| {
                v.as_s().cloned().map_err(|_| {
                    StoreError::malformed(keys::ROSTER, "a rotation's name is not a string")
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(names))
    }

    async fn people_named(&self, ids: &[String]) -> Result<Vec<PersonCard>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        Self::active_cards(self.person_items(ids).await?)
    }

    async fn shifts_between(
        &self,
        rotation: &str,
        first: IsoWeek,
        last: IsoWeek,
    ) -> Result<Vec<ShiftRecord>, StoreError> {
        self.query_range(
            &keys::rotation(rotation),
            &keys::shift(&first.to_string()),
            &keys::shift(&last.to_string()),
        )
        .await?
        .into_iter()
        .map(Self::from_item)
        .collect()
    }

    async fn open_incidents(&self, list: IncidentList) -> Result<Vec<IncidentRecord>, StoreError> {
        let partition = match list {
            IncidentList::OnStatuspage => keys::STATUSPAGE_OPEN,
            IncidentList::InVictorOps => keys::VICTOROPS_OPEN,
        };
        // The index projects whole items, so the records come with the Query.
        self.query_index_below(partition, None, &[])
            .await?
            .into_iter()
            .map(Self::from_item)
            .collect()
    }

    async fn held_incidents(
        &self,
        since: jiff::Timestamp,
    ) -> Result<Vec<IncidentRecord>, StoreError> {
        self.query_index_from(keys::INCIDENTS_HELD, &keys::held_since(since, ""))
            .await?
            .into_iter()
            .map(Self::from_item)
            .collect()
    }

    async fn maintenance_overlapping(
        &self,
        from: jiff::Timestamp,
        to: jiff::Timestamp,
    ) -> Result<Vec<MaintenanceRecord>, StoreError> {
        self.maintenances_between(from, to).await
    }

    async fn mail_for_review(&self) -> Result<Vec<ReviewItem>, StoreError> {
        self.reviews().await
    }

    async fn notice(&self) -> Result<Option<crate::notices::Notice>, StoreError> {
        Ok(crate::notices::NoticeBoard::board(self).await?.notice)
    }
}
