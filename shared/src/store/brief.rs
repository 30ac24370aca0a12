//! The brief's port on the table. Every read is one Query on a small partition: the people (GSI1
//! `PEOPLE`), a rotation's shifts of three weeks (its own partition, a sort-key range), the sparse
//! index lists of open tasks and incidents, the maintenance months and the review list.

use async_trait::async_trait;

use super::{DynamoStore, StoreError, keys};
use crate::brief::{BriefSource, IncidentList, PersonCard};
use crate::incidents::lifecycle::IncidentRecord;
use crate::maintenance::lifecycle::{MaintenanceLedger, MaintenanceRecord, ReviewItem};
use crate::rotation::calendar::IsoWeek;
use crate::rotation::handoff::ShiftRecord;

#[async_trait]
impl BriefSource for DynamoStore {
    async fn people(&self) -> Result<Vec<PersonCard>, StoreError> {
        let attributes = [
            "id",
            "name",
            "email",
            "team",
            "timezone",
            "rotations",
            "active",
        ];
        let mut people = Vec::new();
        for item in self
            .query_index_below(keys::PEOPLE, None, &attributes)
            .await?
        {
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
