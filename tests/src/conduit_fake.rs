//! A local HTTP fake of Phorge's Conduit API, built from the wire formats Phorge was recorded with:
//! form-encoded `params` JSON with the token in `__conduit__`, errors as HTTP 200 with `error_code`,
//! newest-first `transaction.search` pages with `cursor.after`. Tasks live in memory, so an edit
//! changes what later searches return; every call is recorded; any call can be told to fail.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use http_body_util::{BodyExt as _, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// One call the fake received.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    pub params: Value,
}

#[derive(Debug, Clone)]
struct FakeTask {
    id: u64,
    phid: String,
    title: String,
    description: String,
    author: String,
    priority: i64,
    created: i64,
    projects: Vec<String>,
    subscribers: Vec<String>,
    /// Phorge's status value (`open`, `resolved`, ...).
    status: String,
    /// `policy.view`: `public` unless a test restricts it.
    view_policy: String,
    space: Option<String>,
}

#[derive(Debug, Clone)]
struct FakeTransaction {
    id: u64,
    phid: String,
    task: String,
    author: String,
    kind: String,
    comment: Option<String>,
    operations: Vec<(bool, String)>,
    created: i64,
}

#[derive(Default)]
struct World {
    token: String,
    bot: String,
    counter: u64,
    users: Vec<(String, String)>,
    projects: Vec<(String, String)>,
    /// Additional hashtags: (hashtag, project PHID).
    hashtags: Vec<(String, String)>,
    /// Subprojects and milestones: (child PHID, parent PHID).
    parents: Vec<(String, String)>,
    /// Spaces: (monogram, PHID).
    spaces: Vec<(String, String)>,
    tasks: BTreeMap<String, FakeTask>,
    transactions: Vec<FakeTransaction>,
    calls: Vec<Call>,
    /// Method -> how many more calls succeed before one fails.
    failures: Vec<(String, usize)>,
    now: i64,
}

impl World {
    fn next(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    fn phid(&mut self, kind: &str) -> String {
        let n = self.next();
        format!("PHID-{kind}-fake{n:016x}")
    }

    fn user(&self, username: &str) -> Option<String> {
        self.users
            .iter()
            .find(|(_, name)| name == username)
            .map(|(phid, _)| phid.clone())
    }

    fn slug_phid(&self, slug: &str) -> Option<String> {
        self.projects
            .iter()
            .find(|(_, s)| s == slug)
            .map(|(phid, _)| phid.clone())
    }

    fn record(
        &mut self,
        task: &str,
        author: &str,
        kind: &str,
        comment: Option<String>,
        operations: Vec<(bool, String)>,
    ) -> String {
        self.now += 1;
        let id = self.next();
        let phid = self.phid("XACT-TASK");
        self.transactions.push(FakeTransaction {
            id,
            phid: phid.clone(),
            task: task.to_owned(),
            author: author.to_owned(),
            kind: kind.to_owned(),
            comment,
            operations,
            created: self.now,
        });
        phid
    }

    /// Applies `maniphest.edit` transactions as `author`; nothing is applied if one is invalid.
    fn edit(
        &mut self,
        author: &str,
        task: &str,
        transactions: &[Value],
    ) -> Result<Vec<String>, String> {
        if !self.tasks.contains_key(task) {
            return Err(format!("Object \"{task}\" does not exist."));
        }
        for t in transactions {
            let kind = t["type"].as_str().unwrap_or_default();
            match kind {
                "projects.add" | "projects.remove" | "subscribers.add" | "subscribers.remove" => {
                    let prefix = if kind.starts_with("projects") {
                        "PHID-PROJ-"
                    } else {
                        "PHID-USER-"
                    };
                    let ok = t["value"].as_array().is_some_and(|v| {
                        v.iter()
                            .all(|p| p.as_str().is_some_and(|p| p.starts_with(prefix)))
                    });
                    if !ok {
                        return Err(format!(
                            "Transaction \"{kind}\" has an invalid value: expected PHIDs."
                        ));
                    }
                }
                "comment" | "status" if t["value"].is_string() => {}
                other => return Err(format!("Transaction type \"{other}\" is not valid here.")),
            }
        }
        let mut created = Vec::new();
        for t in transactions {
            let kind = t["type"].as_str().unwrap_or_default().to_owned();
            let values: Vec<String> = t["value"]
                .as_array()
                .map(|v| {
                    v.iter()
                        .filter_map(|p| p.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            let entry = self.tasks.get_mut(task).ok_or("task vanished")?;
            let (field, list) = match kind.as_str() {
                "projects.add" | "projects.remove" => ("projects", &mut entry.projects),
                "subscribers.add" | "subscribers.remove" => ("subscribers", &mut entry.subscribers),
                "status" => {
                    entry.status = t["value"].as_str().unwrap_or_default().to_owned();
                    created.push(self.record(task, author, "status", None, vec![]));
                    continue;
                }
                _ => {
                    let text = t["value"].as_str().unwrap_or_default().to_owned();
                    created.push(self.record(task, author, "comment", Some(text), vec![]));
                    continue;
                }
            };
            let add = kind.ends_with(".add");
            let mut operations = Vec::new();
            for value in values {
                let present = list.contains(&value);
                if add && !present {
                    list.push(value.clone());
                    operations.push((true, value));
                } else if !add && present {
                    list.retain(|p| *p != value);
                    operations.push((false, value));
                }
            }
            if !operations.is_empty() {
                created.push(self.record(task, author, field, None, operations));
            }
        }
        Ok(created)
    }
}

/// The running fake.
pub struct ConduitFake {
    address: SocketAddr,
    world: Arc<Mutex<World>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for ConduitFake {
    fn drop(&mut self) {
        self.server.abort();
    }
}

pub const TOKEN: &str = "api-clinicfaketoken0000000000001";
pub const BOT: &str = "clinic-bot";

impl ConduitFake {
    /// Starts the fake on a free loopback port with the bot user and no other data.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake");
        Self::start_on(listener).await
    }

    pub async fn start_on(listener: TcpListener) -> Self {
        let address = listener.local_addr().expect("fake's address");
        let mut world = World {
            token: TOKEN.to_owned(),
            now: 1_800_000_000,
            ..World::default()
        };
        let bot = world.phid("USER");
        world.users.push((bot.clone(), BOT.to_owned()));
        world.bot = bot;
        let world = Arc::new(Mutex::new(world));
        let shared = world.clone();
        let server = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let world = shared.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request: hyper::Request<Incoming>| {
                        let world = world.clone();
                        async move { Ok::<_, Infallible>(answer(&world, request).await) }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self {
            address,
            world,
            server,
        }
    }

    fn world(&self) -> std::sync::MutexGuard<'_, World> {
        self.world
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn bot_phid(&self) -> String {
        self.world().bot.clone()
    }

    pub fn add_user(&self, username: &str) -> String {
        let mut world = self.world();
        if let Some(phid) = world.user(username) {
            return phid;
        }
        let phid = world.phid("USER");
        world.users.push((phid.clone(), username.to_owned()));
        phid
    }

    pub fn add_project(&self, slug: &str) -> String {
        let mut world = self.world();
        if let Some(phid) = world.slug_phid(slug) {
            return phid;
        }
        let phid = world.phid("PROJ");
        world.projects.push((phid.clone(), slug.to_owned()));
        phid
    }

    /// Gives the project `slug` an additional hashtag (as Phorge's project page allows).
    pub fn add_hashtag(&self, slug: &str, hashtag: &str) {
        let phid = self.add_project(slug);
        self.world().hashtags.push((hashtag.to_owned(), phid));
    }

    /// A subproject or milestone `slug` under the project `parent`; its PHID.
    pub fn add_subproject(&self, parent: &str, slug: &str) -> String {
        let parent = self.add_project(parent);
        let child = self.add_project(slug);
        self.world().parents.push((child.clone(), parent));
        child
    }

    /// A Space with monogram `monogram` (`S4`); its PHID.
    pub fn add_space(&self, monogram: &str) -> String {
        let mut world = self.world();
        let phid = world.phid("SPCE");
        world.spaces.push((monogram.to_owned(), phid.clone()));
        phid
    }

    /// Sets a task's view policy and Space, as an administrator would.
    pub fn set_task_visibility(&self, task: &str, view_policy: &str, space: Option<&str>) {
        if let Some(t) = self.world().tasks.get_mut(task) {
            t.view_policy = view_policy.to_owned();
            t.space = space.map(str::to_owned);
        }
    }

    /// Sets the fake's clock (epoch seconds) for the next transactions and tasks.
    pub fn set_now(&self, epoch: i64) {
        self.world().now = epoch;
    }

    /// A person creates a task; returns its PHID and the transactions of the creation.
    pub fn create_task(
        &self,
        author: &str,
        title: &str,
        description: &str,
        tags: &[&str],
        priority: i64,
    ) -> (String, Vec<String>) {
        let author_phid = self.add_user(author);
        let projects: Vec<String> = tags.iter().map(|t| self.add_project(t)).collect();
        let mut world = self.world();
        let id = world.next();
        let phid = world.phid("TASK");
        world.now += 1;
        let created = world.now;
        world.tasks.insert(
            phid.clone(),
            FakeTask {
                id,
                phid: phid.clone(),
                title: title.to_owned(),
                description: description.to_owned(),
                author: author_phid.clone(),
                priority,
                created,
                projects: vec![],
                subscribers: vec![author_phid.clone()],
                status: "open".to_owned(),
                view_policy: "public".to_owned(),
                space: None,
            },
        );
        let mut transactions = vec![world.record(&phid, &author_phid, "create", None, vec![])];
        if !projects.is_empty() {
            let edit = [json!({ "type": "projects.add", "value": projects })];
            transactions.extend(world.edit(&author_phid, &phid, &edit).unwrap_or_default());
        }
        (phid, transactions)
    }

    /// Like [`Self::create_task`], with the task's and its creation transactions' PHIDs fixed (for
    /// sample deliveries that name them); extra generated transactions keep their PHIDs.
    pub fn create_task_with_phids(&self, spec: &TaskSpec) -> Vec<String> {
        let tags: Vec<&str> = spec.tags.iter().map(String::as_str).collect();
        let (generated, transactions) = self.create_task(
            &spec.author,
            &spec.title,
            &spec.description,
            &tags,
            spec.priority,
        );
        let mut world = self.world();
        if let Some(mut task) = world.tasks.remove(&generated) {
            task.phid = spec.phid.clone();
            world.tasks.insert(spec.phid.clone(), task);
        }
        let mut renamed = Vec::new();
        for (i, old) in transactions.iter().enumerate() {
            let new = spec
                .transactions
                .get(i)
                .cloned()
                .unwrap_or_else(|| old.clone());
            for t in world.transactions.iter_mut().filter(|t| t.phid == *old) {
                t.phid = new.clone();
            }
            renamed.push(new);
        }
        for t in world
            .transactions
            .iter_mut()
            .filter(|t| t.task == generated)
        {
            t.task = spec.phid.clone();
        }
        renamed
    }

    /// A person edits a task, as `maniphest.edit` would; returns the transactions.
    pub fn edit_as(&self, username: &str, task: &str, transactions: Value) -> Vec<String> {
        let author = self.add_user(username);
        let list = transactions.as_array().cloned().unwrap_or_default();
        self.world()
            .edit(&author, task, &list)
            .expect("a valid edit")
    }

    pub fn comment_as(&self, username: &str, task: &str, text: &str) -> Vec<String> {
        self.edit_as(
            username,
            task,
            json!([{ "type": "comment", "value": text }]),
        )
    }

    pub fn remove_tag_as(&self, username: &str, task: &str, slug: &str) -> Vec<String> {
        let project = self.add_project(slug);
        self.edit_as(
            username,
            task,
            json!([{ "type": "projects.remove", "value": [project] }]),
        )
    }

    /// A person changes the task's status (`resolved` closes it); returns the transactions.
    pub fn set_status_as(&self, username: &str, task: &str, status: &str) -> Vec<String> {
        self.edit_as(
            username,
            task,
            json!([{ "type": "status", "value": status }]),
        )
    }

    /// The task's tags, by slug, sorted.
    pub fn tags(&self, task: &str) -> Vec<String> {
        let world = self.world();
        let mut tags: Vec<String> = world.tasks[task]
            .projects
            .iter()
            .filter_map(|p| {
                world
                    .projects
                    .iter()
                    .find(|(phid, _)| phid == p)
                    .map(|(_, s)| s.clone())
            })
            .collect();
        tags.sort();
        tags
    }

    pub fn subscribers(&self, task: &str) -> Vec<String> {
        let world = self.world();
        world.tasks[task]
            .subscribers
            .iter()
            .filter_map(|p| {
                world
                    .users
                    .iter()
                    .find(|(phid, _)| phid == p)
                    .map(|(_, n)| n.clone())
            })
            .collect()
    }

    /// The comments on the task as (author user name, text), oldest first.
    pub fn comments(&self, task: &str) -> Vec<(String, String)> {
        let world = self.world();
        world
            .transactions
            .iter()
            .filter(|t| t.task == task)
            .filter_map(|t| {
                let author = world.users.iter().find(|(p, _)| *p == t.author)?.1.clone();
                Some((author, t.comment.clone()?))
            })
            .collect()
    }

    /// Transactions the bot authored on `task`, oldest first.
    pub fn bot_transactions(&self, task: &str) -> Vec<String> {
        let world = self.world();
        world
            .transactions
            .iter()
            .filter(|t| t.task == task && t.author == world.bot)
            .map(|t| t.phid.clone())
            .collect()
    }

    pub fn calls(&self) -> Vec<Call> {
        self.world().calls.clone()
    }

    pub fn calls_of(&self, method: &str) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| c.method == method)
            .collect()
    }

    pub fn forget_calls(&self) {
        self.world().calls.clear();
    }

    /// Makes the call to `method` after `succeed_first` more successful ones fail with an error_code.
    pub fn fail_call(&self, method: &str, succeed_first: usize) {
        self.world()
            .failures
            .push((method.to_owned(), succeed_first));
    }
}

/// A task to create with fixed PHIDs (the demo's world file is a list of these).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct TaskSpec {
    pub phid: String,
    pub author: String,
    pub title: String,
    pub description: String,
    pub tags: Vec<String>,
    pub priority: i64,
    /// PHIDs for the creation's transactions: the creation itself, then the tags.
    pub transactions: Vec<String>,
}

/// The body Phorge sends for a change to `task` made by `transactions`: pretty-printed, newline-ended.
pub fn webhook_body(task: &str, transactions: &[String], epoch: i64) -> Vec<u8> {
    webhook_body_flagged(task, transactions, epoch, false, false)
}

/// [`webhook_body`] for an edit made with Phorge's silent or secure flag.
pub fn webhook_body_flagged(
    task: &str,
    transactions: &[String],
    epoch: i64,
    silent: bool,
    secure: bool,
) -> Vec<u8> {
    let body = json!({
        "object": { "type": "TASK", "phid": task },
        "triggers": [{ "phid": "PHID-HWBH-fakehook000000000001" }],
        "action": { "test": false, "silent": silent, "secure": secure, "epoch": epoch },
        "transactions": transactions.iter().map(|t| json!({ "phid": t })).collect::<Vec<_>>(),
    });
    let mut text = serde_json::to_string_pretty(&body).unwrap_or_default();
    text.push('\n');
    text.into_bytes()
}

async fn answer(
    world: &Mutex<World>,
    request: hyper::Request<Incoming>,
) -> hyper::Response<Full<Bytes>> {
    let method = request.uri().path().trim_start_matches("/api/").to_owned();
    let form_encoded = request
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let body = match request.into_body().collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return reply(json!(null), Some(("ERR-CONDUIT-CORE", "unreadable body"))),
    };
    let params = form_urlencoded::parse(&body)
        .find(|(k, _)| k == "params")
        .and_then(|(_, v)| serde_json::from_str::<Value>(&v).ok());
    let mut world = world.lock().unwrap_or_else(|p| p.into_inner());
    let Some(params) = params.filter(|_| form_encoded) else {
        return reply(
            json!(null),
            Some((
                "ERR-CONDUIT-CORE",
                "Conduit expects form-encoded parameters.",
            )),
        );
    };
    world.calls.push(Call {
        method: method.clone(),
        params: params.clone(),
    });
    if params.pointer("/__conduit__/token").and_then(Value::as_str) != Some(world.token.as_str()) {
        return reply(
            json!(null),
            Some(("ERR-INVALID-AUTH", "API token is not valid.")),
        );
    }
    if let Some(i) = world.failures.iter().position(|(m, _)| *m == method) {
        if world.failures[i].1 == 0 {
            world.failures.remove(i);
            return reply(
                json!(null),
                Some(("ERR-CONDUIT-CORE", "Injected failure for this test.")),
            );
        }
        world.failures[i].1 -= 1;
    }
    let bot = world.bot.clone();
    match method.as_str() {
        "user.whoami" => {
            let name = world
                .users
                .iter()
                .find(|(p, _)| *p == bot)
                .map(|(_, n)| n.clone());
            reply(
                json!({ "phid": bot, "userName": name, "realName": "Clinic bot" }),
                None,
            )
        }
        "user.search" => {
            let (names, phids) = (
                constraint(&params, "usernames"),
                constraint(&params, "phids"),
            );
            let data: Vec<Value> = world
                .users
                .iter()
                .filter(|(p, n)| names.contains(n) || phids.contains(p))
                .map(|(p, n)| json!({ "type": "USER", "phid": p, "fields": { "username": n, "realName": n } }))
                .collect();
            reply(json!({ "data": data, "cursor": { "after": null } }), None)
        }
        "project.search" => {
            let (slugs, ancestors) = (
                constraint(&params, "slugs"),
                constraint(&params, "ancestors"),
            );
            // Phorge matches a slug against every hashtag of a project, ignoring case, and says in
            // `maps.slugMap` which project each asked slug found.
            let mut slug_map = serde_json::Map::new();
            let mut matched: Vec<String> = Vec::new();
            for asked in &slugs {
                let lower = asked.to_lowercase();
                let phid = world
                    .projects
                    .iter()
                    .find(|(_, s)| s.to_lowercase() == lower)
                    .map(|(p, _)| p.clone())
                    .or_else(|| {
                        world
                            .hashtags
                            .iter()
                            .find(|(h, _)| h.to_lowercase() == lower)
                            .map(|(_, p)| p.clone())
                    });
                if let Some(phid) = phid {
                    let primary = world
                        .projects
                        .iter()
                        .find(|(p, _)| *p == phid)
                        .map(|(_, s)| s.clone())
                        .unwrap_or_default();
                    slug_map.insert(
                        asked.clone(),
                        json!({ "slug": primary, "projectPHID": phid }),
                    );
                    if !matched.contains(&phid) {
                        matched.push(phid);
                    }
                }
            }
            let mut under: Vec<String> = Vec::new();
            let mut frontier = ancestors.clone();
            while let Some(parent) = frontier.pop() {
                for (child, _) in world.parents.iter().filter(|(_, p)| *p == parent) {
                    if !under.contains(child) {
                        under.push(child.clone());
                        frontier.push(child.clone());
                    }
                }
            }
            let wanted = if ancestors.is_empty() { matched } else { under };
            let data: Vec<Value> = world
                .projects
                .iter()
                .filter(|(p, _)| wanted.contains(p))
                .map(|(p, s)| json!({ "type": "PROJ", "phid": p, "fields": { "name": s, "slug": s } }))
                .collect();
            reply(
                json!({ "data": data, "maps": { "slugMap": slug_map }, "cursor": { "after": null } }),
                None,
            )
        }
        "phid.lookup" => {
            let mut found = serde_json::Map::new();
            for name in params["names"].as_array().into_iter().flatten() {
                let name = name.as_str().unwrap_or_default();
                if let Some((_, phid)) = world.spaces.iter().find(|(m, _)| m == name) {
                    found.insert(
                        name.to_owned(),
                        json!({ "phid": phid, "uri": format!("/{name}"), "typeName": "Space",
                                "type": "SPCE", "name": name, "fullName": name, "status": "open" }),
                    );
                }
            }
            // As PHP encodes it: an empty map is `[]`.
            let result = if found.is_empty() {
                json!([])
            } else {
                Value::Object(found)
            };
            reply(result, None)
        }
        "maniphest.search" => {
            let data: Vec<Value> = constraint(&params, "phids")
                .iter()
                .filter_map(|p| world.tasks.get(p))
                .map(|t| {
                    json!({
                        "id": t.id, "type": "TASK", "phid": t.phid,
                        "fields": {
                            "name": t.title, "description": { "raw": t.description },
                            "authorPHID": t.author, "ownerPHID": null,
                            "status": { "value": t.status, "name": t.status, "color": null },
                            "priority": { "value": t.priority, "name": "", "color": "" },
                            "dateCreated": t.created, "dateModified": t.created,
                            "spacePHID": t.space,
                            "policy": { "view": t.view_policy, "interact": "users", "edit": "users" },
                        },
                        "attachments": {
                            "projects": { "projectPHIDs": t.projects },
                            "subscribers": { "subscriberPHIDs": t.subscribers, "subscriberCount": t.subscribers.len() },
                        },
                    })
                })
                .collect();
            reply(json!({ "data": data, "cursor": { "after": null } }), None)
        }
        "transaction.search" => {
            let task = params["objectIdentifier"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let limit = params["limit"].as_u64().unwrap_or(100).clamp(1, 100) as usize;
            let after: Option<u64> = params["after"].as_str().and_then(|a| a.parse().ok());
            let mut mine: Vec<&FakeTransaction> = world
                .transactions
                .iter()
                .filter(|t| t.task == task && after.is_none_or(|a| t.id < a))
                .collect();
            mine.sort_by_key(|t| std::cmp::Reverse(t.id));
            let more = mine.len() > limit;
            mine.truncate(limit);
            let next = if more {
                mine.last().map(|t| t.id.to_string())
            } else {
                None
            };
            let data: Vec<Value> = mine
                .iter()
                .map(|t| {
                    let comments: Vec<Value> = t
                        .comment
                        .iter()
                        .map(|c| json!({ "id": t.id, "phid": format!("PHID-XCMT-fake{:016x}", t.id), "version": 1,
                            "authorPHID": t.author, "removed": false, "content": { "raw": c } }))
                        .collect();
                    let fields = if t.operations.is_empty() {
                        json!({})
                    } else {
                        json!({ "operations": t.operations.iter().map(|(add, p)| json!({
                            "operation": if *add { "add" } else { "remove" }, "phid": p })).collect::<Vec<_>>() })
                    };
                    json!({
                        "id": t.id, "phid": t.phid, "type": t.kind, "authorPHID": t.author,
                        "objectPHID": t.task, "dateCreated": t.created, "dateModified": t.created,
                        "groupID": "fakegroup", "comments": comments, "fields": fields,
                    })
                })
                .collect();
            reply(
                json!({ "data": data, "cursor": { "limit": limit, "after": next, "before": null } }),
                None,
            )
        }
        "maniphest.edit" => {
            let task = params["objectIdentifier"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let list = params["transactions"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            match world.edit(&bot, &task, &list) {
                Ok(created) => {
                    let id = world.tasks.get(&task).map(|t| t.id);
                    reply(
                        json!({
                            "object": { "id": id, "phid": task },
                            "transactions": created.iter().map(|p| json!({ "phid": p })).collect::<Vec<_>>(),
                        }),
                        None,
                    )
                }
                Err(info) => reply(json!(null), Some(("ERR-CONDUIT-CORE", &info))),
            }
        }
        _ => reply(
            json!(null),
            Some(("ERR-CONDUIT-CALL", "Conduit method does not exist.")),
        ),
    }
}

/// The strings of a search's `constraints.<key>` list (none when absent).
fn constraint(params: &Value, key: &str) -> Vec<String> {
    params
        .pointer(&format!("/constraints/{key}"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn reply(result: Value, error: Option<(&str, &str)>) -> hyper::Response<Full<Bytes>> {
    let body = json!({
        "result": if error.is_some() { Value::Null } else { result },
        "error_code": error.map(|e| e.0),
        "error_info": error.map(|e| e.1),
    });
    let mut response = hyper::Response::new(Full::new(Bytes::from(body.to_string())));
    response.headers_mut().insert(
        "content-type",
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}
