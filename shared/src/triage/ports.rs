//! The ports triage acts through: Conduit (Phabricator's API), the per-task ledger in the table, and
//! who is on clinic duty. Adapters: `conduit::ConduitClient`, `store::DynamoStore`; tests use fakes.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::model::{ProjectPhid, Task, TaskPhid, Transaction, TransactionPhid, UserPhid};
use crate::audit::AuditEntry;
use crate::store::StoreError;

/// A Conduit failure. Every kind is retried by answering Phorge with a 5xx: a bad token or a renamed
/// project is fixed by an operator, and the delivery then goes through on a later retry.
#[derive(Debug, thiserror::Error)]
pub enum ConduitError {
    #[error("Conduit {method} could not be reached: {message}")]
    Transport {
        method: &'static str,
        message: String,
    },
    #[error("Conduit {method} answered HTTP {status}")]
    Status { method: &'static str, status: u16 },
    #[error("Conduit {method} refused the call: {code}: {info}")]
    Api {
        method: &'static str,
        code: String,
        info: String,
    },
    #[error("Conduit {method} answered something Clinic cannot read: {reason}")]
    Malformed {
        method: &'static str,
        reason: String,
    },
}

/// A Phabricator user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub phid: UserPhid,
    pub username: String,
}

/// One change `maniphest.edit` makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    AddProjects(Vec<ProjectPhid>),
    RemoveProjects(Vec<ProjectPhid>),
    Subscribe(Vec<UserPhid>),
    Comment(String),
}

#[async_trait]
pub trait Conduit: Send + Sync {
    /// The bot's own user (`user.whoami`).
    async fn whoami(&self) -> Result<User, ConduitError>;
    /// The task's whole history (`transaction.search`, every page), newest first as Conduit gives it.
    async fn transactions(&self, task: &TaskPhid) -> Result<Vec<Transaction>, ConduitError>;
    /// The task with its projects and subscribers (`maniphest.search`); `None` if the bot cannot see it.
    async fn task(&self, task: &TaskPhid) -> Result<Option<Task>, ConduitError>;
    /// Projects by the names the rules give them (`project.search`, which matches any of a project's
    /// hashtags in any case): (the name as asked, PHID) for those Phorge knows.
    async fn projects(&self, slugs: &[String]) -> Result<Vec<(String, ProjectPhid)>, ConduitError>;
    /// The subprojects and milestones under `projects`, at any depth (`project.search` by ancestors).
    async fn descendants(&self, projects: &[ProjectPhid])
    -> Result<Vec<ProjectPhid>, ConduitError>;
    /// Spaces by monogram (`S4`) through `phid.lookup`: (monogram, `PHID-SPCE-...`) for those that exist.
    async fn spaces(&self, monograms: &[String]) -> Result<Vec<(String, String)>, ConduitError>;
    /// Users by user name and by PHID (`user.search`).
    async fn users(
        &self,
        usernames: &[String],
        phids: &[UserPhid],
    ) -> Result<Vec<User>, ConduitError>;
    /// Applies `edits` in one `maniphest.edit`; the transactions it created.
    async fn edit(
        &self,
        task: &TaskPhid,
        edits: &[Edit],
    ) -> Result<Vec<TransactionPhid>, ConduitError>;
}

/// What Clinic remembers about one task between deliveries (item `TASK#<phid>` / `STATE`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskState {
    pub task: String,
    /// Rule -> the delivery that posted its comment.
    #[serde(default)]
    pub comments_posted: BTreeMap<String, String>,
    /// Tags the bot added.
    #[serde(default)]
    pub tags_added: BTreeSet<String>,
    /// Tags a person removed: never added again.
    #[serde(default)]
    pub tags_removed_by_people: BTreeSet<String>,
    /// Approvals seen, per rule: the approvers' user names.
    #[serde(default)]
    pub approvals: BTreeMap<String, BTreeSet<String>>,
    /// People the bot subscribed.
    #[serde(default)]
    pub subscribed: BTreeSet<String>,
    /// Transactions already handled (the latest ones), including the bot's own edits.
    #[serde(default)]
    pub transactions_seen: Vec<String>,
    /// Deliveries already handled (the latest ones), by the SHA-256 of their body.
    #[serde(default)]
    pub deliveries: Vec<String>,
    #[serde(default)]
    pub last_transaction_id: u64,
    #[serde(default)]
    pub updated_at: Option<jiff::Timestamp>,
    /// The task as the brief shows it, refreshed by every delivery that reads the task.
    #[serde(default)]
    pub summary: Option<TaskSummary>,
    /// Stale follow-ups posted, one per period without activity (`<last activity>/<period>`), newest last.
    #[serde(default)]
    pub follow_ups: Vec<String>,
}

/// What the brief and the follow-up sweep need to know about a task without asking Conduit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskSummary {
    /// The task's number (`T<id>` in Phorge's URLs).
    pub id: u64,
    /// Empty for a restricted task: its title is never stored, so no mail or page can show it.
    pub title: String,
    /// Not publicly visible (its view policy, its Space, or a delivery marked secure): shown as
    /// "T123 (restricted)" wherever a title would be.
    #[serde(default)]
    pub restricted: bool,
    /// Phorge's status value (`open`, `stalled`, `resolved`, ...).
    pub status: String,
    /// When a person (not the bot) last changed or commented on it.
    pub last_activity: jiff::Timestamp,
    /// It carries a tag clinic duty works on, and no hands-off project.
    pub clinic_duty: bool,
    /// Still at the rules' "needs triage" priority.
    pub needs_triage: bool,
    /// The approvals an access request still lacks, as `#tag: what` (empty when not waiting).
    #[serde(default)]
    pub pending_approvals: Vec<String>,
}

/// Phorge's default closed statuses (`maniphest.statuses`); any other status is open.
pub const CLOSED_STATUSES: &[&str] = &[
    "resolved",
    "wontfix",
    "invalid",
    "duplicate",
    "spite",
    "declined",
];

impl TaskSummary {
    pub fn is_open(&self) -> bool {
        !CLOSED_STATUSES.contains(&self.status.as_str())
    }
}

/// The lists of open clinic-duty tasks the table indexes (sparse: a closed task, or one clinic duty
/// does not work on, is in none). A task is in the first that applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TaskList {
    /// An access request still waiting for approvals.
    AwaitingApproval,
    /// Still at the "needs triage" priority.
    NeedsTriage,
    /// Any other open clinic-duty task.
    Open,
}

impl TaskList {
    pub const ALL: [TaskList; 3] = [Self::AwaitingApproval, Self::NeedsTriage, Self::Open];
}

/// One task as its list in the index shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListedTask {
    pub task: String,
    pub summary: TaskSummary,
    #[serde(default)]
    pub follow_ups: Vec<String>,
}

/// The index of open clinic-duty tasks, ordered by their last activity, that the triage writes keep.
#[async_trait]
pub trait TaskIndex: Send + Sync {
    /// The tasks of `list`, least recently touched first; with `idle_before`, only those no person
    /// touched since then. One Query (more only past 1 MB of rows).
    async fn listed(
        &self,
        list: TaskList,
        idle_before: Option<jiff::Timestamp>,
    ) -> Result<Vec<ListedTask>, StoreError>;

    /// The `limit` least recently touched tasks of [`Self::listed`], and how many it lists in all:
    /// for a long list, cheaper than reading every row (the brief shows a few and counts the rest).
    async fn oldest_listed(
        &self,
        list: TaskList,
        idle_before: Option<jiff::Timestamp>,
        limit: usize,
    ) -> Result<(Vec<ListedTask>, usize), StoreError> {
        let mut rows = self.listed(list, idle_before).await?;
        let total = rows.len();
        rows.truncate(limit);
        Ok((rows, total))
    }
}

/// How many transaction and delivery ids a task's state keeps; older ones are covered by
/// `last_transaction_id` and by rules being idempotent on the task's own state.
pub const REMEMBERED: usize = 200;

/// How many follow-up keys a task's state keeps.
const FOLLOW_UPS_REMEMBERED: usize = 20;

impl TaskState {
    pub fn new(task: &TaskPhid) -> Self {
        Self {
            task: task.to_string(),
            ..Self::default()
        }
    }

    /// The index list this task belongs in, if any.
    pub fn list(&self) -> Option<TaskList> {
        let summary = self.summary.as_ref()?;
        if !summary.clinic_duty || !summary.is_open() {
            return None;
        }
        Some(if !summary.pending_approvals.is_empty() {
            TaskList::AwaitingApproval
        } else if summary.needs_triage {
            TaskList::NeedsTriage
        } else {
            TaskList::Open
        })
    }

    /// Records a follow-up; the oldest are forgotten (a new period has a new key anyway).
    pub fn remember_follow_up(&mut self, key: &str) {
        if !self.follow_ups.iter().any(|k| k == key) {
            self.follow_ups.push(key.to_owned());
        }
        let excess = self.follow_ups.len().saturating_sub(FOLLOW_UPS_REMEMBERED);
        self.follow_ups.drain(..excess);
    }

    pub fn has_seen_delivery(&self, key: &str) -> bool {
        self.deliveries.iter().any(|d| d == key)
    }

    pub fn has_seen_all(&self, transactions: &[TransactionPhid]) -> bool {
        !transactions.is_empty()
            && transactions
                .iter()
                .all(|t| self.transactions_seen.iter().any(|s| s == t.as_str()))
    }

    pub fn remember_transactions<'a>(&mut self, phids: impl IntoIterator<Item = &'a str>) {
        for phid in phids {
            if !self.transactions_seen.iter().any(|s| s == phid) {
                self.transactions_seen.push(phid.to_owned());
            }
        }
        let excess = self.transactions_seen.len().saturating_sub(REMEMBERED);
        self.transactions_seen.drain(..excess);
    }

    pub fn remember_delivery(&mut self, key: &str) {
        if !self.has_seen_delivery(key) {
            self.deliveries.push(key.to_owned());
        }
        let excess = self.deliveries.len().saturating_sub(REMEMBERED);
        self.deliveries.drain(..excess);
    }
}

/// The per-task state in the table. One delivery at a time works on a task: it takes the task's lease
/// (reading the state in the same call), and gives it back with the write of what it did. Two
/// deliveries about one task at the same moment would otherwise both post a rule's comment.
#[async_trait]
pub trait TriageLedger: Send + Sync {
    /// Reads the state without taking the lease (operators' tools and tests).
    async fn load(&self, task: &TaskPhid) -> Result<TaskState, StoreError>;
    /// Takes the task's lease for `holder` until `until` and reads the state; `None` while another
    /// holder's lease runs.
    async fn claim(
        &self,
        task: &TaskPhid,
        holder: &str,
        now: jiff::Timestamp,
        until: jiff::Timestamp,
    ) -> Result<Option<TaskState>, StoreError>;
    /// Writes the state together with the audit entries of what was done, in one transaction, and
    /// gives the lease back; `false` if the lease had run out and another holder took the task.
    async fn save(
        &self,
        state: &TaskState,
        audit: &[AuditEntry],
        holder: &str,
    ) -> Result<bool, StoreError>;
    /// Gives the lease back without writing the state (a delivery that failed before doing anything).
    async fn release(&self, task: &TaskPhid, holder: &str) -> Result<(), StoreError>;
    /// Queues a delivery on a task whose lease another delivery holds, in one write conditional on
    /// that lease still running at `now`; `false` when it no longer runs (take the task instead).
    async fn queue(
        &self,
        task: &TaskPhid,
        delivery: &QueuedDelivery,
        now: jiff::Timestamp,
    ) -> Result<bool, StoreError>;
    /// The deliveries queued on the task, in key order.
    async fn queued(&self, task: &TaskPhid) -> Result<Vec<QueuedDelivery>, StoreError>;
    /// Forgets a queued delivery once it was handled.
    async fn dequeue(&self, task: &TaskPhid, key: &str) -> Result<(), StoreError>;
}

/// A delivery that arrived while another one held its task: answered 200 at once (Phorge sends
/// one request at a time per hook and pauses a hook after repeated errors), and handled by the
/// holder, which looks for queued deliveries after its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedDelivery {
    pub key: String,
    pub transactions: Vec<String>,
    #[serde(default)]
    pub silent: bool,
    #[serde(default)]
    pub secure: bool,
    pub epoch: i64,
    pub queued_at: jiff::Timestamp,
}

/// Who is on clinic duty at a moment (a roster person id), from the rotation's committed shifts.
#[async_trait]
pub trait DutyRoster: Send + Sync {
    async fn on_duty(
        &self,
        rotation: &str,
        now: jiff::Timestamp,
    ) -> Result<Option<String>, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(status: &str, clinic_duty: bool) -> TaskSummary {
        TaskSummary {
            restricted: false,
            id: 7,
            title: "t".into(),
            status: status.into(),
            last_activity: jiff::Timestamp::UNIX_EPOCH,
            clinic_duty,
            needs_triage: false,
            pending_approvals: vec![],
        }
    }

    #[test]
    fn a_task_is_listed_in_the_first_list_that_applies_and_in_none_once_closed() {
        let mut state = TaskState::default();
        assert_eq!(state.list(), None);
        state.summary = Some(summary("open", true));
        assert_eq!(state.list(), Some(TaskList::Open));
        if let Some(s) = state.summary.as_mut() {
            s.needs_triage = true;
        }
        assert_eq!(state.list(), Some(TaskList::NeedsTriage));
        if let Some(s) = state.summary.as_mut() {
            s.pending_approvals = vec!["#sre-access-requests: an SRE director".into()];
        }
        assert_eq!(state.list(), Some(TaskList::AwaitingApproval));
        state.summary = Some(summary("resolved", true));
        assert_eq!(state.list(), None);
        state.summary = Some(summary("open", false));
        assert_eq!(state.list(), None);
    }

    #[test]
    fn a_state_remembers_a_bounded_number_of_transactions() {
        let mut state = TaskState::default();
        let phids: Vec<String> = (0..REMEMBERED + 5)
            .map(|i| format!("PHID-XACT-TASK-{i}"))
            .collect();
        state.remember_transactions(phids.iter().map(String::as_str));
        state.remember_transactions(phids.iter().rev().map(String::as_str).take(3));
        assert_eq!(state.transactions_seen.len(), REMEMBERED);
        assert_eq!(state.transactions_seen[0], "PHID-XACT-TASK-5");
    }
}
