//! One delivery, end to end: skip what was handled before and the bot's own edits, read the task
//! through Conduit, decide, apply a delivery's decisions in one `maniphest.edit`, and record the state
//! and the audit entries in one table write. A failure midway records what was done and answers 5xx,
//! so the retry finds the done part on the task itself and applies only the rest.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;
use tokio::sync::{Mutex, OnceCell};
use tracing::{info, warn};

use super::decide::{
    Action, Decision, Memory, OnDuty, TaskView, Verdict, by_rule, decide, is_approval,
    pending_approvals,
};
use super::model::{HistoryFacts, ProjectDirectory, Task, TaskPhid, UserPhid};
use super::ports::{Conduit, ConduitError, DutyRoster, Edit, TaskState, TaskSummary, TriageLedger};
use super::rules::Rules;
use super::webhook::TaskDelivery;
use crate::audit::AuditEntry;
use crate::store::StoreError;

/// The actor named in audit entries.
pub const ACTOR: &str = "phabricator-webhook";

/// How long a delivery holds a task: longer than Phorge waits for an answer (15 s), so a lease only
/// runs out under a delivery that died.
pub(super) const LEASE: jiff::SignedDuration = jiff::SignedDuration::from_secs(30);
/// How often a delivery looks again at a task another delivery holds.
const BUSY_POLL: std::time::Duration = std::time::Duration::from_millis(200);

/// Why a delivery could not be handled; every kind is retried by Phorge.
#[derive(Debug, thiserror::Error)]
pub enum TriageError {
    #[error(transparent)]
    Conduit(#[from] ConduitError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("task {task} is being triaged by another delivery; Phorge will deliver this one again")]
    Busy { task: String },
    #[error("task {task} was taken over by another delivery before this one recorded its work")]
    LeaseLost { task: String },
}

/// What handling a delivery came to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Phorge's "test" button: acknowledged, nothing read or changed.
    Test,
    /// This delivery, or every transaction in it, was handled before.
    AlreadyHandled,
    /// Every transaction in it was the bot's own edit.
    OwnEdits,
    /// The bot cannot see the task.
    TaskNotVisible,
    /// The task is in a hands-off project.
    HandsOff { project: String },
    /// The rules ran; `decisions` lists what was done (or, in a dry run, what would have been).
    Triaged,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub task: String,
    pub delivery: String,
    pub outcome: Outcome,
    pub dry_run: bool,
    pub decisions: Vec<Decision>,
}

/// What the rules' names resolve to in this Phorge, looked up once per process.
#[derive(Debug, Clone)]
pub(super) struct Directory {
    pub(super) bot: UserPhid,
    projects: ProjectDirectory,
    /// Approvers: PHID -> user name.
    people: BTreeMap<UserPhid, String>,
}

pub struct Triage {
    rules: Rules,
    pub(super) conduit: Arc<dyn Conduit>,
    pub(super) ledger: Arc<dyn TriageLedger>,
    duty: Arc<dyn DutyRoster>,
    pub(super) dry_run: bool,
    /// How long a delivery waits for another one working on the same task before answering 503.
    busy_wait: std::time::Duration,
    directory: OnceCell<Directory>,
    usernames: Mutex<BTreeMap<String, UserPhid>>,
}

impl Triage {
    pub fn new(
        rules: Rules,
        conduit: Arc<dyn Conduit>,
        ledger: Arc<dyn TriageLedger>,
        duty: Arc<dyn DutyRoster>,
        dry_run: bool,
    ) -> Self {
        Self {
            rules,
            conduit,
            ledger,
            duty,
            dry_run,
            busy_wait: std::time::Duration::from_secs(5),
            directory: OnceCell::new(),
            usernames: Mutex::new(BTreeMap::new()),
        }
    }

    /// Waits at most `wait` for a task another delivery holds (5 s by default, well inside Phorge's 15 s).
    pub fn with_busy_wait(mut self, wait: std::time::Duration) -> Self {
        self.busy_wait = wait;
        self
    }

    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    pub(super) async fn directory(&self) -> Result<&Directory, ConduitError> {
        self.directory
            .get_or_try_init(|| async {
                let bot = self.conduit.whoami().await?;
                let slugs: Vec<String> = self.rules.slugs().into_iter().collect();
                let found = self.conduit.projects(&slugs).await?;
                let projects = ProjectDirectory::new(found);
                for slug in slugs.iter().filter(|s| projects.phid(s).is_none()) {
                    warn!(slug = %slug, "the rules name a project this Phorge does not have; rules adding it do nothing");
                }
                let names: Vec<String> = self.rules.usernames().into_iter().collect();
                let people = if names.is_empty() {
                    BTreeMap::new()
                } else {
                    self.conduit
                        .users(&names, &[])
                        .await?
                        .into_iter()
                        .map(|u| (u.phid, u.username))
                        .collect()
                };
                Ok(Directory {
                    bot: bot.phid,
                    projects,
                    people,
                })
            })
            .await
    }

    async fn user_phid(&self, username: &str) -> Result<Option<UserPhid>, ConduitError> {
        if let Some(phid) = self.usernames.lock().await.get(username) {
            return Ok(Some(phid.clone()));
        }
        let found = self.conduit.users(&[username.to_owned()], &[]).await?;
        let phid = found
            .into_iter()
            .find(|u| u.username == username)
            .map(|u| u.phid);
        if let Some(phid) = &phid {
            self.usernames
                .lock()
                .await
                .insert(username.to_owned(), phid.clone());
        }
        Ok(phid)
    }

    async fn on_duty(&self, now: jiff::Timestamp) -> Result<Option<OnDuty>, TriageError> {
        let Some(person) = self
            .duty
            .on_duty(&self.rules.clinic_duty.rotation, now)
            .await?
        else {
            return Ok(None);
        };
        let username = self.rules.username_of(&person);
        let Some(phid) = self.user_phid(&username).await? else {
            warn!(person = %person, username = %username, "the person on clinic duty has no Phabricator user");
            return Ok(None);
        };
        Ok(Some(OnDuty { username, phid }))
    }

    /// Handles one task delivery whose signature was checked.
    pub async fn handle(
        &self,
        delivery: &TaskDelivery,
        now: jiff::Timestamp,
    ) -> Result<Report, TriageError> {
        let mut report = Report {
            task: delivery.task.to_string(),
            delivery: delivery.key.clone(),
            outcome: Outcome::Test,
            dry_run: self.dry_run,
            decisions: Vec::new(),
        };
        if delivery.test {
            return Ok(report);
        }
        // Unique per handling: Phorge sends the same body twice, and both copies must not share a lease.
        let holder = format!("{}/{}", delivery.key, uuid::Uuid::new_v4());
        let mut state = self.claim(&delivery.task, &holder, now).await?;
        if state.task.is_empty() {
            state = TaskState::new(&delivery.task);
        }
        let handled = self
            .handle_claimed(delivery, now, &holder, &mut state, &mut report)
            .await;
        if handled.is_err() {
            // A failure after the state was saved finds the lease already given back; that is fine.
            if let Err(error) = self.ledger.release(&delivery.task, &holder).await {
                warn!(task = %delivery.task, error = %error, "could not give the task's lease back; it runs out by itself");
            }
        }
        handled.map(|()| report)
    }

    /// Takes the task's lease, waiting a little for another delivery working on it.
    async fn claim(
        &self,
        task: &TaskPhid,
        holder: &str,
        now: jiff::Timestamp,
    ) -> Result<TaskState, TriageError> {
        let started = std::time::Instant::now();
        loop {
            let waited = jiff::SignedDuration::try_from(started.elapsed()).unwrap_or_default();
            let at = now.saturating_add(waited).unwrap_or(now);
            let until = at.saturating_add(LEASE).unwrap_or(at);
            if let Some(state) = self.ledger.claim(task, holder, at, until).await? {
                return Ok(state);
            }
            if started.elapsed() >= self.busy_wait {
                return Err(TriageError::Busy {
                    task: task.to_string(),
                });
            }
            tokio::time::sleep(BUSY_POLL).await;
        }
    }

    /// Writes the state and the audit entries, giving the task's lease back.
    pub(super) async fn finish(
        &self,
        state: &TaskState,
        audit: &[AuditEntry],
        holder: &str,
    ) -> Result<(), TriageError> {
        if self.ledger.save(state, audit, holder).await? {
            Ok(())
        } else {
            Err(TriageError::LeaseLost {
                task: state.task.clone(),
            })
        }
    }

    async fn handle_claimed(
        &self,
        delivery: &TaskDelivery,
        now: jiff::Timestamp,
        holder: &str,
        state: &mut TaskState,
        report: &mut Report,
    ) -> Result<(), TriageError> {
        if state.has_seen_delivery(&delivery.key) || state.has_seen_all(&delivery.transactions) {
            report.outcome = Outcome::AlreadyHandled;
            self.ledger.release(&delivery.task, holder).await?;
            return Ok(());
        }
        let directory = self.directory().await?;
        let history = self.conduit.transactions(&delivery.task).await?;
        let delivered: Vec<_> = history
            .iter()
            .filter(|t| delivery.transactions.contains(&t.phid))
            .collect();
        let own =
            !delivered.is_empty() && delivered.iter().all(|t| t.author == directory.bot.as_str());
        let delivered_phids: Vec<String> = delivery
            .transactions
            .iter()
            .map(|t| t.to_string())
            .collect();
        state.remember_transactions(delivered_phids.iter().map(String::as_str));
        state.remember_delivery(&delivery.key);
        if own {
            report.outcome = Outcome::OwnEdits;
            state.updated_at = Some(now);
            return self.finish(state, &[], holder).await;
        }
        let Some(task) = self.conduit.task(&delivery.task).await? else {
            report.outcome = Outcome::TaskNotVisible;
            self.ledger.release(&delivery.task, holder).await?;
            return Ok(());
        };

        let facts = HistoryFacts::read(&history, &directory.bot);
        state.last_transaction_id = state.last_transaction_id.max(facts.last_transaction_id);
        let tags = directory.projects.slugs_of(&task.projects);
        state.tags_removed_by_people.extend(
            directory
                .projects
                .slugs_of(&facts.projects_removed_by_people),
        );
        let needs_duty = tags.contains(&self.rules.sre_tag)
            || self
                .rules
                .mailing_lists
                .as_ref()
                .is_some_and(|r| tags.contains(&r.tag))
            || self
                .rules
                .access_requests
                .iter()
                .any(|r| tags.contains(&r.tag))
            || self
                .rules
                .quota_requests
                .as_ref()
                .is_some_and(|r| tags.contains(&r.tag));
        let hands_off = self.rules.hands_off.iter().any(|p| tags.contains(p));
        let on_duty = if needs_duty && !hands_off {
            self.on_duty(now).await?
        } else {
            None
        };

        let mut people = directory.people.clone();
        if let Some(person) = &on_duty {
            people.insert(person.phid.clone(), person.username.clone());
        }
        let mut comments_posted = facts.rule_comments.clone();
        comments_posted.extend(state.comments_posted.keys().cloned());
        let memory = Memory {
            removed_tags: state.tags_removed_by_people.clone(),
            unsubscribed: facts.unsubscribed_by_people.clone(),
            comments_posted,
            comments: facts
                .comments
                .iter()
                .filter_map(|(author, text)| people.get(author).map(|n| (n.clone(), text.clone())))
                .collect(),
        };
        let clinic_duty = needs_duty && !hands_off;
        state.summary = Some(TaskSummary {
            id: task.id,
            title: task.title.clone(),
            status: task.status.clone(),
            last_activity: last_activity(&facts, &task),
            clinic_duty,
            needs_triage: clinic_duty
                && task.priority == self.rules.clinic_duty.needs_triage_priority,
            pending_approvals: if clinic_duty {
                pending_approvals(&self.rules, &tags, &memory)
            } else {
                Vec::new()
            },
        });
        for (name, text) in &memory.comments {
            if is_approval(text, &self.rules.approval_phrases) {
                state
                    .approvals
                    .entry("approved".into())
                    .or_default()
                    .insert(name.clone());
            }
        }
        let mut view = TaskView {
            title: task.title.clone(),
            description: task.description.clone(),
            author: task.author.to_string(),
            tags,
            subscribers: task.subscribers.clone(),
            priority: task.priority,
            created: task.created,
        };
        let epoch = now.as_second();
        let mut verdict = decide(&self.rules, &view, &memory, on_duty.as_ref(), epoch);
        let asks_author =
            matches!(&verdict, Verdict::Decisions(d) if d.iter().any(|d| d.rule == "missing-info"));
        if asks_author {
            let found = self
                .conduit
                .users(&[], std::slice::from_ref(&task.author))
                .await?;
            if let Some(author) = found.into_iter().find(|u| u.phid == task.author) {
                view.author = author.username;
                verdict = decide(&self.rules, &view, &memory, on_duty.as_ref(), epoch);
            }
        }
        let decisions = match verdict {
            Verdict::HandsOff { project } => {
                report.outcome = Outcome::HandsOff { project };
                state.updated_at = Some(now);
                return self.finish(state, &[], holder).await;
            }
            Verdict::Decisions(decisions) => decisions,
        };
        report.outcome = Outcome::Triaged;
        let (done, failure) = self
            .apply(&task.phid, &decisions, directory, state, delivery, now)
            .await;
        report.decisions = done.iter().map(|(d, _)| d.clone()).collect();
        let audit: Vec<AuditEntry> = done.into_iter().map(|(_, entry)| entry).collect();
        state.updated_at = Some(now);
        if failure.is_some() {
            // Not handled yet: the retry must run again, finding the applied part on the task itself.
            state.deliveries.retain(|d| *d != delivery.key);
            state
                .transactions_seen
                .retain(|t| !delivered_phids.contains(t));
        }
        // What was applied is recorded even when a later edit failed, so the audit log is complete.
        self.finish(state, &audit, holder).await?;
        if let Some(error) = failure {
            return Err(error.into());
        }
        info!(task = %task.phid, delivery = %delivery.key, decisions = report.decisions.len(), dry_run = self.dry_run, "triaged");
        Ok(())
    }

    /// Applies all of a delivery's decisions in one edit: on Phorge every edit is a feed story, a mail to
    /// each subscriber and another webhook delivery, so one per rule would multiply all three.
    async fn apply(
        &self,
        task: &TaskPhid,
        decisions: &[Decision],
        directory: &Directory,
        state: &mut TaskState,
        delivery: &TaskDelivery,
        now: jiff::Timestamp,
    ) -> (Vec<(Decision, AuditEntry)>, Option<ConduitError>) {
        let mut edits = Vec::new();
        let mut applied = Vec::new();
        for (_, (rule, group)) in by_rule(decisions) {
            for decision in group {
                let edit = match &decision.action {
                    Action::AddTag(slug) | Action::RemoveTag(slug) => {
                        let Some(phid) = directory.projects.phid(slug) else {
                            warn!(task = %task, rule = %rule, slug = %slug, "skipped: no such project");
                            continue;
                        };
                        if matches!(decision.action, Action::AddTag(_)) {
                            Edit::AddProjects(vec![phid.clone()])
                        } else {
                            Edit::RemoveProjects(vec![phid.clone()])
                        }
                    }
                    Action::Comment(text) => Edit::Comment(text.clone()),
                    Action::Subscribe(user) => Edit::Subscribe(vec![user.clone()]),
                };
                edits.push(edit);
                applied.push(decision);
            }
        }
        if edits.is_empty() {
            return (Vec::new(), None);
        }
        if !self.dry_run {
            match self.conduit.edit(task, &edits).await {
                Ok(created) => {
                    state.remember_transactions(created.iter().map(|t| t.as_str()));
                }
                Err(error) => {
                    warn!(task = %task, error = %error, "edit failed; answering 5xx so Phorge retries");
                    return (Vec::new(), Some(error));
                }
            }
        }
        let mut done = Vec::new();
        for decision in applied {
            if !self.dry_run {
                match &decision.action {
                    Action::AddTag(slug) => {
                        state.tags_added.insert(slug.clone());
                    }
                    Action::Comment(_) => {
                        state
                            .comments_posted
                            .insert(decision.rule.clone(), delivery.key.clone());
                    }
                    Action::Subscribe(user) => {
                        state.subscribed.insert(user.to_string());
                    }
                    Action::RemoveTag(_) => {}
                }
            }
            done.push((decision.clone(), self.audit(task, decision, delivery, now)));
        }
        (done, None)
    }

    fn audit(
        &self,
        task: &TaskPhid,
        decision: &Decision,
        delivery: &TaskDelivery,
        now: jiff::Timestamp,
    ) -> AuditEntry {
        let verb = match &decision.action {
            Action::AddTag(_) => "triage.tag",
            Action::RemoveTag(_) => "triage.untag",
            Action::Comment(_) => "triage.comment",
            Action::Subscribe(_) => "triage.subscribe",
        };
        let action = if self.dry_run {
            format!("{verb}.dry-run")
        } else {
            verb.to_owned()
        };
        AuditEntry::new(
            now,
            ACTOR,
            action,
            format!("task/{task}"),
            format!("rule {}: {}", decision.rule, decision.why),
            format!("webhook:{}", delivery.key),
        )
        .with_details(serde_json::json!({
            "rule": decision.rule,
            "action": decision.action,
            "dry_run": self.dry_run,
            "transactions": delivery.transactions.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
        }))
    }
}

/// When a person last touched the task: its history's last change by a person, or its creation.
pub(super) fn last_activity(facts: &HistoryFacts, task: &Task) -> jiff::Timestamp {
    let seconds = facts.last_human_activity.max(task.created);
    jiff::Timestamp::from_second(seconds).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}
