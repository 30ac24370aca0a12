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
use super::model::{HistoryFacts, ProjectDirectory, Task, TaskPhid, TransactionPhid, UserPhid};
use super::ports::{
    Conduit, ConduitError, DutyRoster, Edit, QueuedDelivery, TaskState, TaskSummary, TriageLedger,
};
use super::rules::Rules;
use super::webhook::TaskDelivery;
use crate::audit::AuditEntry;
use crate::store::StoreError;

/// The actor named in audit entries.
pub const ACTOR: &str = "phabricator-webhook";

/// How long a delivery holds a task: longer than Phorge waits for an answer (15 s), so a lease only
/// runs out under a delivery that died.
pub(super) const LEASE: jiff::SignedDuration = jiff::SignedDuration::from_secs(30);
/// How many times a delivery tries to take a task or queue itself on it, when the lease ends
/// between the two, before answering 503 (a task this contended is retried by Phorge).
const CLAIM_ATTEMPTS: usize = 3;
/// How long one delivery may take, the queued ones it handles included: Phorge's guide asks for an
/// answer within 10 s, and it gives up waiting at 15 s. A delivery past it is answered 503 and
/// retried; what it applied is found on the task by the retry.
pub const DELIVERY_DEADLINE: std::time::Duration = std::time::Duration::from_secs(8);
/// How many rounds of queued deliveries one delivery handles before returning (more arrive only
/// while it works; whatever is left waits for the task's next delivery).
const QUEUED_ROUNDS: usize = 3;

/// Why a delivery could not be handled; every kind is retried by Phorge.
#[derive(Debug, thiserror::Error)]
pub enum TriageError {
    #[error(transparent)]
    Conduit(#[from] ConduitError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "task {task} is taken and released by other deliveries faster than this one could queue; Phorge will deliver it again"
    )]
    Busy { task: String },
    #[error("task {task} was taken over by another delivery before this one recorded its work")]
    LeaseLost { task: String },
    #[error(
        "task {task}: the delivery took longer than {seconds:.1} s (Conduit or the table hung); Phorge will deliver it again"
    )]
    Deadline { task: String, seconds: f64 },
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
    /// The task is in a hands-off project or Space (`project` names it).
    HandsOff { project: String },
    /// The edit was made silently: the task's summary is recorded, no edit made.
    Silent,
    /// Another delivery holds the task: this one is queued on it and handled by that delivery,
    /// which looks for queued ones before it returns.
    Queued,
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
    /// The hands-off Spaces' PHIDs -> their monograms.
    spaces: BTreeMap<String, String>,
    /// Approvers: PHID -> user name.
    people: BTreeMap<UserPhid, String>,
}

pub struct Triage {
    rules: Rules,
    pub(super) conduit: Arc<dyn Conduit>,
    pub(super) ledger: Arc<dyn TriageLedger>,
    duty: Arc<dyn DutyRoster>,
    pub(super) dry_run: bool,
    deadline: std::time::Duration,
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
            deadline: DELIVERY_DEADLINE,
            directory: OnceCell::new(),
            usernames: Mutex::new(BTreeMap::new()),
        }
    }

    /// Answers within `deadline` instead of [`DELIVERY_DEADLINE`] (tests).
    pub fn with_deadline(mut self, deadline: std::time::Duration) -> Self {
        self.deadline = deadline;
        self
    }

    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    pub(super) async fn directory(&self) -> Result<&Directory, ConduitError> {
        self.directory
            .get_or_try_init(|| async {
                let slugs: Vec<String> = self.rules.slugs().into_iter().collect();
                let names: Vec<String> = self.rules.usernames().into_iter().collect();
                let approvers = async {
                    if names.is_empty() {
                        Ok(Vec::new())
                    } else {
                        self.conduit.users(&names, &[]).await
                    }
                };
                // Independent look-ups, made at once: they are the first delivery's cold start,
                // inside its deadline. Only the SRE project's descendants wait for its PHID.
                let (bot, found, spaces, approvers) = tokio::try_join!(
                    self.conduit.whoami(),
                    self.conduit.projects(&slugs),
                    self.conduit.spaces(&self.rules.hands_off_spaces),
                    approvers,
                )?;
                let mut projects = ProjectDirectory::new(found);
                let unknown: Vec<&String> =
                    slugs.iter().filter(|s| projects.phid(s).is_none()).collect();
                if !unknown.is_empty() {
                    // Loud, not fatal: refusing would answer every delivery 5xx and get the hook
                    // paused, stopping the rules that do work too.
                    tracing::error!(unknown = ?unknown, "the triage rules name projects this Phorge does not know (by slug or hashtag, in any case); rules adding or matching them do nothing until the rules file is fixed");
                }
                if let Some(sre) = projects.phid(&self.rules.sre_tag).cloned() {
                    let under = self.conduit.descendants(&[sre]).await?;
                    projects = projects.with_descendants(&self.rules.sre_tag, under);
                }
                let spaces: BTreeMap<String, String> = spaces
                    .into_iter()
                    .map(|(monogram, phid)| (phid, monogram))
                    .collect();
                for space in self.rules.hands_off_spaces.iter().filter(|m| !spaces.values().any(|v| v == *m)) {
                    tracing::error!(space = %space, "the triage rules' hands_off_spaces names a Space this Phorge does not have");
                }
                let people = approvers
                    .into_iter()
                    .map(|u| (u.phid, u.username))
                    .collect();
                Ok(Directory {
                    bot: bot.phid,
                    projects,
                    spaces,
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

    /// Handles one task delivery whose signature was checked, then the deliveries that were queued
    /// on the task while this one held it.
    pub async fn handle(
        &self,
        delivery: &TaskDelivery,
        now: jiff::Timestamp,
    ) -> Result<Report, TriageError> {
        let started = std::time::Instant::now();
        let Ok(handled) = tokio::time::timeout(self.deadline, self.handle_one(delivery, now)).await
        else {
            // Dropped mid-way: a lease it held runs out by itself, and the retry re-decides from
            // the task, on which whatever was applied is visible.
            return Err(TriageError::Deadline {
                task: delivery.task.to_string(),
                seconds: self.deadline.as_secs_f64(),
            });
        };
        let report = handled?;
        let left = self.deadline.saturating_sub(started.elapsed());
        if !matches!(report.outcome, Outcome::Test | Outcome::Queued) && !left.is_zero() {
            // Whatever is still queued when the time is up waits for the task's next delivery.
            let _ = tokio::time::timeout(left, self.handle_queued(&delivery.task, now)).await;
        }
        Ok(report)
    }

    async fn handle_one(
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
        let Some(mut state) = self.claim_or_queue(delivery, &holder, now).await? else {
            report.outcome = Outcome::Queued;
            info!(task = %delivery.task, delivery = %delivery.key, "queued on the task another delivery holds");
            return Ok(report);
        };
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

    /// Takes the task's lease, or queues the delivery on it while another delivery holds it
    /// (`None`): no waiting, so Phorge's one-at-a-time deliveries never wait on each other.
    async fn claim_or_queue(
        &self,
        delivery: &TaskDelivery,
        holder: &str,
        now: jiff::Timestamp,
    ) -> Result<Option<TaskState>, TriageError> {
        let until = now.saturating_add(LEASE).unwrap_or(now);
        let queued = QueuedDelivery {
            key: delivery.key.clone(),
            transactions: delivery
                .transactions
                .iter()
                .map(|t| t.to_string())
                .collect(),
            silent: delivery.silent,
            secure: delivery.secure,
            epoch: delivery.epoch,
            queued_at: now,
        };
        for _ in 0..CLAIM_ATTEMPTS {
            if let Some(state) = self
                .ledger
                .claim(&delivery.task, holder, now, until)
                .await?
            {
                return Ok(Some(state));
            }
            // Queued only while the other lease still runs; if it ended in between, take the task.
            if self.ledger.queue(&delivery.task, &queued, now).await? {
                return Ok(None);
            }
        }
        Err(TriageError::Busy {
            task: delivery.task.to_string(),
        })
    }

    /// Handles what was queued on `task` while this delivery held it. Failures are logged and the
    /// delivery stays queued: this delivery's own answer is already decided, and the task's next
    /// delivery (or Phorge's retry of a failed one) handles what is left.
    async fn handle_queued(&self, task: &TaskPhid, now: jiff::Timestamp) {
        for _ in 0..QUEUED_ROUNDS {
            let queued = match self.ledger.queued(task).await {
                Ok(queued) if !queued.is_empty() => queued,
                Ok(_) => return,
                Err(error) => {
                    warn!(task = %task, error = %error, "could not read the deliveries queued on the task");
                    return;
                }
            };
            for entry in queued {
                let delivery = TaskDelivery {
                    task: task.clone(),
                    transactions: entry
                        .transactions
                        .iter()
                        .filter_map(|t| TransactionPhid::parse(t).ok())
                        .collect(),
                    test: false,
                    silent: entry.silent,
                    secure: entry.secure,
                    epoch: entry.epoch,
                    key: entry.key.clone(),
                };
                match self.handle_one(&delivery, now).await {
                    // Someone else holds the task again: it was queued anew, and is theirs now.
                    Ok(report) if report.outcome == Outcome::Queued => return,
                    Ok(report) => {
                        info!(task = %task, delivery = %entry.key, outcome = ?report.outcome, "handled a queued delivery");
                        if let Err(error) = self.ledger.dequeue(task, &entry.key).await {
                            warn!(task = %task, error = %error, "could not forget a handled queued delivery; handling it again finds it done");
                        }
                    }
                    Err(error) => {
                        warn!(task = %task, delivery = %entry.key, error = %error, "a queued delivery failed; it stays queued");
                        return;
                    }
                }
            }
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
        let hands_off_space = task
            .space
            .as_ref()
            .and_then(|space| directory.spaces.get(space))
            .cloned();
        let hands_off =
            hands_off_space.is_some() || self.rules.hands_off.iter().any(|p| tags.contains(p));
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
        let routing_tags: Vec<&String> = std::iter::once(&self.rules.routing.unowned_tag)
            .chain(self.rules.routing.teams.iter().map(|t| &t.tag))
            .collect();
        let added_by_bot = directory.projects.slugs_of(&facts.projects_added_by_bot);
        // Routing is people's once the bot routed the task, or once a person took a team's (or
        // the unowned) tag off: either way a person has made the routing decision.
        let routed = routing_tags.iter().any(|t| {
            state.tags_added.contains(*t)
                || added_by_bot.contains(*t)
                || state.tags_removed_by_people.contains(*t)
        });
        let memory = Memory {
            routed,
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
        // Secure deliveries and tasks Phorge does not show publicly keep their title out of the
        // table, so no mail, chat post or page can carry it.
        let restricted =
            delivery.secure || !self.rules.visible_policies.contains(&task.view_policy);
        state.summary = Some(TaskSummary {
            id: task.id,
            title: if restricted {
                String::new()
            } else {
                task.title.clone()
            },
            restricted,
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
        if let Some(space) = hands_off_space {
            report.outcome = Outcome::HandsOff { project: space };
            state.updated_at = Some(now);
            return self.finish(state, &[], holder).await;
        }
        if delivery.silent {
            // A silent edit notifies nobody; Clinic's edits would notify everyone it spared. The
            // next delivery that is not silent decides from the whole task, missing nothing.
            report.outcome = Outcome::Silent;
            state.updated_at = Some(now);
            return self.finish(state, &[], holder).await;
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
