//! The stale-task follow-up, run on the phabricator-webhook function's schedule: an open clinic-duty
//! task no person touched for `stale.after_days` gets one comment per such period, never more. Each
//! follow-up is claimed with the task's lease (a conditional write) and recorded, with its audit
//! entry, in the same write that gives the lease back; the comment carries the rule's mark, so one
//! already on the task is found in its history even if the table lost the record.

use serde::Serialize;
use tracing::{info, warn};

use super::model::{HistoryFacts, TaskPhid, rule_mark};
use super::ports::{Edit, ListedTask, TaskIndex, TaskList, TaskState};
use super::service::{ACTOR, LEASE, Triage, TriageError};
use crate::audit::AuditEntry;

/// The Scheduler job name the sweep answers to.
pub const FOLLOW_UP_JOB: &str = "phabricator-follow-ups";
/// The rule name in audit entries and in the comment's mark.
pub const FOLLOW_UP_RULE: &str = "stale-follow-up";
/// Follow-ups posted per run at most; the next run goes on (each is two Conduit calls).
pub const PER_RUN: usize = 25;

/// What the sweep did about one task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FollowUpLine {
    pub task: String,
    /// `T<id>`.
    pub name: String,
    /// `posted`, `due` (dry run), `already-posted`, `active` (a person touched it since the table
    /// heard), `not-listed` (closed or no longer clinic duty's), `busy` (a delivery holds it), `failed`.
    pub outcome: &'static str,
    /// `<last activity epoch>/<period>`: one follow-up per key.
    pub period: Option<String>,
    pub idle_days: i64,
}

/// The period `now` falls in since `last` (1 is the first stale one), as the follow-up's key; `None`
/// while the task is not stale.
pub fn period_key(
    last: jiff::Timestamp,
    now: jiff::Timestamp,
    after: jiff::SignedDuration,
) -> Option<String> {
    let idle = now.duration_since(last).as_secs();
    let every = after.as_secs().max(1);
    let period = idle / every;
    (period >= 1).then(|| format!("{}/{period}", last.as_second()))
}

fn idle_days(last: jiff::Timestamp, now: jiff::Timestamp) -> i64 {
    now.duration_since(last).as_hours() / 24
}

impl Triage {
    /// Posts the follow-ups due at `now` (with `dry_run`, or when the function is in dry-run mode,
    /// only lists them).
    pub async fn follow_up_sweep(
        &self,
        index: &dyn TaskIndex,
        now: jiff::Timestamp,
        cause: &str,
        dry_run: bool,
    ) -> Result<Vec<FollowUpLine>, TriageError> {
        let stale = &self.rules().stale;
        if !stale.follow_up {
            return Ok(Vec::new());
        }
        let dry_run = dry_run || self.dry_run;
        let cutoff = now - stale.after();
        let mut candidates: Vec<ListedTask> = Vec::new();
        for list in TaskList::ALL {
            candidates.extend(index.listed(list, Some(cutoff)).await?);
        }
        candidates.sort_by_key(|t| t.summary.last_activity);
        let mut lines = Vec::new();
        let mut first_error = None;
        for row in candidates {
            let key = period_key(row.summary.last_activity, now, stale.after());
            if key.as_ref().is_none_or(|k| row.follow_ups.contains(k)) {
                continue;
            }
            if lines
                .iter()
                .filter(|l: &&FollowUpLine| l.outcome != "failed")
                .count()
                >= PER_RUN
            {
                break;
            }
            // One task's failure must not hold back the others; the next run tries it again.
            match self.follow_up(&row, now, cause, dry_run).await {
                Ok(line) => lines.push(line),
                Err(error) => {
                    warn!(task = %row.task, error = %error, "follow-up failed");
                    lines.push(FollowUpLine {
                        task: row.task.clone(),
                        name: format!("T{}", row.summary.id),
                        outcome: "failed",
                        period: key,
                        idle_days: idle_days(row.summary.last_activity, now),
                    });
                    first_error.get_or_insert(error);
                }
            }
        }
        match first_error {
            Some(error) if lines.iter().all(|l| l.outcome == "failed") => Err(error),
            _ => Ok(lines),
        }
    }

    async fn follow_up(
        &self,
        row: &ListedTask,
        now: jiff::Timestamp,
        cause: &str,
        dry_run: bool,
    ) -> Result<FollowUpLine, TriageError> {
        let mut line = FollowUpLine {
            task: row.task.clone(),
            name: format!("T{}", row.summary.id),
            outcome: "not-listed",
            period: None,
            idle_days: idle_days(row.summary.last_activity, now),
        };
        let Ok(task) = TaskPhid::parse(&row.task) else {
            warn!(task = %row.task, "an index row names no task PHID; skipped");
            return Ok(line);
        };
        let holder = format!("follow-up/{cause}/{}", uuid::Uuid::new_v4());
        let Some(mut state) = self.ledger.claim(&task, &holder, now, now + LEASE).await? else {
            line.outcome = "busy";
            return Ok(line);
        };
        let result = self
            .follow_up_claimed(&task, &mut state, &holder, now, cause, dry_run, &mut line)
            .await;
        // Writing the state gave the lease back; otherwise give it back here.
        if !matches!(result, Ok(true))
            && let Err(error) = self.ledger.release(&task, &holder).await
        {
            warn!(task = %task, error = %error, "could not give the task's lease back; it runs out by itself");
        }
        result.map(|_| line)
    }

    /// Decides and acts on one claimed task; `Ok(true)` when it wrote the state (and so gave the
    /// lease back).
    #[allow(clippy::too_many_arguments)]
    async fn follow_up_claimed(
        &self,
        task: &TaskPhid,
        state: &mut TaskState,
        holder: &str,
        now: jiff::Timestamp,
        cause: &str,
        dry_run: bool,
        line: &mut FollowUpLine,
    ) -> Result<bool, TriageError> {
        let after = self.rules().stale.after();
        if state.list().is_none() {
            return Ok(false);
        }
        let Some(mut summary) = state.summary.clone() else {
            return Ok(false);
        };
        let directory = self.directory().await?;
        let history = self.conduit.transactions(task).await?;
        let facts = HistoryFacts::read(&history, &directory.bot);
        if facts.last_human_activity > summary.last_activity.as_second() {
            // A person touched it and the table has not heard (a delivery lost or late): record it.
            summary.last_activity = jiff::Timestamp::from_second(facts.last_human_activity)
                .unwrap_or(summary.last_activity);
            state.summary = Some(summary.clone());
            line.idle_days = idle_days(summary.last_activity, now);
        }
        let Some(key) = period_key(summary.last_activity, now, after) else {
            line.outcome = "active";
            state.updated_at = Some(now);
            return self.finish(state, &[], holder).await.map(|()| true);
        };
        line.period = Some(key.clone());
        if state.follow_ups.contains(&key) {
            line.outcome = "already-posted";
            return Ok(false);
        }
        let idle = now.duration_since(summary.last_activity).as_secs();
        let period_start = now.as_second() - idle % after.as_secs().max(1);
        let on_task = facts
            .rule_comment_times
            .get(FOLLOW_UP_RULE)
            .is_some_and(|at| *at >= period_start);
        if on_task {
            line.outcome = "already-posted";
            state.remember_follow_up(&key);
            state.updated_at = Some(now);
            return self.finish(state, &[], holder).await.map(|()| true);
        }
        if dry_run {
            line.outcome = "due";
            return Ok(false);
        }
        let text = self
            .rules()
            .stale
            .comment
            .replace("{days}", &line.idle_days.to_string());
        let comment = format!("{}\n\n{}", text.trim_end(), rule_mark(FOLLOW_UP_RULE));
        let created = self.conduit.edit(task, &[Edit::Comment(comment)]).await?;
        state.remember_transactions(created.iter().map(|t| t.as_str()));
        state.remember_follow_up(&key);
        state.updated_at = Some(now);
        let audit = AuditEntry::new(
            now,
            ACTOR,
            "triage.follow-up",
            format!("task/{task}"),
            format!(
                "rule {FOLLOW_UP_RULE}: nobody touched {} for {} days (since {})",
                line.name,
                line.idle_days,
                summary.last_activity.strftime("%Y-%m-%d %H:%M UTC")
            ),
            cause,
        )
        .with_details(serde_json::json!({
            "rule": FOLLOW_UP_RULE,
            "period": key,
            "last_activity": summary.last_activity,
            "transactions": created.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
        }));
        self.finish(state, &[audit], holder).await?;
        line.outcome = "posted";
        info!(task = %task, period = %key, "stale task followed up");
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> jiff::Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn a_task_gets_one_follow_up_key_per_period_without_activity() {
        let after = jiff::SignedDuration::from_hours(14 * 24);
        let last = at("2027-01-01T00:00:00Z");
        assert_eq!(period_key(last, at("2027-01-14T23:59:59Z"), after), None);
        let first = period_key(last, at("2027-01-15T00:00:00Z"), after);
        assert_eq!(first, period_key(last, at("2027-01-28T23:00:00Z"), after));
        let second = period_key(last, at("2027-01-29T00:00:00Z"), after);
        assert!(first.is_some() && second.is_some() && first != second);
        // A person's touch starts the count again, with keys of its own.
        let touched = at("2027-01-20T00:00:00Z");
        assert_ne!(
            period_key(touched, at("2027-02-04T00:00:00Z"), after),
            first
        );
    }
}
