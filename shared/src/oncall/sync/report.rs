//! What keeping VictorOps in step came to, per week and per run, for the job's report and the audit.

use serde::Serialize;

/// What keeping one week in step came to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "outcome")]
pub enum SyncOutcome {
    /// VictorOps now has the overrides the week needs (perhaps none: its rotation already agrees).
    InStep,
    /// Done before for the same person and window: no VictorOps call.
    AlreadyInStep,
    /// Nobody serves the week: nothing to put on call (Clinic's earlier overrides are removed).
    Unstaffed,
    /// Another invocation is working on this week right now.
    HeldElsewhere,
    /// Cannot be done until the roster changes.
    Skipped { reason: String },
    /// VictorOps failed or disagrees; recorded, and tried again on the next run.
    Failed { reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WeekSync {
    pub rotation: String,
    pub week: String,
    #[serde(flatten)]
    pub outcome: SyncOutcome,
    /// The overrides Clinic has in VictorOps for the week afterwards.
    pub overrides: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub created: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deleted: Vec<String>,
}

impl WeekSync {
    /// Not in step yet: failed, or another invocation is working on it (never counted as done).
    pub fn failed(&self) -> bool {
        matches!(
            self.outcome,
            SyncOutcome::Failed { .. } | SyncOutcome::HeldElsewhere
        )
    }

    pub fn summary(&self) -> String {
        let what = match &self.outcome {
            SyncOutcome::InStep => "in step".to_owned(),
            SyncOutcome::AlreadyInStep => "already in step".to_owned(),
            SyncOutcome::Unstaffed => "unstaffed: nobody to put on call".to_owned(),
            SyncOutcome::HeldElsewhere => "being synced by another invocation".to_owned(),
            SyncOutcome::Skipped { reason } => format!("skipped: {reason}"),
            SyncOutcome::Failed { reason } => format!("FAILED (retried next run): {reason}"),
        };
        let mut out = format!("VictorOps {} {}: {what}", self.rotation, self.week);
        if !self.deleted.is_empty() {
            out.push_str(&format!("; deleted {}", self.deleted.join(", ")));
        }
        if !self.created.is_empty() {
            out.push_str(&format!("; created {}", self.created.join(", ")));
        }
        if !self.overrides.is_empty() {
            out.push_str(&format!("; overrides {}", self.overrides.join(", ")));
        }
        out
    }
}

/// What became of a member's own take of a committed week in VictorOps (`crate::oncall::takes`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "outcome")]
pub enum TakeOutcome {
    /// Recorded as the week's override in Clinic, and the notify list told.
    Recorded,
    /// Its override deleted in VictorOps, and the person told why.
    Undone,
    /// Recorded or undone by an earlier run: not reported again.
    AlreadyHandled,
    HeldElsewhere,
    /// Tried again on the next run.
    Failed {
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TakeReport {
    pub take: crate::oncall::takes::Take,
    #[serde(flatten)]
    pub outcome: TakeOutcome,
}

impl TakeReport {
    pub fn summary(&self) -> String {
        let what = match &self.outcome {
            TakeOutcome::Recorded => "recorded as the week's override".to_owned(),
            TakeOutcome::Undone => "undone, and the person told why".to_owned(),
            TakeOutcome::AlreadyHandled => "handled before".to_owned(),
            TakeOutcome::HeldElsewhere => "being handled by another invocation".to_owned(),
            TakeOutcome::Failed { reason } => format!("FAILED (retried next run): {reason}"),
        };
        format!("VictorOps take: {}: {what}", self.take.describe())
    }
}

/// What happened to one drift notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "outcome")]
pub enum NoticeOutcome {
    Sent { message_id: String },
    AlreadySent,
    HeldElsewhere,
    Failed { reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NoticeReport {
    pub to: String,
    #[serde(flatten)]
    pub outcome: NoticeOutcome,
}

/// The VictorOps part of one weekly run for one rotation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VictorOpsReport {
    pub weeks: Vec<WeekSync>,
    /// Differences the drift check found (`None`: the check failed, see `check_error`).
    pub differences: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check_error: Option<String>,
    pub notices: Vec<NoticeReport>,
    /// Members' own takes in VictorOps handled by this run.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub takes: Vec<TakeReport>,
    /// Why the takes could not be looked at (the override list failed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub takes_error: Option<String>,
}

impl VictorOpsReport {
    /// Steps that failed and are retried: weeks, the check, notices.
    pub fn failures(&self) -> usize {
        self.weeks.iter().filter(|w| w.failed()).count()
            + usize::from(self.check_error.is_some())
            + usize::from(self.takes_error.is_some())
            + self
                .takes
                .iter()
                .filter(|t| {
                    matches!(
                        t.outcome,
                        TakeOutcome::Failed { .. } | TakeOutcome::HeldElsewhere
                    )
                })
                .count()
            + self
                .notices
                .iter()
                .filter(|n| {
                    matches!(
                        n.outcome,
                        NoticeOutcome::Failed { .. } | NoticeOutcome::HeldElsewhere
                    )
                })
                .count()
    }

    pub fn summary(&self) -> String {
        let mut out = String::new();
        for week in &self.weeks {
            out.push_str(&format!("  {}\n", week.summary()));
        }
        for take in &self.takes {
            out.push_str(&format!("  {}\n", take.summary()));
        }
        if let Some(error) = &self.takes_error {
            out.push_str(&format!("  VictorOps takes FAILED: {error}\n"));
        }
        match (&self.differences, &self.check_error) {
            (_, Some(error)) => out.push_str(&format!("  VictorOps drift check FAILED: {error}\n")),
            (Some(n), None) => {
                out.push_str(&format!("  VictorOps drift check: {n} difference(s)\n"))
            }
            (None, None) => {}
        }
        for notice in &self.notices {
            let outcome = match &notice.outcome {
                NoticeOutcome::Sent { message_id } => format!("sent <{message_id}>"),
                NoticeOutcome::AlreadySent => "already sent this week".to_owned(),
                NoticeOutcome::HeldElsewhere => "being sent by another invocation".to_owned(),
                NoticeOutcome::Failed { reason } => format!("FAILED: {reason}"),
            };
            out.push_str(&format!("  drift notice to {} {outcome}\n", notice.to));
        }
        out
    }
}
