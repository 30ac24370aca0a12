//! The weekly handoff: commit the coming week's shift exactly once, and e-mail the incoming, outgoing
//! and backup people and the rotation's `notify` list exactly once each, however many invocations run.
//!
//! Exactly-once rests on conditional writes: the shift is created only if absent (every invocation then
//! mails from the stored shift, never from its own plan), and each e-mail is claimed with a lease
//! before it is sent. SES has no idempotency key, so a crash between "sent" and "recorded" can repeat
//! that one mail after the lease expires; every other failure is retried without repeating a sent mail.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;
use tracing::{info, warn};

use super::ports::{MailKey, MailRole};
use crate::audit::{AuditEntry, AuditLog};
use crate::brief::{Brief, Briefing};
use crate::claim::{Claims, JOB_PATIENCE, Once, OnceError, Outcome};
use crate::clock::Clock;
use crate::idempotency::{Begin, IdempotencyStore};
use crate::mail::{EmailAddress, MailError, Mailbox, Mailer, OutgoingMail};
use crate::rotation::calendar::IsoWeek;
use crate::rotation::plan::{self, History, Override, PlannedWeek};
use crate::rotation::ports::{PlanSnapshots, RosterMirror};
use crate::rotation::roster::{Person, PersonId, Roster};
use crate::shifts::{Commit, ShiftLedger, ShiftRecord, override_from_record};
use crate::store::StoreError;
use crate::trigger::Trigger;

/// The actor name this job writes into the audit log.
pub const ACTOR: &str = "rotation";
/// The Scheduler job name this function answers to.
pub const JOB: &str = "weekly-rotation";

/// Why the job failed; [`JobError::is_retryable`] tells Lambda whether trying again can help.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error(transparent)]
    Trigger(#[from] crate::trigger::TriggerError),
    #[error("cannot plan rotation {rotation}: {source}")]
    Plan {
        rotation: String,
        #[source]
        source: plan::PlanError,
    },
    #[error("rotation {rotation}: the coming week is outside the calendar Clinic can plan")]
    OutOfCalendar { rotation: String },
    #[error("the table failed")]
    Store(#[from] StoreError),
    #[error(
        "{failed} handoff e-mail(s) are not sent yet (they failed, or another invocation is sending them); \
         they will be retried on the next invocation"
    )]
    MailsPending { failed: usize },
    #[error(
        "{failed} VictorOps step(s) failed (overrides, the drift check or its notice); they will be retried on \
         the next invocation"
    )]
    VictorOpsPending { failed: usize },
    #[error(
        "{failed} chat step(s) are not done (a post, a topic or the user group failed, or another invocation \
         holds them); the next run or the rotation-chat sweep does them, never twice"
    )]
    ChatPending { failed: usize },
}

impl JobError {
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Store(_)
                | Self::MailsPending { .. }
                | Self::VictorOpsPending { .. }
                | Self::ChatPending { .. }
        )
    }
}

/// What happened to one mail in this invocation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "outcome")]
pub enum MailOutcome {
    Sent { message_id: String },
    AlreadySent,
    HeldElsewhere,
    Failed { reason: String },
    DryRun,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MailReport {
    pub role: MailRole,
    pub to: String,
    #[serde(flatten)]
    pub outcome: MailOutcome,
}

/// One person told (or to be told) that their next duty moved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MovedReport {
    pub person: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub why: String,
    #[serde(flatten)]
    pub outcome: MailOutcome,
}

/// What the run found or did with the coming week's shift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ShiftState {
    /// This run committed it.
    Created,
    /// Committed before (by an earlier run, or by another invocation racing this one).
    Existing,
    /// Planned but not written: a rehearsal.
    DryRun,
}

impl ShiftState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Existing => "existing",
            Self::DryRun => "dry-run",
        }
    }
}

impl std::fmt::Display for ShiftState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RotationReport {
    pub rotation: String,
    pub week: String,
    pub primary: Option<String>,
    pub backup: Option<String>,
    pub shift: ShiftState,
    pub unstaffed_reason: Option<String>,
    pub mails: Vec<MailReport>,
    /// What the run did in VictorOps, for a rotation Clinic keeps in step with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub victorops: Option<crate::oncall::VictorOpsReport>,
    /// The people whose next duty moved since the previous run's plan, and their mails.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub duty_moved: Vec<MovedReport>,
    /// What the run did in the rotation's chat rooms, for a rotation with chat settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chat: Option<super::chat_report::ChatReport>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobReport {
    pub event: String,
    pub rotations: Vec<RotationReport>,
    /// True when this event had already been handled completely and nothing was done.
    pub repeated_event: bool,
    /// For a repeated event, the report of the run that handled it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_outcome: Option<serde_json::Value>,
}

/// The rotation function's work, with its dependencies as ports.
pub struct HandoffJob<S> {
    pub(super) store: S,
    mailer: Arc<dyn Mailer>,
    pub(super) roster: Roster,
    pub(super) sender: EmailAddress,
    pub(super) lease: jiff::SignedDuration,
    victorops: Option<Arc<crate::oncall::VictorOpsSync>>,
    /// Builds the brief each handoff mail carries; without it the mails carry none.
    briefing: Option<Briefing>,
    /// Where the handoff is posted, and the topic and user group kept; without it a rotation's
    /// chat rooms are reported skipped.
    pub(super) chat: Option<super::chat_report::HandoffChat>,
    /// When the job's records say it acted; the week it acts on comes from the trigger.
    pub(super) clock: Arc<dyn Clock>,
    /// Where the web pages are: the incoming person's mail links to ask for cover there.
    web_url: Option<crate::http_url::HttpUrl>,
}

impl JobReport {
    /// A few readable lines saying what the run did.
    pub fn summary(&self) -> String {
        if self.repeated_event {
            return format!(
                "event {} was already handled completely: nothing to do\n",
                self.event
            );
        }
        let mut out = String::new();
        for r in &self.rotations {
            out.push_str(&format!(
                "{} {}: shift {}; on duty {}, backup {}{}\n",
                r.rotation,
                r.week,
                r.shift,
                r.primary.as_deref().unwrap_or("NOBODY"),
                r.backup.as_deref().unwrap_or("none"),
                r.unstaffed_reason
                    .as_deref()
                    .map(|u| format!(" (unstaffed: {u})"))
                    .unwrap_or_default()
            ));
            for m in &r.mails {
                let outcome = outcome_words(&m.outcome);
                out.push_str(&format!(
                    "  mail to {:<9} {:<32} {outcome}\n",
                    m.role.as_str(),
                    m.to
                ));
            }
            for m in &r.duty_moved {
                out.push_str(&format!(
                    "  duty moved: {} from {} to {} ({}): {}\n",
                    m.person,
                    m.from.as_deref().unwrap_or("none"),
                    m.to.as_deref().unwrap_or("none ahead"),
                    m.why,
                    outcome_words(&m.outcome)
                ));
            }
            if let Some(victorops) = &r.victorops {
                out.push_str(&victorops.summary());
            }
            if let Some(chat) = &r.chat {
                out.push_str(&chat.summary());
            }
        }
        out
    }
}

impl<S> HandoffJob<S>
where
    S: ShiftLedger + Claims + RosterMirror + AuditLog + IdempotencyStore + PlanSnapshots,
{
    pub fn new(
        store: S,
        mailer: Arc<dyn Mailer>,
        roster: Roster,
        sender: EmailAddress,
        lease_seconds: u32,
    ) -> Self {
        Self {
            store,
            mailer,
            roster,
            sender,
            lease: jiff::SignedDuration::from_secs(i64::from(lease_seconds)),
            clock: crate::clock::system(),
            victorops: None,
            briefing: None,
            web_url: None,
            chat: None,
        }
    }

    /// The incoming person's mail links to the *Swaps* page to ask for cover of their week.
    pub fn with_web_url(mut self, web_url: Option<crate::http_url::HttpUrl>) -> Self {
        self.web_url = web_url;
        self
    }

    /// The handoff mails carry the brief at the trigger's time.
    pub fn with_briefing(mut self, briefing: Briefing) -> Self {
        self.briefing = Some(briefing);
        self
    }

    /// Posts the handoff in the rotations' chat rooms and keeps their topic and user group.
    pub fn with_chat(mut self, chat: super::chat_report::HandoffChat) -> Self {
        self.chat = Some(chat);
        self
    }

    /// The brief for the mails, or why it could not be built: a mail without it still goes out.
    pub(super) async fn brief_at(&self, at: jiff::Timestamp) -> Option<Result<Brief, String>> {
        let briefing = self.briefing.as_ref()?;
        Some(briefing.at(at).await.map_err(|error| {
            warn!(error = %crate::log_text::escape(&error.to_string()), "the brief could not be built; the handoff mails go out without it");
            error.to_string()
        }))
    }

    /// Keeps VictorOps in step for the rotations the roster links to it.
    /// Reads "now" from `clock` instead of the system's.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    pub fn with_victorops(mut self, sync: Arc<crate::oncall::VictorOpsSync>) -> Self {
        self.victorops = Some(sync);
        self
    }

    pub fn roster(&self) -> &Roster {
        &self.roster
    }

    /// Runs the handoff of every rotation in the roster for the week coming after `trigger.time`.
    pub async fn run(&self, trigger: &Trigger) -> Result<JobReport, JobError> {
        let scope = "rotation-event";
        if !trigger.dry_run {
            if let Begin::Done(previous) =
                IdempotencyStore::begin(&self.store, scope, &trigger.event_id, self.clock.now())
                    .await?
            {
                info!(event = %trigger.event_id, "event already handled; nothing to do");
                return Ok(JobReport {
                    event: trigger.event_id.clone(),
                    rotations: Vec::new(),
                    repeated_event: true,
                    previous_outcome: serde_json::from_str(&previous).ok(),
                });
            }
            let audit = AuditEntry::new(
                self.clock.now(),
                ACTOR,
                "roster.mirror",
                "roster",
                "the reviewed roster file differs from the table's copy",
                &trigger.event_id,
            );
            self.store.mirror_roster(&self.roster, &audit).await?;
        }

        let mut rotations = Vec::new();
        let mut failed = 0;
        let mut victorops_failed = 0;
        let mut chat_failed = 0;
        let mut staged = Vec::new();
        for name in self.roster.rotation_names() {
            staged.push(self.commit_week(name.as_str(), trigger).await?);
        }
        // Read once every rotation's week is committed, so that each mail's brief names them all.
        let brief = self.brief_at(trigger.time).await;
        for week in staged {
            let name = week.rotation.clone();
            let shift = week.shift.clone();
            let mut report = self.announce(week, trigger, brief.as_ref()).await?;
            report.duty_moved = self.duty_moved(&shift, trigger).await?;
            let pending = |outcome: &MailOutcome| {
                matches!(
                    outcome,
                    MailOutcome::Failed { .. } | MailOutcome::HeldElsewhere
                )
            };
            failed += report.mails.iter().filter(|m| pending(&m.outcome)).count()
                + report
                    .duty_moved
                    .iter()
                    .filter(|m| pending(&m.outcome))
                    .count();
            if let Some(sync) = self.victorops.as_ref().filter(|_| !trigger.dry_run) {
                let who = crate::shifts::overrides::Operator {
                    actor: ACTOR,
                    cause: &trigger.event_id,
                    at: self.clock.now(),
                };
                report.victorops = sync
                    .weekly(
                        &self.store,
                        &self.roster,
                        name.as_str(),
                        trigger.time,
                        &report.week,
                        (self.mailer.as_ref(), &self.sender),
                        who,
                    )
                    .await?;
                victorops_failed += report.victorops.as_ref().map_or(0, |v| v.failures());
            }
            // Last, and never with `?`: a chat failure cannot stop or repeat any mail.
            report.chat = self.chat_handoff(&shift, trigger, brief.as_ref()).await;
            chat_failed += report.chat.as_ref().map_or(0, |c| c.failures());
            rotations.push(report);
        }
        let report = JobReport {
            event: trigger.event_id.clone(),
            rotations,
            repeated_event: false,
            previous_outcome: None,
        };
        if failed > 0 {
            return Err(JobError::MailsPending { failed });
        }
        if victorops_failed > 0 {
            return Err(JobError::VictorOpsPending {
                failed: victorops_failed,
            });
        }
        if chat_failed > 0 {
            warn!(summary = %crate::log_text::escape(&report.summary()), "chat steps left for the next run");
            return Err(JobError::ChatPending {
                failed: chat_failed,
            });
        }
        if !trigger.dry_run {
            let text = serde_json::to_string(&report).unwrap_or_default();
            self.store
                .complete(scope, &trigger.event_id, &text, self.clock.now())
                .await?;
        }
        Ok(report)
    }

    /// The overrides recorded for `rotation`, as the planner takes them.
    pub(super) async fn overrides(&self, rotation: &str) -> Result<Vec<Override>, JobError> {
        Ok(self
            .store
            .overrides(rotation)
            .await?
            .iter()
            .map(override_from_record)
            .collect::<Result<Vec<_>, _>>()?)
    }

    /// Commits `rotation`'s coming week, or finds it committed already.
    async fn commit_week(&self, rotation: &str, trigger: &Trigger) -> Result<Staged, JobError> {
        let shifts = self.store.shifts(rotation).await?;
        let overrides = self.overrides(rotation).await?;
        let week = self.coming_week(rotation, trigger.time, &shifts, &overrides)?;
        let existing = shifts.iter().find(|s| s.week == week.to_string()).cloned();

        let (shift, state) = match existing {
            Some(shift) => (shift, ShiftState::Existing),
            None => {
                let planned = self.plan_week(rotation, week, &shifts, &overrides)?;
                let record =
                    ShiftRecord::from_plan(rotation, &planned, self.clock.now(), &trigger.event_id);
                if trigger.dry_run {
                    (record, ShiftState::DryRun)
                } else {
                    let audit = AuditEntry::new(
                        record.committed_at,
                        ACTOR,
                        "shift.commit",
                        format!("rotation/{rotation}/{}", record.week),
                        commit_reason(&record),
                        &trigger.event_id,
                    )
                    .with_details(serde_json::json!({
                        "primary": record.primary, "backup": record.backup, "relaxed": record.relaxed,
                    }));
                    match self.store.commit_shift(&record, &audit).await? {
                        Commit::Created => {
                            info!(rotation, week = %record.week, primary = ?record.primary, "shift committed");
                            (record, ShiftState::Created)
                        }
                        Commit::Existing(stored) => (*stored, ShiftState::Existing),
                    }
                }
            }
        };

        let outgoing = previous_primary(&shifts, &shift.week);
        Ok(Staged {
            rotation: rotation.to_owned(),
            shift,
            state,
            outgoing,
        })
    }

    /// Mails the handoff of a committed week (each mail once), with the brief when there is one.
    async fn announce(
        &self,
        staged: Staged,
        trigger: &Trigger,
        brief: Option<&Result<Brief, String>>,
    ) -> Result<RotationReport, JobError> {
        let Staged {
            rotation,
            shift,
            state,
            outgoing,
        } = staged;
        let mails = self.handoff_mails(&shift, outgoing.as_deref(), brief);
        let mut reports = Vec::new();
        for (key, mail) in mails {
            let outcome = if trigger.dry_run {
                MailOutcome::DryRun
            } else {
                self.deliver(&key, &mail, &trigger.event_id).await?
            };
            reports.push(MailReport {
                role: key.role,
                to: key.address.to_string(),
                outcome,
            });
        }
        Ok(RotationReport {
            rotation,
            week: shift.week.clone(),
            primary: shift.primary.clone(),
            backup: shift.backup.clone(),
            shift: state,
            unstaffed_reason: shift.unstaffed_reason.clone(),
            mails: reports,
            victorops: None,
            duty_moved: Vec::new(),
            chat: None,
        })
    }

    /// The first shift that starts later than a day before the trigger: a Friday run hands off the next
    /// week, a run early on the first day of a shift hands off the shift that is starting.
    fn coming_week(
        &self,
        rotation: &str,
        at: jiff::Timestamp,
        shifts: &[ShiftRecord],
        overrides: &[Override],
    ) -> Result<IsoWeek, JobError> {
        let today = at.to_zoned(jiff::tz::TimeZone::UTC).date();
        let current = IsoWeek::containing(today);
        let threshold = at - jiff::SignedDuration::from_hours(24);
        let candidates = [current.previous(), Some(current), current.next()];
        for candidate in candidates.into_iter().flatten() {
            let start = match shifts.iter().find(|s| s.week == candidate.to_string()) {
                Some(stored) => stored.start_utc,
                None => {
                    self.plan_week(rotation, candidate, shifts, overrides)?
                        .start_utc
                }
            };
            if start > threshold {
                return Ok(candidate);
            }
        }
        current
            .next()
            .and_then(IsoWeek::next)
            .ok_or_else(|| JobError::OutOfCalendar {
                rotation: rotation.to_owned(),
            })
    }

    fn plan_week(
        &self,
        rotation: &str,
        week: IsoWeek,
        shifts: &[ShiftRecord],
        overrides: &[Override],
    ) -> Result<PlannedWeek, JobError> {
        let history = History {
            served: shifts
                .iter()
                .filter(|s| s.week.parse::<IsoWeek>().is_ok_and(|w| w < week))
                .map(ShiftRecord::served)
                .collect::<Result<_, _>>()?,
        };
        // The planner takes only the overrides from the planned week on.
        let overrides: Vec<Override> = overrides
            .iter()
            .filter(|o| o.week >= week)
            .cloned()
            .collect();
        let plan_error = |source| JobError::Plan {
            rotation: rotation.to_owned(),
            source,
        };
        let planned = plan::plan(
            &self.roster,
            rotation,
            &history,
            &overrides,
            week.monday(),
            1,
        )
        .map_err(plan_error)?;
        planned
            .weeks
            .into_iter()
            .next()
            .ok_or_else(|| JobError::OutOfCalendar {
                rotation: rotation.to_owned(),
            })
    }

    async fn deliver(
        &self,
        key: &MailKey,
        mail: &OutgoingMail,
        cause: &str,
    ) -> Result<MailOutcome, JobError> {
        let sending = Sending {
            claim: key.claim(),
            message_id: &|attempt| key.message_id(attempt),
            subject: key.subject(),
            summary: format!(
                "handoff of {} {}: {}",
                key.rotation,
                key.week,
                key.role.reason()
            ),
        };
        let outcome = self.send_once(&sending, mail, cause).await?;
        if let MailOutcome::Sent { .. } = outcome {
            info!(to = %key.address, role = key.role.as_str(), week = %key.week, "handoff mail sent");
        }
        Ok(outcome)
    }

    /// Sends `mail` once under its claim, audited as `mail.send`.
    pub(super) async fn send_once(
        &self,
        sending: &Sending<'_>,
        mail: &OutgoingMail,
        cause: &str,
    ) -> Result<MailOutcome, JobError> {
        let once = crate::mail::OnceMail {
            mailer: self.mailer.as_ref(),
            mail,
            message_id: Box::new(|attempt| (sending.message_id)(attempt)),
            audit: Box::new(|message_id, at| {
                AuditEntry::new(
                    at,
                    ACTOR,
                    "mail.send",
                    sending.subject.clone(),
                    sending.summary.clone(),
                    cause,
                )
                .with_details(serde_json::json!({
                    "message_id": message_id, "subject": mail.subject,
                }))
            }),
        };
        let result = Once::new(&self.store, self.lease)
            .patient(JOB_PATIENCE)
            .run(&sending.claim, &once, self.clock.now())
            .await;
        match result {
            Ok(Outcome::Done {
                outcome,
                acted: true,
            }) => Ok(MailOutcome::Sent {
                message_id: outcome,
            }),
            Ok(Outcome::Done { acted: false, .. }) => Ok(MailOutcome::AlreadySent),
            // Another invocation is sending it: not done, so the run is retried until it is.
            Ok(Outcome::Busy { .. }) => Ok(MailOutcome::HeldElsewhere),
            Err(OnceError::Store(e)) => Err(e.into()),
            Err(OnceError::Effect(error)) => {
                let reason = error.to_string();
                warn!(to = ?mail.to.first().map(|m| m.address.to_string()), subject = %sending.subject, error = %crate::log_text::escape(&reason), "mail failed");
                if let MailError::Rejected { .. } = error {
                    warn!(
                        "the mail service rejected the message; check the sender identity and recipients"
                    );
                }
                Ok(MailOutcome::Failed { reason })
            }
        }
    }

    /// The mails of a committed shift, one per address (an address in several roles gets the first).
    fn handoff_mails(
        &self,
        shift: &ShiftRecord,
        outgoing: Option<&str>,
        status: Option<&Result<Brief, String>>,
    ) -> Vec<(MailKey, OutgoingMail)> {
        let person = |id: Option<&str>| {
            id.and_then(|id| PersonId::parse(id).ok())
                .and_then(|id| self.roster.person(&id))
        };
        let incoming = person(shift.primary.as_deref());
        let backup = person(shift.backup.as_deref());
        let outgoing = person(outgoing).filter(|p| Some(p.id.as_str()) != shift.primary.as_deref());
        let notify = self
            .roster
            .rotation(&shift.rotation)
            .map(|r| r.notify.clone())
            .unwrap_or_default();

        let mut recipients: BTreeMap<EmailAddress, (MailRole, Option<&Person>)> = BTreeMap::new();
        let mut add = |role, address: &EmailAddress, who| {
            recipients.entry(address.clone()).or_insert((role, who));
        };
        if shift.primary.is_none() {
            for address in &notify {
                add(MailRole::Alert, address, None);
            }
        } else {
            if let Some(p) = incoming {
                add(MailRole::Incoming, &p.email, Some(p));
            }
            if let Some(p) = backup {
                add(MailRole::Backup, &p.email, Some(p));
            }
            if let Some(p) = outgoing {
                add(MailRole::Outgoing, &p.email, Some(p));
            }
            for address in &notify {
                add(MailRole::Notify, address, None);
            }
        }
        let brief = crate::handoff::mail::HandoffBrief {
            shift,
            incoming,
            backup,
            outgoing,
            status: status.map(|b| b.as_ref().map_err(String::as_str)),
            swaps_page: self
                .web_url
                .as_ref()
                .map(|url| format!("{}{}", url.as_str(), crate::swaps::LIST_PATH)),
        };
        let mut mails: Vec<_> = recipients
            .into_iter()
            .map(|(address, (role, who))| {
                let key = MailKey {
                    rotation: shift.rotation.clone(),
                    week: shift.week.clone(),
                    role,
                    address: address.clone(),
                };
                let to = match who {
                    Some(p) => Mailbox::new(p.name.clone(), address),
                    None => Mailbox::bare(address),
                };
                let mail =
                    brief.compose(Mailbox::new("Clinic", self.sender.clone()), to, role, who);
                (key, mail)
            })
            .collect();
        mails.sort_by(|a, b| (a.0.role, &a.0.address).cmp(&(b.0.role, &b.0.address)));
        mails
    }
}

fn outcome_words(outcome: &MailOutcome) -> String {
    match outcome {
        MailOutcome::Sent { message_id } => format!("sent <{message_id}>"),
        MailOutcome::AlreadySent => "already sent before".to_owned(),
        MailOutcome::HeldElsewhere => "being sent by another invocation".to_owned(),
        MailOutcome::Failed { reason } => format!("FAILED: {reason}"),
        MailOutcome::DryRun => "not sent (dry run)".to_owned(),
    }
}

/// One mail to send once: its claim, its stable Message-ID, and what its audit entry says.
pub(super) struct Sending<'a> {
    pub claim: crate::claim::ClaimKey,
    pub message_id: &'a (dyn Fn(u32) -> String + Sync),
    pub subject: String,
    pub summary: String,
}

/// A rotation's week committed in the first pass of a run, waiting for its mails.
struct Staged {
    rotation: String,
    shift: ShiftRecord,
    state: ShiftState,
    outgoing: Option<String>,
}

/// The primary of the shift just before `week`, if that shift is the immediately preceding week.
fn previous_primary(shifts: &[ShiftRecord], week: &str) -> Option<String> {
    let week: IsoWeek = week.parse().ok()?;
    let previous = week.previous()?.to_string();
    shifts
        .iter()
        .find(|s| s.week == previous)
        .and_then(|s| s.primary.clone())
}

fn commit_reason(record: &ShiftRecord) -> String {
    match (
        &record.primary,
        &record.unstaffed_reason,
        &record.overridden,
    ) {
        (_, _, Some(reason)) => format!("override: {reason}"),
        (Some(primary), _, _) if record.relaxed.is_empty() => {
            format!("{primary} planned under the rotation's rules")
        }
        (Some(primary), _, _) => {
            format!(
                "{primary} planned; relaxed: {} (nobody else could serve)",
                record.relaxed.join(", ")
            )
        }
        (None, Some(reason), _) => format!("unstaffed: {reason}"),
        (None, None, _) => "unstaffed".to_owned(),
    }
}
