//! The plan each weekly run saw for the weeks ahead, one item per rotation at `ROTATION#<name>` /
//! `PLAN`, replaced only by the snapshot of a later week.

use async_trait::async_trait;

use super::{DynamoStore, keys, s};
use crate::rotation::moves::PlanSnapshot;
use crate::rotation::ports::PlanSnapshots;
use crate::store::StoreError;

#[async_trait]
impl PlanSnapshots for DynamoStore {
    async fn plan_snapshot(&self, rotation: &str) -> Result<Option<PlanSnapshot>, StoreError> {
        self.get(&keys::rotation(rotation), keys::PLAN)
            .await?
            .map(Self::record)
            .transpose()
    }

    async fn save_plan_snapshot(&self, snapshot: &PlanSnapshot) -> Result<bool, StoreError> {
        let item = Self::item(
            snapshot,
            keys::rotation(&snapshot.rotation),
            keys::PLAN.to_owned(),
            None,
        )?;
        // ISO weeks (`2027-W09`) sort as text.
        self.put_if(
            item,
            "attribute_not_exists(#week) OR #week < :week",
            &[("#week", "week")],
            &[(":week", s(&snapshot.week))],
        )
        .await
    }
}
