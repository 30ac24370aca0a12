//! The triage ports on the table: a task's state at `TASK#<phid>` / `STATE` with the lease of the
//! delivery working on it, written in one transaction with the audit entries of the delivery, and the person on duty read from the rotation's shifts.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Put, ReturnValue, TransactWriteItem};

use super::dynamo::{n, s};
use super::{DynamoStore, StoreError, keys, table};
use crate::audit::AuditEntry;
use crate::rotation::handoff::ShiftLedger;
use crate::triage::model::TaskPhid;
use crate::triage::ports::{DutyRoster, TaskState, TriageLedger};

/// DynamoDB takes at most 100 items per transaction; one is the state.
const AUDITS_PER_TRANSACTION: usize = 99;

/// The attributes of a task's lease on its state item; a `save` (a whole-item put) removes them.
const LEASE_HOLDER: &str = "lease_holder";
const LEASE_UNTIL: &str = "lease_until";

#[async_trait]
impl TriageLedger for DynamoStore {
    async fn load(&self, task: &TaskPhid) -> Result<TaskState, StoreError> {
        match self
            .get(&keys::task(task.as_str()), keys::TASK_STATE)
            .await?
        {
            Some(item) => state_of(item, task),
            None => Ok(TaskState::new(task)),
        }
    }

    async fn claim(
        &self,
        task: &TaskPhid,
        holder: &str,
        now: jiff::Timestamp,
        until: jiff::Timestamp,
    ) -> Result<Option<TaskState>, StoreError> {
        let result = self
            .client()
            .update_item()
            .table_name(self.table().as_str())
            .key(table::PK, s(keys::task(task.as_str())))
            .key(table::SK, s(keys::TASK_STATE))
            .update_expression("SET #holder = :holder, #until = :until")
            .condition_expression("attribute_not_exists(#until) OR #until < :now")
            .expression_attribute_names("#holder", LEASE_HOLDER)
            .expression_attribute_names("#until", LEASE_UNTIL)
            .expression_attribute_values(":holder", s(holder))
            .expression_attribute_values(":until", n(until.as_second()))
            .expression_attribute_values(":now", n(now.as_second()))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(output) => state_of(output.attributes.unwrap_or_default(), task).map(Some),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(None)
            }
            Err(err) => Err(StoreError::dynamo("UpdateItem", err)),
        }
    }

    async fn save(
        &self,
        state: &TaskState,
        audit: &[AuditEntry],
        holder: &str,
    ) -> Result<bool, StoreError> {
        let item = Self::item(
            state,
            keys::task(&state.task),
            keys::TASK_STATE.into(),
            None,
        )?;
        let put = Put::builder()
            .table_name(self.table().as_str())
            .set_item(Some(item))
            .condition_expression("#holder = :holder")
            .expression_attribute_names("#holder", LEASE_HOLDER)
            .expression_attribute_values(":holder", s(holder))
            .build()
            .map_err(|e| StoreError::dynamo("TransactWriteItems", e))?;
        let mut chunks = audit.chunks(AUDITS_PER_TRANSACTION);
        let mut writes = vec![TransactWriteItem::builder().put(put).build()];
        for entry in chunks.next().unwrap_or_default() {
            writes.push(self.put(Self::audit_item(entry)?, None)?);
        }
        if !self.transact(writes).await? {
            return Ok(false);
        }
        // Only a delivery deciding more than 99 things gets here; such a delivery is not expected.
        for chunk in chunks {
            let writes = chunk
                .iter()
                .map(|entry| self.put(Self::audit_item(entry)?, None))
                .collect::<Result<Vec<_>, _>>()?;
            self.transact(writes).await?;
        }
        Ok(true)
    }

    async fn release(&self, task: &TaskPhid, holder: &str) -> Result<(), StoreError> {
        let result = self
            .client()
            .update_item()
            .table_name(self.table().as_str())
            .key(table::PK, s(keys::task(task.as_str())))
            .key(table::SK, s(keys::TASK_STATE))
            .update_expression("REMOVE #holder, #until")
            .condition_expression("#holder = :holder")
            .expression_attribute_names("#holder", LEASE_HOLDER)
            .expression_attribute_names("#until", LEASE_UNTIL)
            .expression_attribute_values(":holder", s(holder))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // The lease ran out and another delivery holds the task now: nothing of ours to give back.
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(err) => Err(StoreError::dynamo("UpdateItem", err)),
        }
    }
}

/// A task whose first delivery failed before anything was recorded has only its key (and perhaps a
/// lease) in the table: it has no state yet.
fn state_of(item: super::dynamo::Item, task: &TaskPhid) -> Result<TaskState, StoreError> {
    if item.contains_key("task") {
        DynamoStore::record(item)
    } else {
        Ok(TaskState::new(task))
    }
}

#[async_trait]
impl DutyRoster for DynamoStore {
    async fn on_duty(
        &self,
        rotation: &str,
        now: jiff::Timestamp,
    ) -> Result<Option<String>, StoreError> {
        Ok(self
            .shifts(rotation)
            .await?
            .into_iter()
            .find(|s| s.start_utc <= now && now < s.end_utc)
            .and_then(|s| s.primary))
    }
}
