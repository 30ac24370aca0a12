//! The swaps service: ask, the buttons (accept, approve, decline, withdraw), apply; and the sweep the rotation
//! function runs (reminders, expiry, anything a crash left half done). Every change of state is one
//! write conditional on the version read, audited in the same transaction; applying goes through the
//! operators' override path (`crate::shifts::overrides`) and then VictorOps, and is written `applied`
//! only after both, so a repeat after a crash finds the overrides set and finishes the rest.

use std::collections::BTreeMap;
use std::sync::Arc;

use tracing::{info, warn};

use super::mails::{self, Names, SwapMail};
use super::model::{Button, Refusal, SwapId, SwapKind, SwapRequest, SwapState};
use super::offers::{Neighbourhood, weeks_around};
use super::ports::SwapLedger;
use crate::audit::AuditEntry;
use crate::claim::{ClaimKey, Claims, JOB_PATIENCE, Once, OnceError, Outcome};
use crate::http_url::HttpUrl;
use crate::mail::{EmailAddress, Mailbox, Mailer, OnceMail};
use crate::rotation::calendar::IsoWeek;
use crate::rotation::plan;
use crate::rotation::roster::{IanaTimeZone, PersonId, Roster};
use crate::shifts::ShiftLedger;
use crate::shifts::overrides::{Operator, OverrideError, serving, set_override};
use crate::signin::ports::Nonces;
use crate::store::StoreError;

/// How long before the week the reminders go, if the request is still open.
pub const REMINDERS: [(SwapMail, jiff::SignedDuration); 2] = [
    (
        SwapMail::Reminder7d,
        jiff::SignedDuration::from_hours(7 * 24),
    ),
    (SwapMail::Reminder1d, jiff::SignedDuration::from_hours(24)),
];
/// How far back the sweep looks: requests whose week started up to this long ago still get their
/// expiry, and anything a crash left half done, finished.
pub const SWEEP_BACK: jiff::SignedDuration = jiff::SignedDuration::from_hours(14 * 24);
/// The page of a request: `<CLINIC_WEB_URL>/swaps/<id>`.
pub const PAGE_PREFIX: &str = "/swaps/";

/// Everything the service works with.
pub struct Swaps {
    pub ledger: Arc<dyn SwapLedger>,
    pub shifts: Arc<dyn ShiftLedger>,
    pub claims: Arc<dyn Claims>,
    pub mailer: Arc<dyn Mailer>,
    pub nonces: Arc<dyn Nonces>,
    pub roster: Arc<Roster>,
    /// VictorOps kept in step after an override, for rotations linked to it.
    pub victorops: Option<Arc<crate::oncall::VictorOpsSync>>,
    pub sender: EmailAddress,
    /// Where the links in the mails point.
    pub web_url: HttpUrl,
    pub lease: jiff::SignedDuration,
    /// A request closes at its week's start, or this long after it was made if that is sooner.
    pub max_age: jiff::SignedDuration,
}

/// Why a request could not be made; all but `Store`, `Plan` and `Random` are the asker's.
#[derive(Debug, thiserror::Error)]
pub enum AskError {
    #[error("there is no rotation named {0:?}")]
    UnknownRotation(String),
    #[error(
        "{week} is not your week in {rotation}: only the person on duty can ask for cover or a swap"
    )]
    NotYourWeek { rotation: String, week: IsoWeek },
    #[error("{0} has started or is over: only coming weeks can be swapped")]
    WeekStarted(IsoWeek),
    #[error("a week cannot be swapped with itself")]
    SameWeek,
    #[error("nobody serves {0}, so there is nobody to swap with")]
    NobodyServes(IsoWeek),
    #[error("nobody may take {week}: the rotation's rules allow no one else that week")]
    NobodyToOffer { week: IsoWeek },
    #[error("that swap breaks the rotation's rules: {person} {why}")]
    SwapBreaksRules { person: String, why: String },
    #[error("the note is too long (at most {max} characters)")]
    NoteTooLong { max: usize },
    #[error("the table failed")]
    Store(#[from] StoreError),
    #[error("cannot plan the weeks: {0}")]
    Plan(#[from] plan::PlanError),
    #[error("no random bytes for the request's id: {0}")]
    Random(String),
}

impl AskError {
    pub fn is_callers(&self) -> bool {
        !matches!(self, Self::Store(_) | Self::Plan(_) | Self::Random(_))
    }
}

impl From<OverrideError> for AskError {
    fn from(e: OverrideError) -> Self {
        match e {
            OverrideError::Store(e) => Self::Store(e),
            OverrideError::Plan(e) => Self::Plan(e),
            other => Self::Store(StoreError::malformed("overrides", other.to_string())),
        }
    }
}

/// Why acting on a request failed.
#[derive(Debug, thiserror::Error)]
pub enum ActError {
    #[error("there is no such swap request")]
    NoSuchRequest,
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("the table failed")]
    Store(#[from] StoreError),
    #[error("the overrides could not be written: {0}")]
    Override(#[from] OverrideError),
    #[error(
        "the overrides are recorded, but VictorOps could not be updated for {0}; trying again (the \
         button, or the next run of the rotation function) finishes it"
    )]
    VictorOpsPending(String),
}

/// The longest note a request carries.
pub const MAX_NOTE: usize = 500;

/// What one sweep did.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct SweepReport {
    pub expired: Vec<String>,
    pub applied: Vec<String>,
    pub mails_sent: Vec<String>,
    pub failed: Vec<String>,
}

/// Who pressed a request's button, when, and the cause their audit entries carry.
#[derive(Clone, Copy)]
struct Press<'a> {
    by: &'a str,
    now: jiff::Timestamp,
    cause: &'a str,
}

/// One change of a request, as `Swaps::take` writes it: the state machine's answer, the audit entry's
/// actor, action and words, and the mail that goes once it is written.
struct Step {
    next: Result<SwapRequest, Refusal>,
    actor: String,
    action: &'static str,
    why: String,
    mail: Option<SwapMail>,
}

impl Step {
    /// A person's button: audited as `web:<by>`, "<by> <verb> <what>".
    fn button(
        by: &str,
        action: &'static str,
        verb: &str,
        next: Result<SwapRequest, Refusal>,
        mail: Option<SwapMail>,
    ) -> Self {
        let why = next
            .as_ref()
            .map(|n| format!("{by} {verb} {}", n.kind.describe()))
            .unwrap_or_default();
        Self {
            next,
            actor: format!("web:{by}"),
            action,
            why,
            mail,
        }
    }
}

impl Swaps {
    fn person(&self, id: &str) -> Option<&crate::rotation::roster::Person> {
        PersonId::parse(id)
            .ok()
            .and_then(|id| self.roster.person(&id))
    }

    fn name_of<'a>(&'a self, id: &'a str) -> &'a str {
        self.person(id).map_or(id, |p| p.name.as_str())
    }

    pub fn link(&self, id: &SwapId) -> String {
        format!("{}{PAGE_PREFIX}{id}", self.web_url.as_str())
    }

    /// `requester` asks for cover of, or a swap of, their week; the request is offered to exactly
    /// those the rules allow, and mailed to each.
    pub async fn ask(
        &self,
        requester: &str,
        rotation: &str,
        kind: SwapKind,
        note: &str,
        now: jiff::Timestamp,
        cause: &str,
    ) -> Result<SwapRequest, AskError> {
        let rules = self
            .roster
            .rotation(rotation)
            .ok_or_else(|| AskError::UnknownRotation(rotation.to_owned()))?;
        if note.chars().count() > MAX_NOTE {
            return Err(AskError::NoteTooLong { max: MAX_NOTE });
        }
        let me = PersonId::parse(requester).map_err(|_| AskError::NotYourWeek {
            rotation: rotation.to_owned(),
            week: kind.week(),
        })?;
        if let SwapKind::Swap { week, with_week } = kind
            && week == with_week
        {
            return Err(AskError::SameWeek);
        }
        let around = weeks_around(&kind.weeks());
        let served = serving(self.shifts.as_ref(), &self.roster, rotation, &around).await?;
        let serving_map: BTreeMap<IsoWeek, Option<PersonId>> = around
            .iter()
            .copied()
            .zip(served.iter().map(|(p, _)| p.clone()))
            .collect();
        let starts: BTreeMap<IsoWeek, Option<jiff::Timestamp>> = around
            .iter()
            .copied()
            .zip(served.iter().map(|(_, s)| *s))
            .collect();
        let mut week_starts = None::<jiff::Timestamp>;
        for week in kind.weeks() {
            match starts.get(&week).copied().flatten() {
                Some(start) if start > now => {
                    week_starts = Some(week_starts.map_or(start, |w| w.min(start)));
                }
                _ => return Err(AskError::WeekStarted(week)),
            }
        }
        let week_starts = week_starts.ok_or(AskError::WeekStarted(kind.week()))?;
        if serving_map.get(&kind.week()).cloned().flatten().as_ref() != Some(&me) {
            return Err(AskError::NotYourWeek {
                rotation: rotation.to_owned(),
                week: kind.week(),
            });
        }
        let mut could_serve = BTreeMap::new();
        for week in kind.weeks() {
            could_serve.insert(week, plan::could_serve(&self.roster, rotation, week)?);
        }
        let neighbourhood = Neighbourhood {
            roster: &self.roster,
            rules,
            serving: serving_map.clone(),
            could_serve,
        };
        let offered: Vec<String> = match kind {
            SwapKind::Cover { week } => neighbourhood
                .cover(&me, week)
                .into_iter()
                .filter(|(_, verdict)| verdict.is_ok())
                .map(|(person, _)| person.to_string())
                .collect(),
            SwapKind::Swap { week, with_week } => {
                let other = serving_map
                    .get(&with_week)
                    .cloned()
                    .flatten()
                    .ok_or(AskError::NobodyServes(with_week))?;
                neighbourhood
                    .swap(&me, week, &other, with_week)
                    .map_err(|(person, why)| AskError::SwapBreaksRules {
                        person: person.to_string(),
                        why: why.to_string(),
                    })?;
                vec![other.to_string()]
            }
        };
        if offered.is_empty() {
            return Err(AskError::NobodyToOffer { week: kind.week() });
        }
        let bytes = self
            .nonces
            .nonce()
            .map_err(|e| AskError::Random(e.to_string()))?;
        let request = SwapRequest {
            id: SwapId::from_random(&bytes),
            rotation: rotation.to_owned(),
            kind,
            requester: requester.to_owned(),
            note: note.trim().to_owned(),
            offered,
            state: SwapState::Open,
            accepted_by: None,
            approver: rules.swap_approver.as_ref().map(ToString::to_string),
            decided_by: None,
            created_at: now,
            week_starts,
            closes_at: week_starts.min(now + self.max_age),
            updated_at: now,
            version: 1,
        };
        let audit = AuditEntry::new(
            now,
            format!("web:{requester}"),
            "swap.ask",
            request.subject(),
            format!(
                "{requester} asks for {} in {rotation}; offered to {}",
                kind.describe(),
                request.offered.join(", ")
            ),
            cause,
        );
        if !self.ledger.create_swap(&request, &audit).await? {
            return Err(AskError::Random("a request with that id exists".into()));
        }
        info!(swap = %request.id, requester, rotation, kind = %kind.describe(), offered = request.offered.len(), "swap asked for");
        // A mail that fails here is sent by the next sweep: the claims make it once.
        let mut report = SweepReport::default();
        self.send_offers(&request, now, cause, &mut report).await;
        Ok(request)
    }

    pub async fn request(&self, id: &SwapId) -> Result<Option<SwapRequest>, StoreError> {
        self.ledger.swap(id).await
    }

    async fn read(&self, id: &SwapId) -> Result<SwapRequest, ActError> {
        self.ledger.swap(id).await?.ok_or(ActError::NoSuchRequest)
    }

    /// Writes `next` over `current`; when another change came first, says what it was.
    async fn write(
        &self,
        current: &SwapRequest,
        next: &SwapRequest,
        (actor, action): (&str, &str),
        why: String,
        cause: &str,
        now: jiff::Timestamp,
    ) -> Result<(), ActError> {
        let audit = AuditEntry::new(now, actor, action, next.subject(), why, cause);
        if self.ledger.move_swap(current.state, next, &audit).await? {
            return Ok(());
        }
        let now_stored = self.read(&current.id).await?;
        Err(ActError::Refused(match now_stored.state {
            SwapState::Expired => Refusal::Expired,
            _ if now_stored.accepted_by.is_some() && current.state == SwapState::Open => {
                Refusal::Taken
            }
            state => Refusal::Closed(state.as_str()),
        }))
    }

    /// Every change of a request's state: the state machine's answer for `current`, written with its
    /// audit entry on the condition that nobody changed it since it was read, and only then its mail.
    /// A refusal (the model's, or a change that came first) writes and mails nothing.
    async fn take(
        &self,
        current: &SwapRequest,
        step: Step,
        now: jiff::Timestamp,
        cause: &str,
        report: &mut SweepReport,
    ) -> Result<SwapRequest, ActError> {
        let next = step.next?;
        self.write(
            current,
            &next,
            (&step.actor, step.action),
            step.why,
            cause,
            now,
        )
        .await?;
        if let Some(mail) = step.mail {
            self.send_to(mail, &next, now, cause, report).await;
        }
        Ok(next)
    }

    /// A person presses one of a request's buttons. Each is one step of the state machine, taken
    /// as `take` writes it; accepting and approving then apply the request.
    pub async fn press(
        &self,
        id: &SwapId,
        button: Button,
        by: &str,
        now: jiff::Timestamp,
        cause: &str,
    ) -> Result<SwapRequest, ActError> {
        let current = self.read(id).await?;
        let press = Press { by, now, cause };
        match button {
            Button::Accept => self.accept(current, press).await,
            Button::Approve => self.approve(current, press).await,
            Button::Decline => {
                let next = current.decline(by, now);
                let step = Step::button(
                    by,
                    "swap.decline",
                    "declines",
                    next,
                    Some(SwapMail::Declined),
                );
                self.take(&current, step, now, cause, &mut SweepReport::default())
                    .await
            }
            Button::Withdraw => {
                let next = current.withdraw(by, now);
                let step = Step::button(by, "swap.withdraw", "withdraws", next, None);
                self.take(&current, step, now, cause, &mut SweepReport::default())
                    .await
            }
        }
    }

    /// The first offered to accept wins, in one conditional write; then it is applied (or waits
    /// for the approver). Accepting again what one accepted finishes an interrupted apply.
    async fn accept(
        &self,
        current: SwapRequest,
        press: Press<'_>,
    ) -> Result<SwapRequest, ActError> {
        let Press { by, now, cause } = press;
        if current.accepted_by.as_deref() == Some(by) {
            match current.state {
                state if state.to_apply() => return self.apply(current, by, now, cause).await,
                SwapState::Applied | SwapState::AwaitingApproval => return Ok(current),
                _ => {}
            }
        }
        let next = current.accept(by, now);
        let mail = next
            .as_ref()
            .is_ok_and(|n| n.state == SwapState::AwaitingApproval)
            .then_some(SwapMail::Approval);
        let step = Step::button(by, "swap.accept", "accepts", next, mail);
        let next = match self
            .take(&current, step, now, cause, &mut SweepReport::default())
            .await
        {
            Ok(next) => next,
            Err(ActError::Refused(refused)) => {
                // A double click: the other press of the same person won; carry on with theirs.
                let stored = self.read(&current.id).await?;
                return match stored.state {
                    state if state.to_apply() && stored.accepted_by.as_deref() == Some(by) => {
                        self.apply(stored, by, now, cause).await
                    }
                    _ => Err(refused.into()),
                };
            }
            Err(e) => return Err(e),
        };
        info!(swap = %next.id, by, state = next.state.as_str(), "swap accepted");
        if next.state == SwapState::AwaitingApproval {
            return Ok(next);
        }
        self.apply(next, by, now, cause).await
    }

    /// The approver approves, and it is applied; approving again finishes an interrupted apply.
    async fn approve(
        &self,
        current: SwapRequest,
        press: Press<'_>,
    ) -> Result<SwapRequest, ActError> {
        let Press { by, now, cause } = press;
        if current.state == SwapState::Approved && current.approver.as_deref() == Some(by) {
            return self.apply(current, by, now, cause).await;
        }
        let next = current.approve(by, now);
        let step = Step::button(by, "swap.approve", "approves", next, None);
        let next = self
            .take(&current, step, now, cause, &mut SweepReport::default())
            .await?;
        self.apply(next, by, now, cause).await
    }

    /// Writes the overrides (skipping those already set), keeps VictorOps in step, and only then
    /// marks the request applied and mails who must know.
    async fn apply(
        &self,
        request: SwapRequest,
        actor: &str,
        now: jiff::Timestamp,
        cause: &str,
    ) -> Result<SwapRequest, ActError> {
        let Some(assignments) = request.assignments() else {
            return Ok(request);
        };
        let actor = if actor.starts_with("rotation") {
            actor.to_owned()
        } else {
            format!("web:{actor}")
        };
        let operator = Operator {
            actor: &actor,
            cause,
            at: now,
        };
        let existing = self.shifts.overrides(&request.rotation).await?;
        let committed = self.shifts.shifts(&request.rotation).await?;
        let reason = format!(
            "{} (swap request {}, {} and {})",
            request.kind.describe(),
            request.id,
            request.requester,
            request.accepted_by.as_deref().unwrap_or("?")
        );
        for (week, person) in &assignments {
            let week_text = week.to_string();
            let set = existing
                .iter()
                .any(|o| o.week == week_text && &o.person == person && o.reason == reason);
            let shift_agrees = committed
                .iter()
                .find(|s| s.week == week_text)
                .is_none_or(|s| s.primary.as_deref() == Some(person.as_str()));
            if set && shift_agrees {
                continue;
            }
            let id = PersonId::parse(person)
                .map_err(|e| StoreError::malformed(request.subject(), e.to_string()))?;
            set_override(
                self.shifts.as_ref(),
                &self.roster,
                &request.rotation,
                *week,
                &id,
                &reason,
                operator,
            )
            .await?;
        }
        self.victorops_follow_up(&request, &assignments, now, operator)
            .await?;
        let Some(applied) = request.applied(now) else {
            return Ok(request);
        };
        let step = Step {
            next: Ok(applied),
            actor,
            action: "swap.apply",
            why: format!("applied: {reason}"),
            mail: Some(SwapMail::Taken),
        };
        match self
            .take(&request, step, now, cause, &mut SweepReport::default())
            .await
        {
            Ok(applied) => {
                info!(swap = %applied.id, "swap applied");
                Ok(applied)
            }
            // Another run applied it meanwhile: the overrides are the same.
            Err(ActError::Refused(_)) => self.read(&request.id).await,
            Err(e) => Err(e),
        }
    }

    async fn victorops_follow_up(
        &self,
        request: &SwapRequest,
        assignments: &[(IsoWeek, String)],
        now: jiff::Timestamp,
        operator: Operator<'_>,
    ) -> Result<(), ActError> {
        let Some(sync) = self.victorops.as_ref().filter(|_| {
            crate::oncall::VictorOpsSync::link(&self.roster, &request.rotation).is_some()
        }) else {
            return Ok(());
        };
        let mut failed = Vec::new();
        for shift in self.shifts.shifts(&request.rotation).await? {
            let asked = assignments.iter().any(|(w, _)| w.to_string() == shift.week);
            if asked && shift.end_utc > now {
                let outcome = sync
                    .keep_in_step(&self.roster, &shift, now, operator, false)
                    .await?;
                info!(swap = %request.id, "{}", outcome.summary());
                if outcome.failed() {
                    failed.push(shift.week.clone());
                }
            }
        }
        if failed.is_empty() {
            Ok(())
        } else {
            Err(ActError::VictorOpsPending(failed.join(", ")))
        }
    }

    /// The scheduled job: expires what is past its time (mailing the requester), sends the
    /// reminders due, finishes what a crash left accepted or approved, and sends any mail a failure
    /// left unsent. Every mail under its claim, so a second run sends nothing.
    pub async fn sweep(
        &self,
        now: jiff::Timestamp,
        cause: &str,
        dry_run: bool,
    ) -> Result<SweepReport, StoreError> {
        let mut report = SweepReport::default();
        for request in self.ledger.swaps_from(now - SWEEP_BACK).await? {
            if dry_run {
                continue;
            }
            if let Some(expired) = request.expire(now) {
                let step = Step {
                    next: Ok(expired),
                    actor: "rotation".to_owned(),
                    action: "swap.expire",
                    why: format!("{} expired unanswered", request.kind.describe()),
                    mail: Some(SwapMail::Expired),
                };
                match self.take(&request, step, now, cause, &mut report).await {
                    Ok(_) => report.expired.push(request.id.to_string()),
                    Err(ActError::Store(e)) => return Err(e),
                    Err(e) => warn!(swap = %request.id, error = %e, "not expired: it changed"),
                }
                continue;
            }
            match request.state {
                SwapState::Open => {
                    self.send_offers(&request, now, cause, &mut report).await;
                    for (slot, before) in REMINDERS {
                        let due = request.week_starts - before;
                        let next_due = REMINDERS
                            .iter()
                            .map(|(_, b)| request.week_starts - *b)
                            .filter(|d| *d > due)
                            .min()
                            .unwrap_or(request.closes_at);
                        if now >= due && now < next_due && request.created_at < due {
                            self.send_to(slot, &request, now, cause, &mut report).await;
                        }
                    }
                }
                state if state.to_apply() => {
                    match self.apply(request.clone(), "rotation", now, cause).await {
                        Ok(_) => report.applied.push(request.id.to_string()),
                        Err(ActError::Store(e)) => return Err(e),
                        Err(e) => report.failed.push(format!("{}: {e}", request.id)),
                    }
                }
                state => {
                    if let Some(mail) = SwapMail::owed_in(state) {
                        self.send_to(mail, &request, now, cause, &mut report).await;
                    }
                }
            }
        }
        Ok(report)
    }

    async fn send_offers(
        &self,
        request: &SwapRequest,
        now: jiff::Timestamp,
        cause: &str,
        report: &mut SweepReport,
    ) {
        self.send_to(SwapMail::Offer, request, now, cause, report)
            .await;
    }

    /// Who each mail is for: the offered (offer, reminders, with the requester for reminders), the
    /// approver, the requester and acceptor and the notify list (taken), the two (declined), the
    /// requester (expired).
    /// Each with their roster timezone, which the mail's times are shown in (none for the notify
    /// list: UTC).
    fn recipients(
        &self,
        kind: SwapMail,
        request: &SwapRequest,
    ) -> Vec<(Mailbox, Option<IanaTimeZone>)> {
        let person = |id: &str| {
            self.person(id).map(|p| {
                (
                    Mailbox::new(p.name.clone(), p.email.clone()),
                    Some(p.timezone.clone()),
                )
            })
        };
        let mut people: Vec<&str> = Vec::new();
        match kind {
            SwapMail::Offer => people.extend(request.offered.iter().map(String::as_str)),
            SwapMail::Reminder7d | SwapMail::Reminder1d => {
                people.extend(request.offered.iter().map(String::as_str));
                people.push(&request.requester);
            }
            SwapMail::Approval => people.extend(request.approver.as_deref()),
            SwapMail::Taken | SwapMail::Declined => {
                people.push(&request.requester);
                people.extend(request.accepted_by.as_deref());
            }
            SwapMail::Expired => people.push(&request.requester),
        }
        let mut to: Vec<(Mailbox, Option<IanaTimeZone>)> =
            people.into_iter().filter_map(person).collect();
        if kind == SwapMail::Taken
            && let Some(rules) = self.roster.rotation(&request.rotation)
        {
            to.extend(rules.notify.iter().map(|a| {
                let list = Mailbox {
                    name: None,
                    address: a.clone(),
                };
                (list, None)
            }));
        }
        let mut seen = std::collections::BTreeSet::new();
        to.retain(|(m, _)| seen.insert(m.address.to_string().to_lowercase()));
        to
    }

    /// Sends `kind` to each of its recipients once, each under its own claim.
    async fn send_to(
        &self,
        kind: SwapMail,
        request: &SwapRequest,
        now: jiff::Timestamp,
        cause: &str,
        report: &mut SweepReport,
    ) {
        let names = Names {
            requester: self.name_of(&request.requester),
            acceptor: request.accepted_by.as_deref().map(|a| self.name_of(a)),
        };
        let link = self.link(&request.id);
        for (to, zone) in self.recipients(kind, request) {
            let what = format!("{}#{}", kind.as_str(), to.address);
            let claim = ClaimKey::swap(request.id.as_str(), what.clone());
            let mail = mails::compose(
                kind,
                request,
                &names,
                (Mailbox::new("Clinic", self.sender.clone()), to.clone()),
                zone.as_ref(),
                &link,
            );
            let subject = format!("{}/mail/{what}", request.subject());
            let once = OnceMail {
                mailer: self.mailer.as_ref(),
                mail: &mail,
                message_id: Box::new(|attempt| {
                    crate::mail::stable_message_id(&subject, kind.as_str(), attempt)
                }),
                audit: Box::new(|message_id, at| {
                    AuditEntry::new(
                        at,
                        "swaps",
                        "mail.send",
                        subject.clone(),
                        format!("{} mail about {}", kind.as_str(), request.kind.describe()),
                        cause,
                    )
                    .with_details(serde_json::json!({ "message_id": message_id }))
                }),
            };
            let result = Once::new(self.claims.as_ref(), self.lease)
                .patient(JOB_PATIENCE)
                .run(&claim, &once, now)
                .await;
            match result {
                Ok(Outcome::Done { acted: true, .. }) => report.mails_sent.push(what),
                Ok(Outcome::Done { acted: false, .. }) => {}
                Ok(Outcome::Busy { .. }) => report.failed.push(format!("{what}: busy")),
                Err(OnceError::Store(e)) => report.failed.push(format!("{what}: {e}")),
                Err(OnceError::Effect(e)) => {
                    warn!(swap = %request.id, mail = kind.as_str(), error = %crate::log_text::escape(&e.to_string()), "swap mail failed");
                    report.failed.push(format!("{what}: {e}"));
                }
            }
        }
    }
}
