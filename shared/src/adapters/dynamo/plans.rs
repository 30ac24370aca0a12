//! The plan each weekly run saw for the weeks ahead, one item per rotation at `ROTATION#<name>` /
//! `PLAN`, replaced only by the snapshot of a later week.

use async_trait::async_trait;

use super::{DynamoStore, failure, keys, s};
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
        let result = self
            .client
            .put_item()
            .table_name(self.table.as_str())
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#week) OR #week <= :week")
            .expression_attribute_names("#week", "week")
            .expression_attribute_values(":week", s(&snapshot.week))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(failure("PutItem", e)),
        }
    }
}
