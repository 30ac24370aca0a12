//! What the triage tests, the bench and the demo share: a Conduit fake seeded with the rules' projects
//! and people, port wrappers that count table calls and time Conduit calls, an in-memory ledger, and
//! signed requests as Phorge sends them.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use clinic::adapters::conduit::ConduitClient;
use clinic::audit::AuditEntry;
use clinic::functions::phabricator_webhook::PhabricatorWebhook;
use clinic::http_url::HttpUrl;
use clinic::secret::Secret;
use clinic::store::StoreError;
use clinic::triage::model::{ProjectPhid, Task, TaskPhid, Transaction, TransactionPhid, UserPhid};
use clinic::triage::ports::{
    Conduit, ConduitError, DutyRoster, Edit, QueuedDelivery, TaskState, TriageLedger, User,
};
use clinic::triage::rules::Rules;
use clinic::triage::webhook::{SIGNATURE_HEADER, sign};
use lambda_http::{Body, Request};

use crate::conduit_fake::ConduitFake;

/// The HMAC key the tests and the demo sign with.
pub const HMAC_KEY: &str = "clinic-demo-webhook-hmac-key-0001";

/// The person the tests put on clinic duty.
pub const ON_DUTY: &str = "akaur";

/// The rules file Clinic ships.
pub fn shipped_rules() -> Rules {
    let path = crate::repo_root().join("shared/data/triage-rules.toml");
    let text = std::fs::read_to_string(&path).expect("the shipped rules file");
    Rules::parse(&text).expect("valid shipped rules")
}

/// A fake with every project and person the rules name, plus the person on duty.
pub async fn seeded_fake(rules: &Rules) -> ConduitFake {
    let fake = ConduitFake::start().await;
    seed(&fake, rules);
    fake
}

pub fn seed(fake: &ConduitFake, rules: &Rules) {
    for slug in rules.slugs() {
        fake.add_project(&slug);
    }
    for name in rules.usernames() {
        fake.add_user(&name);
    }
    fake.add_user(ON_DUTY);
}

/// The webhook handler against `fake` with `table` as its ledger and clinic-duty roster.
pub fn webhook_on<T>(fake: &ConduitFake, rules: Rules, table: Arc<T>) -> PhabricatorWebhook
where
    T: TriageLedger + DutyRoster + 'static,
{
    let conduit = ConduitClient::new(
        HttpUrl::parse(&fake.url()).expect("the fake's URL"),
        Secret::new(crate::conduit_fake::TOKEN),
    )
    .expect("a Conduit client");
    PhabricatorWebhook::with_ports(
        Secret::new(HMAC_KEY),
        rules,
        Arc::new(conduit),
        table.clone(),
        table,
        false,
    )
}

/// A POST as Phorge sends it, signed with `key` (no signature header when `key` is `None`).
pub fn signed_request(body: &[u8], key: Option<&str>) -> Request {
    let mut request = Request::new(Body::from(body.to_vec()));
    *request.method_mut() = lambda_http::http::Method::POST;
    *request.uri_mut() = "/hooks/phabricator".parse().expect("a path");
    let headers = request.headers_mut();
    headers.insert(
        "content-type",
        "application/json".parse().expect("a header"),
    );
    if let Some(key) = key {
        let signature = sign(key.as_bytes(), body);
        headers.insert(SIGNATURE_HEADER, signature.parse().expect("a header"));
    }
    request
}

/// Counts the calls made to the table-backed ports: each is one DynamoDB request (UpdateItem for
/// `claim` and `release`, GetItem for `load`, TransactWriteItems for `save` of up to 99 audit entries,
/// one Query page for `on_duty`).
pub struct Counted<L> {
    pub inner: L,
    calls: AtomicUsize,
}

impl<L> Counted<L> {
    pub fn new(inner: L) -> Self {
        Self {
            inner,
            calls: AtomicUsize::new(0),
        }
    }

    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    pub fn reset(&self) {
        self.calls.store(0, Ordering::SeqCst);
    }
}

#[async_trait]
impl<L: TriageLedger> TriageLedger for Counted<L> {
    async fn load(&self, task: &TaskPhid) -> Result<TaskState, StoreError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner.load(task).await
    }

    async fn claim(
        &self,
        task: &TaskPhid,
        holder: &str,
        now: jiff::Timestamp,
        until: jiff::Timestamp,
    ) -> Result<Option<TaskState>, StoreError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner.claim(task, holder, now, until).await
    }

    async fn save(
        &self,
        state: &TaskState,
        audit: &[AuditEntry],
        holder: &str,
    ) -> Result<bool, StoreError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner.save(state, audit, holder).await
    }

    async fn release(&self, task: &TaskPhid, holder: &str) -> Result<(), StoreError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner.release(task, holder).await
    }

    async fn queue(
        &self,
        task: &TaskPhid,
        delivery: &QueuedDelivery,
        now: jiff::Timestamp,
    ) -> Result<bool, StoreError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner.queue(task, delivery, now).await
    }

    async fn queued(&self, task: &TaskPhid) -> Result<Vec<QueuedDelivery>, StoreError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner.queued(task).await
    }

    async fn dequeue(&self, task: &TaskPhid, key: &str) -> Result<(), StoreError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner.dequeue(task, key).await
    }
}

#[async_trait]
impl<L: DutyRoster> DutyRoster for Counted<L> {
    async fn on_duty(
        &self,
        rotation: &str,
        now: jiff::Timestamp,
    ) -> Result<Option<String>, StoreError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner.on_duty(rotation, now).await
    }
}

/// The ledger in memory, with a fixed person on duty: for the bench.
#[derive(Default)]
pub struct MemoryLedger {
    states: std::sync::Mutex<HashMap<String, TaskState>>,
    /// Task -> (holder, until).
    leases: std::sync::Mutex<HashMap<String, (String, jiff::Timestamp)>>,
    audit: std::sync::Mutex<Vec<AuditEntry>>,
    /// Task -> queued deliveries by key.
    queued: std::sync::Mutex<HashMap<String, std::collections::BTreeMap<String, QueuedDelivery>>>,
}

impl MemoryLedger {
    pub fn audit(&self) -> Vec<AuditEntry> {
        self.audit.lock().map(|a| a.clone()).unwrap_or_default()
    }
}

#[async_trait]
impl TriageLedger for MemoryLedger {
    async fn load(&self, task: &TaskPhid) -> Result<TaskState, StoreError> {
        let states = self.states.lock().unwrap_or_else(|p| p.into_inner());
        Ok(states
            .get(task.as_str())
            .cloned()
            .unwrap_or_else(|| TaskState::new(task)))
    }

    async fn claim(
        &self,
        task: &TaskPhid,
        holder: &str,
        now: jiff::Timestamp,
        until: jiff::Timestamp,
    ) -> Result<Option<TaskState>, StoreError> {
        {
            let mut leases = self.leases.lock().unwrap_or_else(|p| p.into_inner());
            if leases
                .get(task.as_str())
                .is_some_and(|(_, running)| *running >= now)
            {
                return Ok(None);
            }
            leases.insert(task.to_string(), (holder.to_owned(), until));
        }
        self.load(task).await.map(Some)
    }

    async fn save(
        &self,
        state: &TaskState,
        audit: &[AuditEntry],
        holder: &str,
    ) -> Result<bool, StoreError> {
        let mut leases = self.leases.lock().unwrap_or_else(|p| p.into_inner());
        if leases.get(&state.task).is_none_or(|(h, _)| h != holder) {
            return Ok(false);
        }
        leases.remove(&state.task);
        self.states
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(state.task.clone(), state.clone());
        self.audit
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(audit);
        Ok(true)
    }

    async fn release(&self, task: &TaskPhid, holder: &str) -> Result<(), StoreError> {
        let mut leases = self.leases.lock().unwrap_or_else(|p| p.into_inner());
        if leases.get(task.as_str()).is_some_and(|(h, _)| h == holder) {
            leases.remove(task.as_str());
        }
        Ok(())
    }

    async fn queue(
        &self,
        task: &TaskPhid,
        delivery: &QueuedDelivery,
        now: jiff::Timestamp,
    ) -> Result<bool, StoreError> {
        let leases = self.leases.lock().unwrap_or_else(|p| p.into_inner());
        if leases
            .get(task.as_str())
            .is_none_or(|(_, running)| *running < now)
        {
            return Ok(false);
        }
        self.queued
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(task.to_string())
            .or_default()
            .insert(delivery.key.clone(), delivery.clone());
        Ok(true)
    }

    async fn queued(&self, task: &TaskPhid) -> Result<Vec<QueuedDelivery>, StoreError> {
        let queued = self.queued.lock().unwrap_or_else(|p| p.into_inner());
        Ok(queued
            .get(task.as_str())
            .map(|q| q.values().cloned().collect())
            .unwrap_or_default())
    }

    async fn dequeue(&self, task: &TaskPhid, key: &str) -> Result<(), StoreError> {
        if let Some(q) = self
            .queued
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_mut(task.as_str())
        {
            q.remove(key);
        }
        Ok(())
    }
}

#[async_trait]
impl DutyRoster for MemoryLedger {
    async fn on_duty(&self, _: &str, _: jiff::Timestamp) -> Result<Option<String>, StoreError> {
        Ok(Some(ON_DUTY.to_owned()))
    }
}

/// Times the calls to Conduit, so the handler's own time can be told apart from Conduit's.
pub struct Timed {
    inner: Arc<dyn Conduit>,
    nanos: AtomicU64,
}

impl Timed {
    pub fn new(inner: Arc<dyn Conduit>) -> Self {
        Self {
            inner,
            nanos: AtomicU64::new(0),
        }
    }

    pub fn take(&self) -> Duration {
        Duration::from_nanos(self.nanos.swap(0, Ordering::SeqCst))
    }

    fn add(&self, since: Instant) {
        let spent = u64::try_from(since.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.nanos.fetch_add(spent, Ordering::SeqCst);
    }
}

#[async_trait]
impl Conduit for Timed {
    async fn whoami(&self) -> Result<User, ConduitError> {
        let start = Instant::now();
        let result = self.inner.whoami().await;
        self.add(start);
        result
    }
    async fn transactions(&self, task: &TaskPhid) -> Result<Vec<Transaction>, ConduitError> {
        let start = Instant::now();
        let result = self.inner.transactions(task).await;
        self.add(start);
        result
    }
    async fn task(&self, task: &TaskPhid) -> Result<Option<Task>, ConduitError> {
        let start = Instant::now();
        let result = self.inner.task(task).await;
        self.add(start);
        result
    }
    async fn projects(&self, slugs: &[String]) -> Result<Vec<(String, ProjectPhid)>, ConduitError> {
        let start = Instant::now();
        let result = self.inner.projects(slugs).await;
        self.add(start);
        result
    }
    async fn descendants(
        &self,
        projects: &[ProjectPhid],
    ) -> Result<Vec<ProjectPhid>, ConduitError> {
        let start = Instant::now();
        let result = self.inner.descendants(projects).await;
        self.add(start);
        result
    }
    async fn spaces(&self, monograms: &[String]) -> Result<Vec<(String, String)>, ConduitError> {
        let start = Instant::now();
        let result = self.inner.spaces(monograms).await;
        self.add(start);
        result
    }
    async fn users(
        &self,
        usernames: &[String],
        phids: &[UserPhid],
    ) -> Result<Vec<User>, ConduitError> {
        let start = Instant::now();
        let result = self.inner.users(usernames, phids).await;
        self.add(start);
        result
    }
    async fn edit(
        &self,
        task: &TaskPhid,
        edits: &[Edit],
    ) -> Result<Vec<TransactionPhid>, ConduitError> {
        let start = Instant::now();
        let result = self.inner.edit(task, edits).await;
        self.add(start);
        result
    }
}
