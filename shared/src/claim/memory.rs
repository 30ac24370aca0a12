//! Claims in memory, with the faults a real table shows: a write applied whose answer is lost, a
//! write that fails, a write that hangs and is applied later. Each call is retried as the SDK
//! retries it (same arguments, so the same holder token), up to [`TRIES`] times.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;

use async_trait::async_trait;

use super::{ClaimKey, Claims, Holder, Release, Taken};
use crate::audit::AuditEntry;
use crate::store::StoreError;

/// Tries of one call, as the SDK's standard retry makes them.
pub(crate) const TRIES: usize = 3;

/// What happens to one try of a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// Applied and answered.
    Answer,
    /// Applied; the answer is lost.
    LoseAnswer,
    /// Not applied; an error comes back.
    Fail,
    /// Not applied now (the caller times out); applied later, when [`MemoryClaims::land_late`] runs.
    Hang,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Working,
    Done,
    Failed,
}

#[derive(Debug, Clone)]
struct Item {
    state: State,
    holder: String,
    lease_until: jiff::Timestamp,
    attempts: u32,
    acting_since: Option<jiff::Timestamp>,
    outcome: Option<String>,
}

/// One write, kept so a hung one can be applied later.
#[derive(Debug, Clone)]
enum Write {
    Take {
        key: ClaimKey,
        holder: String,
        now: jiff::Timestamp,
        until: jiff::Timestamp,
    },
    Begin {
        key: ClaimKey,
        holder: String,
        now: jiff::Timestamp,
    },
    Done {
        key: ClaimKey,
        holder: String,
        outcome: String,
    },
    Release {
        key: ClaimKey,
        holder: String,
        how: Release,
    },
}

/// What a write did when applied.
enum Applied {
    Taken(Taken),
    Held(bool),
    Nothing,
}

#[derive(Default)]
pub(crate) struct MemoryClaims {
    items: Mutex<BTreeMap<ClaimKey, Item>>,
    faults: Mutex<VecDeque<Fault>>,
    hung: Mutex<Vec<Write>>,
    /// Audit entries recorded with outcomes.
    pub(crate) audit: Mutex<Vec<AuditEntry>>,
}

fn lost() -> StoreError {
    StoreError::Unprocessed {
        operation: "fault",
        attempts: 1,
    }
}

impl MemoryClaims {
    /// The faults the next tries meet, in order; after them every try is answered.
    pub(crate) fn script(&self, faults: impl IntoIterator<Item = Fault>) {
        self.faults.lock().unwrap().extend(faults);
    }

    /// Stops injecting faults.
    pub(crate) fn heal(&self) {
        self.faults.lock().unwrap().clear();
    }

    /// Applies the writes that hung, as a slow table finally does.
    pub(crate) fn land_late(&self) {
        let hung: Vec<Write> = std::mem::take(&mut *self.hung.lock().unwrap());
        for write in hung {
            self.apply(&write);
        }
    }

    /// The outcome recorded for `key`, if done.
    pub(crate) fn outcome(&self, key: &ClaimKey) -> Option<String> {
        let items = self.items.lock().unwrap();
        items
            .get(key)
            .filter(|i| i.state == State::Done)
            .and_then(|i| i.outcome.clone())
    }

    fn apply(&self, write: &Write) -> Applied {
        let mut items = self.items.lock().unwrap();
        match write {
            Write::Take {
                key,
                holder,
                now,
                until,
            } => {
                let item = items.get(key).cloned();
                let free = match &item {
                    None => true,
                    Some(i) => {
                        i.state != State::Done
                            && (i.state == State::Failed
                                || i.lease_until < *now
                                || i.holder == *holder)
                    }
                };
                if !free {
                    let item = item.expect("a claim that is not free exists");
                    return Applied::Taken(match item.state {
                        State::Done => Taken::Done(item.outcome.unwrap_or_default()),
                        _ => Taken::Held {
                            until: item.lease_until,
                        },
                    });
                }
                let next = Item {
                    state: State::Working,
                    holder: holder.clone(),
                    lease_until: *until,
                    attempts: item.as_ref().map_or(0, |i| i.attempts) + 1,
                    acting_since: item.as_ref().and_then(|i| i.acting_since),
                    outcome: None,
                };
                let taken = Taken::Mine {
                    attempt: next.attempts,
                    unsettled_since: next.acting_since,
                };
                items.insert(key.clone(), next);
                Applied::Taken(taken)
            }
            Write::Begin { key, holder, now } => match items.get_mut(key) {
                Some(i) if i.holder == *holder && i.state == State::Working => {
                    i.acting_since = Some(*now);
                    Applied::Held(true)
                }
                _ => Applied::Held(false),
            },
            Write::Done {
                key,
                holder,
                outcome,
            } => match items.get_mut(key) {
                Some(i) if i.holder == *holder => {
                    i.state = State::Done;
                    i.outcome = Some(outcome.clone());
                    i.acting_since = None;
                    Applied::Held(true)
                }
                _ => Applied::Held(false),
            },
            Write::Release { key, holder, how } => {
                if let Some(i) = items.get_mut(key)
                    && i.holder == *holder
                    && i.state == State::Working
                {
                    i.state = State::Failed;
                    if *how == Release::NotDone {
                        i.acting_since = None;
                    }
                }
                Applied::Nothing
            }
        }
    }

    /// One call, retried as the SDK does: each try meets the next scripted fault.
    fn call(&self, write: Write) -> Result<Applied, StoreError> {
        for _ in 0..TRIES {
            let fault = self
                .faults
                .lock()
                .unwrap()
                .pop_front()
                .unwrap_or(Fault::Answer);
            match fault {
                Fault::Answer => return Ok(self.apply(&write)),
                Fault::LoseAnswer => {
                    self.apply(&write);
                }
                Fault::Fail => {}
                Fault::Hang => self.hung.lock().unwrap().push(write.clone()),
            }
        }
        Err(lost())
    }
}

#[async_trait]
impl Claims for MemoryClaims {
    async fn take(
        &self,
        key: &ClaimKey,
        holder: &Holder,
        now: jiff::Timestamp,
        until: jiff::Timestamp,
    ) -> Result<Taken, StoreError> {
        match self.call(Write::Take {
            key: key.clone(),
            holder: holder.as_str().to_owned(),
            now,
            until,
        })? {
            Applied::Taken(taken) => Ok(taken),
            _ => unreachable!("a take answers what it took"),
        }
    }

    async fn begin(
        &self,
        key: &ClaimKey,
        holder: &Holder,
        now: jiff::Timestamp,
    ) -> Result<bool, StoreError> {
        match self.call(Write::Begin {
            key: key.clone(),
            holder: holder.as_str().to_owned(),
            now,
        })? {
            Applied::Held(held) => Ok(held),
            _ => unreachable!("a begin answers whether the holder has the claim"),
        }
    }

    async fn done(
        &self,
        key: &ClaimKey,
        holder: &Holder,
        outcome: &str,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        match self.call(Write::Done {
            key: key.clone(),
            holder: holder.as_str().to_owned(),
            outcome: outcome.to_owned(),
        })? {
            Applied::Held(held) => {
                if held {
                    self.audit.lock().unwrap().push(audit.clone());
                }
                Ok(held)
            }
            _ => unreachable!("a done answers whether the holder had the claim"),
        }
    }

    async fn release(
        &self,
        key: &ClaimKey,
        holder: &Holder,
        how: Release,
        _error: &str,
        _now: jiff::Timestamp,
    ) -> Result<(), StoreError> {
        self.call(Write::Release {
            key: key.clone(),
            holder: holder.as_str().to_owned(),
            how,
        })
        .map(|_| ())
    }
}
