//! The claim protocol's one driver: take, settle what an earlier holder left unknown, record the
//! intent, act, record the outcome. Every exactly-once action in Clinic runs through [`Once::run`];
//! what differs between them (a mail, a Statuspage creation, a status update) is an [`Effect`].

use std::time::Duration;

use async_trait::async_trait;
use tracing::{info, warn};

use super::{ClaimKey, Claims, Holder, Release, Taken};
use crate::audit::AuditEntry;
use crate::store::StoreError;

/// How long, after its holder's lease ended, an action whose answer never came may still land on
/// the other system (a creation Statuspage applies after Clinic's timeout): until then a lookup
/// that finds nothing does not prove it did not happen.
pub const SETTLE_WITHIN: jiff::SignedDuration = jiff::SignedDuration::from_secs(120);

/// What looking for an earlier attempt's outcome found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// It happened; this is its outcome.
    Found(String),
    /// The other system shows nothing of it.
    Absent,
    /// The other system cannot be asked (SES keeps no record Clinic can read): act again, with
    /// the same identity, so a copy is recognisable.
    Unsupported,
}

impl From<Option<String>> for Lookup {
    /// What a search of the other system returned: the outcome it found, or nothing.
    fn from(found: Option<String>) -> Self {
        found.map_or(Lookup::Absent, Lookup::Found)
    }
}

/// Why an action failed.
#[derive(Debug)]
pub enum Failure<E> {
    /// It surely did not happen (refused, or never sent).
    Refused(E),
    /// It may have happened: its answer never came.
    Unknown(E),
}

/// One kind of action on another system, as the protocol drives it.
#[async_trait]
pub trait Effect: Send + Sync {
    type Error: std::error::Error + Send + Sync + 'static;

    /// How long an unanswered attempt may still land; [`SETTLE_WITHIN`] unless the system is known
    /// to be faster.
    fn settle_within(&self) -> jiff::SignedDuration {
        SETTLE_WITHIN
    }

    /// Looks for the outcome of an earlier attempt that may have happened.
    async fn look_up(&self) -> Result<Lookup, Self::Error>;

    /// Does the action; `attempt` counts from 1 across invocations. Returns its outcome.
    async fn act(&self, attempt: u32, now: jiff::Timestamp)
    -> Result<String, Failure<Self::Error>>;

    /// The audit entry recorded with the outcome; `found` when an earlier attempt's outcome was
    /// found by a lookup rather than made now.
    fn audit(&self, outcome: &str, found: bool, now: jiff::Timestamp) -> AuditEntry;
}

/// What running an action once came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Done, with its outcome: by this run (`acted`), or before it (recorded, or found by a lookup).
    Done { outcome: String, acted: bool },
    /// Not done, and not this run's to do now: another holder has it, or an earlier attempt may
    /// still land. Never success: the caller answers retryable and comes back after `until`.
    Busy { until: jiff::Timestamp },
}

impl Outcome {
    /// The outcome, when done.
    pub fn done(&self) -> Option<&str> {
        match self {
            Self::Done { outcome, .. } => Some(outcome),
            Self::Busy { .. } => None,
        }
    }
}

/// Why an action could not be run.
#[derive(Debug, thiserror::Error)]
pub enum OnceError<E: std::error::Error + 'static> {
    #[error("the claims table failed")]
    Store(#[from] StoreError),
    #[error(transparent)]
    Effect(E),
}

/// Runs actions once each, holding claims for `lease`.
pub struct Once<'a> {
    claims: &'a dyn Claims,
    lease: jiff::SignedDuration,
    /// How long to wait for a claim another holder has before answering busy.
    patience: Duration,
}

/// How often a patient run looks again at a claim another holder has.
const RECHECK: Duration = Duration::from_millis(200);

impl<'a> Once<'a> {
    pub fn new(claims: &'a dyn Claims, lease: jiff::SignedDuration) -> Self {
        Self {
            claims,
            lease,
            patience: Duration::ZERO,
        }
    }

    /// Waits up to `patience` for a claim another holder has to be finished, so concurrent
    /// deliveries of one event mostly see it done instead of answering busy.
    pub fn patient(mut self, patience: Duration) -> Self {
        self.patience = patience;
        self
    }

    /// Does `effect` once for `key`, as of `now`.
    pub async fn run<E: Effect>(
        &self,
        key: &ClaimKey,
        effect: &E,
        now: jiff::Timestamp,
    ) -> Result<Outcome, OnceError<E::Error>> {
        let holder = Holder::new();
        let (attempt, unsettled_since, now) = match self.take(key, &holder, now).await? {
            Ok(taken) => taken,
            Err(finished) => return Ok(finished),
        };
        if let Some(since) = unsettled_since {
            match effect.look_up().await {
                Ok(Lookup::Found(outcome)) => {
                    info!(claim = %key, "an earlier attempt's outcome was found");
                    let audit = effect.audit(&outcome, true, now);
                    self.claims.done(key, &holder, &outcome, &audit).await?;
                    return Ok(Outcome::Done {
                        outcome,
                        acted: false,
                    });
                }
                // The earlier holder may act until its lease ends, and what it sent may land up to
                // the settle bound after that: acting before then could make a second one.
                Ok(Lookup::Absent) if now < since + self.lease + effect.settle_within() => {
                    self.give_up(key, &holder, Release::Unknown, "not settled yet", now)
                        .await;
                    return Ok(Outcome::Busy {
                        until: since + self.lease + effect.settle_within(),
                    });
                }
                Ok(Lookup::Absent) => {
                    info!(claim = %key, "an earlier attempt never landed; acting again");
                }
                Ok(Lookup::Unsupported) => {
                    warn!(claim = %key, "an earlier attempt may have acted and cannot be looked up; acting again");
                }
                Err(e) => {
                    self.give_up(key, &holder, Release::Unknown, &e.to_string(), now)
                        .await;
                    return Err(OnceError::Effect(e));
                }
            }
        }
        if !self.claims.begin(key, &holder, now).await? {
            return Ok(Outcome::Busy {
                until: now + self.lease,
            });
        }
        match effect.act(attempt, now).await {
            Ok(outcome) => {
                let audit = effect.audit(&outcome, false, now);
                if !self.claims.done(key, &holder, &outcome, &audit).await? {
                    // This run's lease ran out while it acted; the next holder settles it first.
                    warn!(claim = %key, "the claim moved on before its outcome was recorded");
                }
                Ok(Outcome::Done {
                    outcome,
                    acted: true,
                })
            }
            Err(Failure::Refused(e)) => {
                self.give_up(key, &holder, Release::NotDone, &e.to_string(), now)
                    .await;
                Err(OnceError::Effect(e))
            }
            Err(Failure::Unknown(e)) => {
                self.give_up(key, &holder, Release::Unknown, &e.to_string(), now)
                    .await;
                Err(OnceError::Effect(e))
            }
        }
    }

    /// Takes the claim, waiting up to the patience for another holder to finish. `Err` carries
    /// the run's answer when the claim is done or stays busy.
    async fn take(
        &self,
        key: &ClaimKey,
        holder: &Holder,
        now: jiff::Timestamp,
    ) -> Result<Result<(u32, Option<jiff::Timestamp>, jiff::Timestamp), Outcome>, StoreError> {
        let mut waited = Duration::ZERO;
        loop {
            let at = now + jiff::SignedDuration::try_from(waited).unwrap_or_default();
            match self.claims.take(key, holder, at, at + self.lease).await? {
                Taken::Mine {
                    attempt,
                    unsettled_since,
                } => return Ok(Ok((attempt, unsettled_since, at))),
                Taken::Done(outcome) => {
                    return Ok(Err(Outcome::Done {
                        outcome,
                        acted: false,
                    }));
                }
                Taken::Held { until } if waited >= self.patience => {
                    info!(claim = %key, until = %until, "held by another invocation");
                    return Ok(Err(Outcome::Busy { until }));
                }
                Taken::Held { .. } => {
                    let pause = RECHECK.min(self.patience - waited);
                    tokio::time::sleep(pause).await;
                    waited += pause;
                }
            }
        }
    }

    /// Releases the claim; a failure to release is logged, not raised: the lease ends anyway, and
    /// the error the caller reports is the action's.
    async fn give_up(
        &self,
        key: &ClaimKey,
        holder: &Holder,
        how: Release,
        error: &str,
        now: jiff::Timestamp,
    ) {
        if let Err(e) = self.claims.release(key, holder, how, error, now).await {
            warn!(claim = %key, error = %e, "could not release the claim; it frees itself when its lease ends");
        }
    }
}
