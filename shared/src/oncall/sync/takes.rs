//! Acting on members' own takes in VictorOps, each step once under a claim in the rotation's
//! partition. The first claim records the decision (the roster's `victorops.takes` when the take
//! is first seen), so a roster changed later never makes one take both recorded and undone.
//! Recorded: the week's override in Clinic (as `clinic rotation override` writes it), then the
//! notify list's mails. Undone: the person's mail first — once the override is gone the take is
//! no longer seen, so a mail left for later would never go — then the deletion.

use std::collections::BTreeSet;

use async_trait::async_trait;
use tracing::{info, warn};

use crate::audit::AuditEntry;
use crate::claim::Outcome;
use crate::claim::{ClaimKey, Claims, Effect, Failure, JOB_PATIENCE, Lookup, Once, OnceError};
use crate::mail::{EmailAddress, Mailbox, Mailer, OnceMail, OutgoingMail, stable_message_id};
use crate::oncall::ports::{TeamSchedule, VictorOpsApi, VictorOpsError};
use crate::oncall::takes::{Take, takes, unexplained};
use crate::rotation::roster::{PersonId, Roster, TakePolicy, VictorOpsLink};
use crate::shifts::overrides::{Operator, OverrideError, set_override};
use crate::shifts::{ShiftLedger, ShiftRecord};
use crate::store::StoreError;

use super::VictorOpsSync;
use super::report::{TakeOutcome, TakeReport};

const RECORD: &str = "record";
const UNDO: &str = "undo";

/// Records what the roster says to do with a take, the first time it is seen. Nothing outside the
/// table happens, so an attempt whose answer was lost simply decides again.
struct Decide<'a> {
    policy: TakePolicy,
    take: &'a Take,
    subject: String,
    who: Operator<'a>,
}

#[async_trait]
impl Effect for Decide<'_> {
    type Error = std::convert::Infallible;

    fn settle_within(&self) -> jiff::SignedDuration {
        jiff::SignedDuration::ZERO
    }

    async fn look_up(&self) -> Result<Lookup, Self::Error> {
        Ok(Lookup::Unsupported)
    }

    async fn act(
        &self,
        _attempt: u32,
        _now: jiff::Timestamp,
    ) -> Result<String, Failure<Self::Error>> {
        Ok(match self.policy {
            TakePolicy::Record => RECORD,
            TakePolicy::Undo => UNDO,
        }
        .to_owned())
    }

    fn audit(&self, outcome: &str, _found: bool, now: jiff::Timestamp) -> AuditEntry {
        AuditEntry::new(
            now,
            self.who.actor,
            "victorops.take.seen",
            &self.subject,
            format!("{}; the roster says: {outcome} it", self.take.describe()),
            self.who.cause,
        )
        .with_details(
            serde_json::json!({"public_id": self.take.public_id, "person": self.take.person}),
        )
    }
}

/// The take as the week's override in Clinic: the override record and the committed shift
/// rewritten, each audited by `set_override`.
struct RecordTake<'a, S> {
    store: &'a S,
    roster: &'a Roster,
    rotation: &'a str,
    take: &'a Take,
    subject: String,
    who: Operator<'a>,
}

#[async_trait]
impl<S: ShiftLedger> Effect for RecordTake<'_, S> {
    type Error = OverrideError;

    // Writing the same override again leaves the same record: nothing late can make a second one.
    fn settle_within(&self) -> jiff::SignedDuration {
        jiff::SignedDuration::ZERO
    }

    async fn look_up(&self) -> Result<Lookup, OverrideError> {
        let reason = self.take.reason();
        let overrides = self.store.overrides(self.rotation).await?;
        let shifts = self.store.shifts(self.rotation).await?;
        let done = overrides
            .iter()
            .any(|o| o.week == self.take.week && o.reason == reason)
            && shifts
                .iter()
                .any(|s| s.week == self.take.week && s.overridden.as_deref() == Some(&reason));
        Ok(done.then(|| RECORD.to_owned()).into())
    }

    async fn act(
        &self,
        _attempt: u32,
        now: jiff::Timestamp,
    ) -> Result<String, Failure<OverrideError>> {
        let week = self.take.week.parse().map_err(|e| {
            Failure::Refused(OverrideError::Store(StoreError::malformed(
                self.subject.clone(),
                format!("week: {e}"),
            )))
        })?;
        let person = PersonId::parse(&self.take.person).map_err(|_| {
            Failure::Refused(OverrideError::NotAMember {
                person: self.take.person.clone(),
                rotation: self.rotation.to_owned(),
            })
        })?;
        let who = Operator {
            at: now,
            ..self.who
        };
        match set_override(
            self.store,
            self.roster,
            self.rotation,
            week,
            &person,
            &self.take.reason(),
            who,
        )
        .await
        {
            Ok(_) => Ok(RECORD.to_owned()),
            // A write may have landed before the failure: the next holder looks first.
            Err(e @ OverrideError::Store(_)) => Err(Failure::Unknown(e)),
            Err(e) => Err(Failure::Refused(e)),
        }
    }

    fn audit(&self, _outcome: &str, found: bool, now: jiff::Timestamp) -> AuditEntry {
        let why = format!(
            "{}: recorded as the week's override{}",
            self.take.describe(),
            if found {
                " (found recorded by an earlier attempt)"
            } else {
                ""
            }
        );
        AuditEntry::new(
            now,
            self.who.actor,
            "victorops.take.record",
            &self.subject,
            why,
            self.who.cause,
        )
        .with_details(
            serde_json::json!({"public_id": self.take.public_id, "person": self.take.person}),
        )
    }
}

/// The take's override deleted in VictorOps.
struct UndoTake<'a> {
    api: &'a dyn VictorOpsApi,
    take: &'a Take,
    subject: String,
    who: Operator<'a>,
}

#[async_trait]
impl Effect for UndoTake<'_> {
    type Error = VictorOpsError;

    // Deleting an override already gone changes nothing: no need to wait for a late one.
    fn settle_within(&self) -> jiff::SignedDuration {
        jiff::SignedDuration::ZERO
    }

    async fn look_up(&self) -> Result<Lookup, VictorOpsError> {
        let listed = self.api.overrides().await?;
        let gone = !listed.iter().any(|o| o.public_id == self.take.public_id);
        Ok(gone.then(|| UNDO.to_owned()).into())
    }

    async fn act(
        &self,
        _attempt: u32,
        _now: jiff::Timestamp,
    ) -> Result<String, Failure<VictorOpsError>> {
        match self.api.delete_override(&self.take.public_id).await {
            Ok(_) => Ok(UNDO.to_owned()),
            Err(e) if e.surely_not_done() => Err(Failure::Refused(e)),
            Err(e) => Err(Failure::Unknown(e)),
        }
    }

    fn audit(&self, _outcome: &str, found: bool, now: jiff::Timestamp) -> AuditEntry {
        let why = format!(
            "{}: override deleted, as the roster's victorops.takes = \"undo\" says{}",
            self.take.describe(),
            if found {
                " (an earlier attempt had deleted it)"
            } else {
                ""
            }
        );
        AuditEntry::new(
            now,
            self.who.actor,
            "victorops.take.undo",
            &self.subject,
            why,
            self.who.cause,
        )
        .with_details(
            serde_json::json!({"public_id": self.take.public_id, "person": self.take.person}),
        )
    }
}

/// What running one step came to, for the take's report.
enum Step {
    Acted,
    AlreadyDone,
    Busy,
    Failed(String),
}

fn step<E: std::error::Error>(
    result: Result<Outcome, OnceError<E>>,
) -> Result<(Step, Option<String>), StoreError> {
    match result {
        Ok(Outcome::Done { outcome, acted }) => Ok((
            if acted {
                Step::Acted
            } else {
                Step::AlreadyDone
            },
            Some(outcome),
        )),
        Ok(Outcome::Busy { .. }) => Ok((Step::Busy, None)),
        Err(OnceError::Store(e)) => Err(e),
        Err(OnceError::Effect(e)) => Ok((Step::Failed(e.to_string()), None)),
    }
}

impl VictorOpsSync {
    /// Finds the members' own takes of the committed weeks in `schedule` (read by the drift check,
    /// so no extra schedule call) and acts on each as the roster says, once. The override list is
    /// read only when the schedule shows time Clinic's overrides do not explain. Takes handled
    /// before are left out of the report.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn handle_takes<S: ShiftLedger>(
        &self,
        store: &S,
        roster: &Roster,
        link: &VictorOpsLink,
        rotation: &str,
        shifts: &[ShiftRecord],
        schedule: &TeamSchedule,
        schedule_now: jiff::Timestamp,
        mail: (&dyn Mailer, &EmailAddress),
        who: Operator<'_>,
    ) -> Result<Result<Vec<TakeReport>, String>, StoreError> {
        let syncs = self.ledger.syncs(rotation).await?;
        let clinic: Vec<_> = syncs
            .iter()
            .flat_map(|r| r.overrides.iter().cloned())
            .collect();
        let stretches = unexplained(
            roster,
            rotation,
            link,
            shifts,
            &clinic,
            schedule,
            schedule_now,
        );
        if stretches.is_empty() {
            return Ok(Ok(Vec::new()));
        }
        let listed = match self.api.overrides().await {
            Ok(listed) => listed,
            Err(e) => {
                warn!(rotation, error = %crate::log_text::escape(&e.to_string()), "could not list VictorOps overrides for takes");
                return Ok(Err(e.to_string()));
            }
        };
        let ids: BTreeSet<String> = clinic.iter().map(|o| o.public_id.clone()).collect();
        let mut reports = Vec::new();
        for take in takes(&stretches, shifts, &listed, &ids) {
            let outcome = self
                .handle_take(store, roster, link, rotation, &take, mail, who)
                .await?;
            if outcome != TakeOutcome::AlreadyHandled {
                info!(rotation, take = %take.public_id, week = %take.week, ?outcome, "VictorOps take");
                reports.push(TakeReport { take, outcome });
            }
        }
        Ok(Ok(reports))
    }

    #[allow(clippy::too_many_arguments)]
    async fn handle_take<S: ShiftLedger>(
        &self,
        store: &S,
        roster: &Roster,
        link: &VictorOpsLink,
        rotation: &str,
        take: &Take,
        mail: (&dyn Mailer, &EmailAddress),
        who: Operator<'_>,
    ) -> Result<TakeOutcome, StoreError> {
        let ledger: &dyn Claims = self.ledger.as_ref();
        let once = Once::new(ledger, self.lease).patient(JOB_PATIENCE);
        let key = |what: String| ClaimKey::rotation(rotation, what);
        let subject = format!("rotation/{rotation}/{}", take.week);
        let decide = Decide {
            policy: link.takes,
            take,
            subject: subject.clone(),
            who,
        };
        let (decided, decision) = step(
            once.run(&key(take.claim_what()), &decide, self.clock.now())
                .await,
        )?;
        let mut acted = matches!(decided, Step::Acted);
        let decision = match (decided, decision) {
            (_, Some(decision)) => decision,
            (Step::Failed(reason), _) => return Ok(TakeOutcome::Failed { reason }),
            _ => return Ok(TakeOutcome::HeldElsewhere),
        };
        let pending = |s: Step, acted: &mut bool| -> Option<TakeOutcome> {
            match s {
                Step::Acted => {
                    *acted = true;
                    None
                }
                Step::AlreadyDone => None,
                Step::Busy => Some(TakeOutcome::HeldElsewhere),
                Step::Failed(reason) => Some(TakeOutcome::Failed { reason }),
            }
        };
        if decision == RECORD {
            let effect = RecordTake {
                store,
                roster,
                rotation,
                take,
                subject: subject.clone(),
                who,
            };
            let (s, _) = step(
                once.run(
                    &key(format!("{}#record", take.claim_what())),
                    &effect,
                    self.clock.now(),
                )
                .await,
            )?;
            if let Some(stop) = pending(s, &mut acted) {
                return Ok(stop);
            }
            let notify = roster
                .rotation(rotation)
                .map(|r| r.notify.clone())
                .unwrap_or_default();
            for address in notify {
                let message = take.recorded_notice(
                    rotation,
                    Mailbox::new("Clinic", mail.1.clone()),
                    address.clone(),
                );
                let s = self
                    .take_mail(
                        &once, rotation, take, "notice", &message, address, mail.0, who,
                    )
                    .await?;
                if let Some(stop) = pending(s, &mut acted) {
                    return Ok(stop);
                }
            }
            return Ok(if acted {
                TakeOutcome::Recorded
            } else {
                TakeOutcome::AlreadyHandled
            });
        }
        let person = PersonId::parse(&take.person)
            .ok()
            .and_then(|id| roster.person(&id));
        if let Some(person) = person {
            let message = take.undone_notice(
                rotation,
                Mailbox::new("Clinic", mail.1.clone()),
                person.email.clone(),
            );
            let s = self
                .take_mail(
                    &once,
                    rotation,
                    take,
                    "mail",
                    &message,
                    person.email.clone(),
                    mail.0,
                    who,
                )
                .await?;
            if let Some(stop) = pending(s, &mut acted) {
                return Ok(stop);
            }
        }
        let effect = UndoTake {
            api: self.api.as_ref(),
            take,
            subject,
            who,
        };
        let (s, _) = step(
            once.run(
                &key(format!("{}#undo", take.claim_what())),
                &effect,
                self.clock.now(),
            )
            .await,
        )?;
        if let Some(stop) = pending(s, &mut acted) {
            return Ok(stop);
        }
        Ok(if acted {
            TakeOutcome::Undone
        } else {
            TakeOutcome::AlreadyHandled
        })
    }

    #[allow(clippy::too_many_arguments)]
    async fn take_mail(
        &self,
        once: &Once<'_>,
        rotation: &str,
        take: &Take,
        kind: &str,
        message: &OutgoingMail,
        address: EmailAddress,
        mailer: &dyn Mailer,
        who: Operator<'_>,
    ) -> Result<Step, StoreError> {
        let what = format!("{}#{kind}#{address}", take.claim_what());
        let subject = format!("rotation/{rotation}/{what}");
        let effect = OnceMail {
            mailer,
            mail: message,
            message_id: Box::new(|attempt| stable_message_id(&subject, &take.week, attempt)),
            audit: Box::new(|message_id, at| {
                AuditEntry::new(
                    at,
                    who.actor,
                    "mail.send",
                    subject.clone(),
                    take.describe(),
                    who.cause,
                )
                .with_details(
                    serde_json::json!({"message_id": message_id, "subject": message.subject}),
                )
            }),
        };
        let (s, _) = step(
            once.run(
                &ClaimKey::rotation(rotation, what),
                &effect,
                self.clock.now(),
            )
            .await,
        )?;
        Ok(s)
    }
}
