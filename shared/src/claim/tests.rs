//! The claim protocol against the in-memory claims with faults: each hole a lost answer opened, and
//! a property over any sequence of faults and retries.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use proptest::prelude::*;

use super::memory::{Fault, MemoryClaims, TRIES};
use super::*;

const LEASE: jiff::SignedDuration = jiff::SignedDuration::from_secs(120);

fn t0() -> jiff::Timestamp {
    "2027-03-01T10:00:00Z".parse().unwrap()
}

fn secs(n: i64) -> jiff::SignedDuration {
    jiff::SignedDuration::from_secs(n)
}

fn key() -> ClaimKey {
    ClaimKey::incident("7200", "statuspage-create")
}

#[derive(Debug, thiserror::Error)]
#[error("the page failed: {0}")]
struct PageError(&'static str);

/// What one try of the action meets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Act {
    Ok,
    /// Refused: nothing created.
    Refuse,
    /// Created, the answer lost.
    LoseAnswer,
    /// Not created yet, the caller times out; created when `land_late` runs.
    Late,
}

/// A public page the action creates incidents on (lookups possible), or a mailer (none).
struct Page {
    lookups: bool,
    created: Mutex<Vec<String>>,
    acts: Mutex<VecDeque<Act>>,
    late: Mutex<usize>,
    /// Tries whose effect may have happened without the protocol learning its outcome.
    ambiguous: Mutex<usize>,
}

impl Page {
    fn new(lookups: bool) -> Self {
        Self {
            lookups,
            created: Mutex::new(Vec::new()),
            acts: Mutex::new(VecDeque::new()),
            late: Mutex::new(0),
            ambiguous: Mutex::new(0),
        }
    }

    fn next(&self, act: Act) {
        self.acts.lock().unwrap().push_back(act);
    }

    fn heal(&self) {
        self.acts.lock().unwrap().clear();
    }

    fn create(&self) -> String {
        let mut created = self.created.lock().unwrap();
        let id = format!("inc-{}", created.len() + 1);
        created.push(id.clone());
        id
    }

    fn land_late(&self) {
        let late = std::mem::take(&mut *self.late.lock().unwrap());
        for _ in 0..late {
            self.create();
        }
    }

    fn count(&self) -> usize {
        self.created.lock().unwrap().len()
    }
}

#[async_trait]
impl Effect for Page {
    type Error = PageError;

    async fn look_up(&self) -> Result<Lookup, PageError> {
        if !self.lookups {
            return Ok(Lookup::Unsupported);
        }
        Ok(match self.created.lock().unwrap().first() {
            Some(id) => Lookup::Found(id.clone()),
            None => Lookup::Absent,
        })
    }

    async fn act(
        &self,
        _attempt: u32,
        _now: jiff::Timestamp,
    ) -> Result<String, Failure<PageError>> {
        let act = self.acts.lock().unwrap().pop_front().unwrap_or(Act::Ok);
        match act {
            Act::Ok => Ok(self.create()),
            Act::Refuse => Err(Failure::Refused(PageError("refused"))),
            Act::LoseAnswer => {
                self.create();
                *self.ambiguous.lock().unwrap() += 1;
                Err(Failure::Unknown(PageError("answer lost")))
            }
            Act::Late => {
                *self.late.lock().unwrap() += 1;
                *self.ambiguous.lock().unwrap() += 1;
                Err(Failure::Unknown(PageError("timed out")))
            }
        }
    }

    fn audit(&self, outcome: &str, found: bool, now: jiff::Timestamp) -> AuditEntry {
        AuditEntry::new(
            now,
            "test",
            "page.create",
            "incident/7200",
            format!("{outcome} ({})", if found { "found" } else { "created" }),
            "test",
        )
    }
}

async fn run(claims: &MemoryClaims, page: &Page, now: jiff::Timestamp) -> Result<Outcome, String> {
    Once::new(claims, LEASE)
        .run(&key(), page, now)
        .await
        .map_err(|e| e.to_string())
}

#[tokio::test]
async fn a_take_whose_answer_was_lost_is_found_by_its_retry_to_be_its_own() {
    let (claims, page) = (MemoryClaims::default(), Page::new(true));
    claims.script([Fault::LoseAnswer]);
    let outcome = run(&claims, &page, t0()).await.unwrap();
    assert_eq!(
        outcome,
        Outcome::Done {
            outcome: "inc-1".into(),
            acted: true
        }
    );
    assert_eq!(page.count(), 1);
    assert_eq!(claims.outcome(&key()).as_deref(), Some("inc-1"));
}

#[tokio::test]
async fn a_claim_another_holder_has_is_busy_never_done() {
    let (claims, page) = (MemoryClaims::default(), Page::new(true));
    // The first invocation takes the claim and then loses the table for good.
    claims.script([Fault::Answer, Fault::Answer]);
    claims.script([Fault::Fail; TRIES]);
    claims.script([Fault::Fail; TRIES]);
    assert!(run(&claims, &page, t0()).await.is_err());
    let page_count_after_first = page.count();
    claims.heal();
    let second = run(&claims, &page, t0() + secs(5)).await.unwrap();
    assert!(matches!(second, Outcome::Busy { .. }), "{second:?}");
    assert!(second.done().is_none());
    // Once the lease has run out the next holder settles what the first one left.
    let third = run(&claims, &page, t0() + secs(200)).await.unwrap();
    assert_eq!(third.done(), Some("inc-1"));
    assert_eq!(page.count(), 1);
    assert_eq!(page_count_after_first, 1);
}

#[tokio::test]
async fn a_creation_whose_answer_never_came_is_looked_up_before_anyone_creates_again() {
    let (claims, page) = (MemoryClaims::default(), Page::new(true));
    page.next(Act::LoseAnswer);
    assert!(run(&claims, &page, t0()).await.is_err());
    let again = run(&claims, &page, t0() + secs(1)).await.unwrap();
    assert_eq!(
        again,
        Outcome::Done {
            outcome: "inc-1".into(),
            acted: false
        }
    );
    assert_eq!(page.count(), 1);
}

#[tokio::test]
async fn an_unanswered_creation_is_waited_for_until_the_bound_before_acting_again() {
    let (claims, page) = (MemoryClaims::default(), Page::new(true));
    page.next(Act::Late);
    assert!(run(&claims, &page, t0()).await.is_err());
    let early = run(&claims, &page, t0() + secs(30)).await.unwrap();
    assert_eq!(
        early,
        Outcome::Busy {
            until: t0() + LEASE + SETTLE_WITHIN
        }
    );
    assert_eq!(
        page.count(),
        0,
        "nothing may be created while the first may land"
    );
    // It never landed: after the bound the next holder creates it.
    let late = run(&claims, &page, t0() + LEASE + SETTLE_WITHIN + secs(1))
        .await
        .unwrap();
    assert_eq!(late.done(), Some("inc-1"));
    assert_eq!(page.count(), 1);
}

#[tokio::test]
async fn a_refused_action_is_tried_afresh_by_the_next_holder() {
    let (claims, page) = (MemoryClaims::default(), Page::new(false));
    page.next(Act::Refuse);
    assert!(run(&claims, &page, t0()).await.is_err());
    let retry = run(&claims, &page, t0() + secs(1)).await.unwrap();
    assert_eq!(
        retry,
        Outcome::Done {
            outcome: "inc-1".into(),
            acted: true
        }
    );
}

#[tokio::test]
async fn an_outcome_whose_recording_failed_is_found_by_the_next_holder() {
    let (claims, page) = (MemoryClaims::default(), Page::new(true));
    // take and begin answered, then every try of `done` fails.
    claims.script([Fault::Answer, Fault::Answer]);
    claims.script([Fault::Fail; TRIES]);
    assert!(run(&claims, &page, t0()).await.is_err());
    claims.heal();
    let next = run(&claims, &page, t0() + LEASE + secs(1)).await.unwrap();
    assert_eq!(
        next,
        Outcome::Done {
            outcome: "inc-1".into(),
            acted: false
        }
    );
    assert_eq!(page.count(), 1);
}

#[tokio::test]
async fn a_done_claim_answers_its_outcome_without_acting() {
    let (claims, page) = (MemoryClaims::default(), Page::new(true));
    run(&claims, &page, t0()).await.unwrap();
    let again = run(&claims, &page, t0() + secs(1)).await.unwrap();
    assert_eq!(
        again,
        Outcome::Done {
            outcome: "inc-1".into(),
            acted: false
        }
    );
    assert_eq!(page.count(), 1);
    assert_eq!(claims.audit.lock().unwrap().len(), 1);
}

/// An action that waits for a signal before creating: a dependency slower than the lease.
struct Slow {
    page: Page,
    go: tokio::sync::Notify,
    started: tokio::sync::Notify,
}

#[async_trait]
impl Effect for Slow {
    type Error = PageError;

    async fn look_up(&self) -> Result<Lookup, PageError> {
        self.page.look_up().await
    }

    async fn act(&self, attempt: u32, now: jiff::Timestamp) -> Result<String, Failure<PageError>> {
        self.started.notify_one();
        self.go.notified().await;
        self.page.act(attempt, now).await
    }

    fn audit(&self, outcome: &str, found: bool, now: jiff::Timestamp) -> AuditEntry {
        self.page.audit(outcome, found, now)
    }
}

#[tokio::test]
async fn an_action_slower_than_its_lease_is_not_repeated_by_the_next_holder() {
    let claims = Arc::new(MemoryClaims::default());
    let slow = Arc::new(Slow {
        page: Page::new(true),
        go: tokio::sync::Notify::new(),
        started: tokio::sync::Notify::new(),
    });
    let first = {
        let (claims, slow) = (claims.clone(), slow.clone());
        tokio::spawn(async move {
            Once::new(claims.as_ref(), LEASE)
                .run(&key(), slow.as_ref(), t0())
                .await
                .map_err(|e| e.to_string())
        })
    };
    slow.started.notified().await;
    // The first holder's lease has run out while it still waits on the dependency.
    let second = Once::new(claims.as_ref(), LEASE)
        .run(&key(), &slow.page, t0() + LEASE + secs(1))
        .await
        .unwrap();
    assert!(matches!(second, Outcome::Busy { .. }), "{second:?}");
    slow.go.notify_one();
    let first = first.await.unwrap().unwrap();
    assert_eq!(first.done(), Some("inc-1"));
    assert_eq!(slow.page.count(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_patient_run_waits_for_the_other_holder_and_answers_its_outcome() {
    let claims = Arc::new(MemoryClaims::default());
    let slow = Arc::new(Slow {
        page: Page::new(true),
        go: tokio::sync::Notify::new(),
        started: tokio::sync::Notify::new(),
    });
    let first = {
        let (claims, slow) = (claims.clone(), slow.clone());
        tokio::spawn(async move {
            Once::new(claims.as_ref(), LEASE)
                .run(&key(), slow.as_ref(), t0())
                .await
                .map(|o| o.done().map(str::to_owned))
                .map_err(|e| e.to_string())
        })
    };
    slow.started.notified().await;
    let release = {
        let slow = slow.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(500)).await;
            slow.go.notify_one();
        })
    };
    let second = Once::new(claims.as_ref(), LEASE)
        .patient(Duration::from_secs(2))
        .run(&key(), &slow.page, t0() + secs(1))
        .await
        .unwrap();
    assert_eq!(
        second,
        Outcome::Done {
            outcome: "inc-1".into(),
            acted: false
        }
    );
    release.await.unwrap();
    assert_eq!(first.await.unwrap().unwrap().as_deref(), Some("inc-1"));
    assert_eq!(slow.page.count(), 1);
}

fn store_fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        4 => Just(Fault::Answer),
        2 => Just(Fault::LoseAnswer),
        2 => Just(Fault::Fail),
        1 => Just(Fault::Hang),
    ]
}

fn act_fault() -> impl Strategy<Value = Act> {
    prop_oneof![
        3 => Just(Act::Ok),
        1 => Just(Act::Refuse),
        1 => Just(Act::LoseAnswer),
        1 => Just(Act::Late),
    ]
}

/// One invocation: the faults its table calls meet, what its action meets, and how long until
/// the next one comes (leases of 120 s run out across some of them).
fn invocation() -> impl Strategy<Value = (Vec<Fault>, Act, i64)> {
    (
        prop::collection::vec(store_fault(), 0..8),
        act_fault(),
        0i64..300,
    )
}

/// What a run of invocations came to.
struct Converged {
    page: Page,
    claims: MemoryClaims,
    /// Never more than one creation at any point (checked with lookups only).
    at_most_once: bool,
    /// Runs whose action succeeded and whose outcome the failing table did not record.
    unrecorded: usize,
}

/// Runs the invocations, then clean retries until the action is done.
fn converge(lookups: bool, invocations: Vec<(Vec<Fault>, Act, i64)>) -> Converged {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let (claims, page) = (MemoryClaims::default(), Page::new(lookups));
    let mut now = t0();
    let mut at_most_once = true;
    let mut unrecorded = 0;
    runtime.block_on(async {
        for (faults, act, pause) in invocations {
            claims.script(faults);
            page.next(act);
            let before = page.count();
            let result = run(&claims, &page, now).await;
            if act == Act::Ok && page.count() > before && result.is_err() {
                unrecorded += 1;
            }
            // What hung lands before anyone looks again: a late write, a creation applied late.
            claims.land_late();
            page.land_late();
            claims.heal();
            page.heal();
            if lookups && page.count() > 1 {
                at_most_once = false;
            }
            now += secs(pause);
        }
        for _ in 0..8 {
            now += LEASE + secs(1);
            if let Ok(Outcome::Done { .. }) = run(&claims, &page, now).await {
                break;
            }
        }
    });
    Converged {
        page,
        claims,
        at_most_once,
        unrecorded,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    /// Whatever the table and the page do to a run, the incident is created at most once, and
    /// exactly once when the faults stop, with its id recorded on the claim.
    #[test]
    fn a_looked_up_action_happens_at_most_once_and_exactly_once_when_faults_stop(
        invocations in prop::collection::vec(invocation(), 1..8)
    ) {
        let Converged { page, claims, at_most_once, .. } = converge(true, invocations);
        prop_assert!(at_most_once, "created {} times", page.count());
        prop_assert_eq!(page.count(), 1);
        let first = page.created.lock().unwrap()[0].clone();
        prop_assert_eq!(claims.outcome(&key()), Some(first));
    }

    /// A mail cannot be looked up: it goes out at least once when the faults stop, and a copy is
    /// only ever sent after an attempt whose outcome never reached the table — never because an
    /// answer of the claims table was lost.
    #[test]
    fn a_mail_goes_out_once_but_for_attempts_whose_outcome_was_never_recorded(
        invocations in prop::collection::vec(invocation(), 1..8)
    ) {
        let Converged { page, claims, unrecorded, .. } = converge(false, invocations);
        prop_assert!(page.count() >= 1);
        let ambiguous = *page.ambiguous.lock().unwrap();
        prop_assert!(
            page.count() <= 1 + ambiguous + unrecorded,
            "sent {} times, {} ambiguous tries, {} unrecorded outcomes",
            page.count(), ambiguous, unrecorded
        );
        prop_assert!(claims.outcome(&key()).is_some());
    }
}
