//! The triage ports on the table: a task's state at `TASK#<phid>` / `STATE`, written in one transaction
//! with the audit entries of the delivery, and the person on duty read from the rotation's shifts.

use async_trait::async_trait;

use super::{DynamoStore, StoreError, keys};
use crate::audit::AuditEntry;
use crate::rotation::handoff::ShiftLedger;
use crate::triage::model::TaskPhid;
use crate::triage::ports::{DutyRoster, TaskState, TriageLedger};

/// DynamoDB takes at most 100 items per transaction; one is the state.
const AUDITS_PER_TRANSACTION: usize = 99;

#[async_trait]
impl TriageLedger for DynamoStore {
    async fn load(&self, task: &TaskPhid) -> Result<TaskState, StoreError> {
        match self
            .get(&keys::task(task.as_str()), keys::TASK_STATE)
            .await?
        {
            Some(item) => Self::record(item),
            None => Ok(TaskState::new(task)),
        }
    }

    async fn save(&self, state: &TaskState, audit: &[AuditEntry]) -> Result<(), StoreError> {
        let item = Self::item(
            state,
            keys::task(&state.task),
            keys::TASK_STATE.into(),
            None,
        )?;
        let mut chunks = audit.chunks(AUDITS_PER_TRANSACTION);
        let mut writes = vec![self.put(item, None)?];
        for entry in chunks.next().unwrap_or_default() {
            writes.push(self.put(Self::audit_item(entry)?, None)?);
        }
        self.transact(writes).await?;
        // Only a delivery deciding more than 99 things gets here; such a delivery is not expected.
        for chunk in chunks {
            let writes = chunk
                .iter()
                .map(|entry| self.put(Self::audit_item(entry)?, None))
                .collect::<Result<Vec<_>, _>>()?;
            self.transact(writes).await?;
        }
        Ok(())
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
