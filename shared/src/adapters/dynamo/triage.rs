//! The triage ports on the table: a task's state at `TASK#<phid>` / `STATE` with the lease of the
//! delivery working on it, written in one transaction with the audit entries of the delivery, and the
//! person on duty read from the rotation's shifts. An open clinic-duty task also has its list row at
//! `TASK#<phid>` / `LISTED`, written in the same transaction: the task's summary and follow-ups only,
//! with sparse GSI1 keys (`TASKS#<list>` / `<last activity>#<phid>`), the index the brief and the
//! follow-up read. The row, not the state, is indexed: a state remembers hundreds of transaction and
//! delivery ids, and a list's Query (and its `COUNT`) is paid by the size of the items it reads.

use async_trait::async_trait;

use super::{DynamoStore, keys};
use crate::audit::AuditEntry;
use crate::shifts::ShiftLedger;
use crate::store::StoreError;
use crate::triage::model::TaskPhid;
use crate::triage::ports::{
    DutyRoster, ListedTask, QueuedDelivery, TaskIndex, TaskList, TaskState, TriageLedger,
};

// A task's lease lives on its state item (`LEASE_HOLDER`, `LEASE_UNTIL`); a `save` (a whole-item
// put) removes it.

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
        let pk = keys::task(task.as_str());
        match self
            .take_lease(&pk, keys::TASK_STATE, holder, now, until)
            .await?
        {
            Some(item) => state_of(item, task).map(Some),
            None => Ok(None),
        }
    }

    async fn save(
        &self,
        state: &TaskState,
        audit: &[AuditEntry],
        holder: &str,
    ) -> Result<bool, StoreError> {
        let pk = keys::task(&state.task);
        let item = Self::item(state, pk.clone(), keys::TASK_STATE.into(), None)?;
        let row = match list_row(state) {
            Some((row, index)) => self.put(
                Self::item(&row, pk, keys::TASK_LISTED.into(), Some(index))?,
                None,
            )?,
            None => self.delete_in_transaction(&pk, keys::TASK_LISTED)?,
        };
        self.transact_with_audit(vec![self.put_if_held(item, holder)?, row], audit)
            .await
    }

    async fn release(&self, task: &TaskPhid, holder: &str) -> Result<(), StoreError> {
        self.give_lease_back(&keys::task(task.as_str()), keys::TASK_STATE, holder)
            .await
    }

    async fn queue(
        &self,
        task: &TaskPhid,
        delivery: &QueuedDelivery,
        now: jiff::Timestamp,
    ) -> Result<bool, StoreError> {
        let pk = keys::task(task.as_str());
        let item = Self::item(
            delivery,
            pk.clone(),
            format!("{}{}", keys::TASK_QUEUED_PREFIX, delivery.key),
            None,
        )?;
        self.put_while_leased(item, &pk, keys::TASK_STATE, now)
            .await
    }

    async fn queued(&self, task: &TaskPhid) -> Result<Vec<QueuedDelivery>, StoreError> {
        self.query_prefix(&keys::task(task.as_str()), keys::TASK_QUEUED_PREFIX)
            .await?
            .into_iter()
            .map(Self::record)
            .collect()
    }

    async fn dequeue(&self, task: &TaskPhid, key: &str) -> Result<(), StoreError> {
        self.delete(
            &keys::task(task.as_str()),
            &format!("{}{key}", keys::TASK_QUEUED_PREFIX),
        )
        .await
    }
}

/// An open clinic-duty task's list row and where it is listed (other tasks have no row).
fn list_row(state: &TaskState) -> Option<(ListedTask, (String, String))> {
    let list = state.list()?;
    let summary = state.summary.as_ref()?;
    let index = (
        keys::task_list(list).to_owned(),
        format!("{}#{}", keys::instant(summary.last_activity), state.task),
    );
    let row = ListedTask {
        task: state.task.clone(),
        summary: summary.clone(),
        follow_ups: state.follow_ups.clone(),
    };
    Some((row, index))
}

#[async_trait]
impl TaskIndex for DynamoStore {
    async fn listed(
        &self,
        list: TaskList,
        idle_before: Option<jiff::Timestamp>,
    ) -> Result<Vec<ListedTask>, StoreError> {
        self.query_index_below(
            keys::task_list(list),
            below(idle_before).as_deref(),
            &LISTED,
        )
        .await?
        .into_iter()
        .map(Self::record)
        .collect()
    }

    async fn oldest_listed(
        &self,
        list: TaskList,
        idle_before: Option<jiff::Timestamp>,
        limit: usize,
    ) -> Result<(Vec<ListedTask>, usize), StoreError> {
        let (items, total) = self
            .query_index_first(
                keys::task_list(list),
                below(idle_before).as_deref(),
                &LISTED,
                limit,
            )
            .await?;
        let rows = items
            .into_iter()
            .map(Self::record)
            .collect::<Result<_, _>>()?;
        Ok((rows, total))
    }
}

/// What a listed task's row needs of its state item.
const LISTED: [&str; 3] = ["task", "summary", "follow_ups"];

/// The index sort-key bound of the tasks idle before `at`: `#` sorts before every character of an
/// instant, so "<cutoff>#" bounds the instants before it.
fn below(idle_before: Option<jiff::Timestamp>) -> Option<String> {
    idle_before.map(|at| format!("{}#", keys::instant(at)))
}

/// A task whose first delivery failed before anything was recorded has only its key (and perhaps a
/// lease) in the table: it has no state yet.
fn state_of(item: super::Item, task: &TaskPhid) -> Result<TaskState, StoreError> {
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
