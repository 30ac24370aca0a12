//! The brief's port on the table. Every read is one request on a small partition or by key: the
//! rotations' names (the roster's `ROSTER`/`META` item), a rotation's shifts of three weeks (its own
//! partition, a sort-key range), the people on duty (BatchGetItem by key), the sparse index lists of
//! open tasks and incidents, the maintenance months and the review list.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};

use super::{DynamoStore, StoreError, keys, table};
use crate::brief::{BriefSource, IncidentList, PersonCard};
use crate::incidents::lifecycle::IncidentRecord;
use crate::maintenance::lifecycle::{MaintenanceLedger, MaintenanceRecord, ReviewItem};
use crate::rotation::calendar::IsoWeek;
use crate::rotation::handoff::ShiftRecord;

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
/// Rounds of unprocessed keys retried before the read counts as failed.
const BATCH_ROUNDS: u32 = 5;

impl DynamoStore {
    /// The cards of the people still on the roster among `items`.
    fn active_cards(items: Vec<super::dynamo::Item>) -> Result<Vec<PersonCard>, StoreError> {
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
    async fn person_items(&self, ids: &[String]) -> Result<Vec<super::dynamo::Item>, StoreError> {
        let mut found = Vec::new();
        for chunk in ids.chunks(BATCH_KEYS) {
            let mut keys_of = KeysAndAttributes::builder().projection_expression(
                (0..CARD.len())
                    .map(|i| format!("#a{i}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            );
            for (i, attribute) in CARD.iter().enumerate() {
                keys_of = keys_of.expression_attribute_names(format!("#a{i}"), *attribute);
            }
            for id in chunk {
                keys_of = keys_of.keys(HashMap::from([
                    (table::PK.to_owned(), AttributeValue::S(keys::person(id))),
                    (
                        table::SK.to_owned(),
                        AttributeValue::S(keys::PROFILE.to_owned()),
                    ),
                ]));
            }
            let mut request = HashMap::from([(
                self.table().as_str().to_owned(),
                keys_of
                    .build()
                    .map_err(|e| StoreError::dynamo("BatchGetItem", e))?,
            )]);
            let mut round = 0;
            while !request.is_empty() {
                if round == BATCH_ROUNDS {
                    return Err(StoreError::Unprocessed {
                        operation: "BatchGetItem",
                        attempts: BATCH_ROUNDS,
                    });
                }
                if round > 0 {
                    tokio::time::sleep(std::time::Duration::from_millis(50 << round)).await;
                }
                round += 1;
                let output = self
                    .client()
                    .batch_get_item()
                    .set_request_items(Some(request))
                    .send()
                    .await
                    .map_err(|e| StoreError::dynamo("BatchGetItem", e))?;
                if let Some(mut responses) = output.responses {
                    found.extend(responses.remove(self.table().as_str()).unwrap_or_default());
                }
                request = output.unprocessed_keys.unwrap_or_default();
                request.retain(|_, k| !k.keys().is_empty());
            }
        }
        Ok(found)
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
}
