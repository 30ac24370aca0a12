//! A local HTTP fake of Slack's Web API (the methods Clinic calls, in `api`), built from Slack's
//! documented request and answer formats: it checks the Bearer token and the body's `Content-Type`
//! (JSON only where Slack accepts it), keeps channels, messages with their metadata, topics and user
//! groups in memory, and can be told to misbehave as Slack and networks do: a 429 with
//! `Retry-After`, an `ok: false` `ratelimited`, a 500, a lost answer (the call applied, the
//! connection closed), or no answer at all.
//!
//! Control endpoints (for the `slack-fake` binary's users; the Rust API does the same):
//! `GET /_fake/state` (channels, messages, topics, user groups, calls), `POST /_fake/channels`
//! `{"id","name","member"}`, `POST /_fake/usergroups` `{"id"}`, `POST /_fake/faults`
//! `{"kind":"rate_limited"|"ratelimited_body"|"server_error"|"lose_answer"|"hang","method":…,
//! "times":n,"retry_after":seconds}`, `POST /_fake/heal`.

pub mod api;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use http_body_util::{BodyExt as _, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::watch;

use api::{Arguments, Workspace, failed};
pub use api::{BOT_ID, BOT_USER_ID};

/// Methods whose arguments Slack reads from a JSON body; the others take form fields only.
const JSON_METHODS: &[&str] = &[
    "auth.test",
    "chat.postMessage",
    "conversations.setTopic",
    "usergroups.users.update",
];

/// What the fake does to a call instead of answering it plainly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SlackFault {
    /// HTTP 429 with `Retry-After: seconds` and `{"ok":false,"error":"ratelimited"}`; not applied.
    RateLimited { retry_after: u64 },
    /// HTTP 200 with `{"ok":false,"error":"ratelimited"}`, no header; not applied.
    RatelimitedBody,
    /// HTTP 500 with an HTML page; not applied.
    ServerError,
    /// Applied, then the connection closed without an answer.
    LoseAnswer,
    /// Neither applied nor answered, until the fake stops.
    Hang,
}

/// A fault for the next `times` calls of `method` (any method when `None`).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct FaultRule {
    #[serde(flatten)]
    fault: SlackFault,
    #[serde(default)]
    method: Option<String>,
    #[serde(default = "one")]
    times: u32,
}

fn one() -> u32 {
    1
}

/// One call the fake received, and how it answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlackCall {
    pub method: String,
    /// `ok`, Slack's `error` code, or the fault applied (`fault:lose_answer`).
    pub outcome: String,
}

#[derive(Default)]
struct State {
    workspace: Workspace,
    faults: Vec<FaultRule>,
    calls: Vec<SlackCall>,
}

struct Shared {
    token: String,
    state: Mutex<State>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub struct SlackFake {
    address: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
}

impl Drop for SlackFake {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

impl SlackFake {
    /// Starts the fake on a free loopback port, accepting bot token `token`.
    pub async fn start(token: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let address = listener.local_addr().expect("the bound address");
        let shared = Arc::new(Shared {
            token: token.to_owned(),
            state: Mutex::new(State::default()),
        });
        let (stop, stopped) = watch::channel(false);
        tokio::spawn(until_stopped(
            stopped.clone(),
            accept(listener, Arc::clone(&shared), stopped),
        ));
        Self {
            address,
            shared,
            stop,
        }
    }

    /// What `CLINIC_SLACK_API_URL` is set to (`http://127.0.0.1:<port>/api`).
    pub fn base_url(&self) -> String {
        format!("http://{}/api", self.address)
    }

    /// The server's root, for the control endpoints and a fault proxy.
    pub fn root_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// A channel, with the bot in it or not.
    pub fn add_channel(&self, id: &str, name: &str, member: bool) {
        self.shared.lock().workspace.add_channel(id, name, member);
    }

    /// A user group, with no members yet.
    pub fn add_usergroup(&self, id: &str) {
        self.shared.lock().workspace.add_usergroup(id);
    }

    /// Does `fault` to the next `times` calls of `method` (every method when `None`).
    pub fn inject(&self, fault: SlackFault, method: Option<&str>, times: u32) {
        self.shared.lock().faults.push(FaultRule {
            fault,
            method: method.map(str::to_owned),
            times,
        });
    }

    pub fn heal(&self) {
        self.shared.lock().faults.clear();
    }

    /// The channel's messages, oldest first, as `conversations.history` shows them with metadata.
    pub fn messages(&self, channel: &str) -> Vec<Value> {
        self.shared
            .lock()
            .workspace
            .channels
            .get(channel)
            .map(|c| c.messages.clone())
            .unwrap_or_default()
    }

    pub fn topic(&self, channel: &str) -> Option<String> {
        let state = self.shared.lock();
        state
            .workspace
            .channels
            .get(channel)
            .map(|c| c.topic.clone())
    }

    /// Sets a channel's topic as a person would in Slack.
    pub fn set_topic(&self, channel: &str, topic: &str) {
        if let Some(c) = self.shared.lock().workspace.channels.get_mut(channel) {
            c.topic = topic.to_owned();
        }
    }

    pub fn usergroup_members(&self, group: &str) -> Option<Vec<String>> {
        self.shared.lock().workspace.usergroups.get(group).cloned()
    }

    /// Every call so far, in order.
    pub fn calls(&self) -> Vec<SlackCall> {
        self.shared.lock().calls.clone()
    }
}

async fn until_stopped(mut stopped: watch::Receiver<bool>, work: impl Future<Output = ()>) {
    tokio::select! {
        _ = stopped.wait_for(|stop| *stop) => {}
        () = work => {}
    }
}

async fn accept(listener: TcpListener, shared: Arc<Shared>, stopped: watch::Receiver<bool>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let shared = Arc::clone(&shared);
        let service =
            hyper::service::service_fn(move |request| handle(Arc::clone(&shared), request));
        let connection = hyper::server::conn::http1::Builder::new()
            .serve_connection(TokioIo::new(stream), service);
        tokio::spawn(until_stopped(stopped.clone(), async move {
            let _ = connection.await;
        }));
    }
}

/// The service's error: hyper closes the connection without answering.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the Slack fake dropped the connection")
    }
}

impl std::error::Error for Dropped {}

fn answer(status: u16, headers: &[(&str, String)], body: Value) -> Response<Full<Bytes>> {
    let mut response = Response::builder()
        .status(status)
        .header("Content-Type", "application/json; charset=utf-8");
    for (name, value) in headers {
        response = response.header(*name, value);
    }
    response
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("a valid response")
}

async fn handle(
    shared: Arc<Shared>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Dropped> {
    let (parts, body) = request.into_parts();
    let body = body.collect().await.map_err(|_| Dropped)?.to_bytes();
    let path = parts.uri.path().to_owned();
    if let Some(control) = path.strip_prefix("/_fake/") {
        return Ok(control_call(&shared, parts.method.as_str(), control, &body));
    }
    let Some(method) = path.strip_prefix("/api/").map(str::to_owned) else {
        return Ok(answer(404, &[], json!({"ok": false, "error": "not_found"})));
    };
    let fault = take_fault(&shared, &method);
    let record = |outcome: String| {
        shared.lock().calls.push(SlackCall {
            method: method.clone(),
            outcome,
        });
    };
    match fault {
        Some(SlackFault::RateLimited { retry_after }) => {
            record("fault:rate_limited".into());
            return Ok(answer(
                429,
                &[("Retry-After", retry_after.to_string())],
                failed("ratelimited"),
            ));
        }
        Some(SlackFault::RatelimitedBody) => {
            record("fault:ratelimited_body".into());
            return Ok(answer(200, &[], failed("ratelimited")));
        }
        Some(SlackFault::ServerError) => {
            record("fault:server_error".into());
            return Ok(Response::builder()
                .status(500)
                .header("Content-Type", "text/html")
                .body(Full::new(Bytes::from_static(
                    b"<html>Internal Server Error</html>",
                )))
                .expect("a valid response"));
        }
        Some(SlackFault::Hang) => {
            record("fault:hang".into());
            std::future::pending::<()>().await;
        }
        Some(SlackFault::LoseAnswer) | None => {}
    }
    let result = call(&shared, &parts, &method, &body);
    let outcome = if result["ok"] == json!(true) {
        "ok".to_owned()
    } else {
        result["error"].as_str().unwrap_or("?").to_owned()
    };
    if fault == Some(SlackFault::LoseAnswer) {
        record(format!("fault:lose_answer ({outcome})"));
        return Err(Dropped);
    }
    record(outcome);
    Ok(answer(200, &[], result))
}

fn take_fault(shared: &Shared, method: &str) -> Option<SlackFault> {
    let mut state = shared.lock();
    let rule = state
        .faults
        .iter_mut()
        .find(|r| r.times > 0 && r.method.as_deref().is_none_or(|m| m == method))?;
    rule.times -= 1;
    let fault = rule.fault;
    state.faults.retain(|r| r.times > 0);
    Some(fault)
}

/// A Web API call: the token checked, the arguments read as Slack reads them, the method applied.
fn call(shared: &Shared, parts: &hyper::http::request::Parts, method: &str, body: &[u8]) -> Value {
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let authorization = header("authorization");
    let Some(token) = authorization.strip_prefix("Bearer ") else {
        return failed("not_authed");
    };
    if token != shared.token {
        return failed("invalid_auth");
    }
    let mut args: BTreeMap<String, Value> = parts
        .uri
        .query()
        .map(|q| {
            form_urlencoded::parse(q.as_bytes())
                .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
                .collect()
        })
        .unwrap_or_default();
    let content_type = header("content-type");
    let media_type = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if !body.is_empty() {
        match media_type.as_str() {
            "application/x-www-form-urlencoded" => args.extend(
                form_urlencoded::parse(body)
                    .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned()))),
            ),
            // Slack reads JSON bodies only for its write methods: for the others the arguments are
            // not seen at all.
            "application/json" if JSON_METHODS.contains(&method) => {
                match serde_json::from_slice::<Value>(body) {
                    Ok(Value::Object(map)) => args.extend(map),
                    _ => return failed("invalid_json"),
                }
            }
            "application/json" => {}
            _ => return failed("invalid_form_data"),
        }
    }
    shared.lock().workspace.call(method, &Arguments(args))
}

#[derive(Deserialize)]
struct NewChannel {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default = "yes")]
    member: bool,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
struct NewGroup {
    id: String,
}

fn control_call(shared: &Shared, method: &str, path: &str, body: &[u8]) -> Response<Full<Bytes>> {
    let bad = |why: String| answer(400, &[], json!({"error": why}));
    match (method, path) {
        ("GET", "state") => {
            let state = shared.lock();
            answer(
                200,
                &[],
                json!({"workspace": state.workspace, "calls": state.calls}),
            )
        }
        ("POST", "channels") => match serde_json::from_slice::<NewChannel>(body) {
            Ok(c) => {
                let name = c.name.unwrap_or_else(|| c.id.to_ascii_lowercase());
                shared.lock().workspace.add_channel(&c.id, &name, c.member);
                answer(200, &[], json!({"ok": true}))
            }
            Err(e) => bad(e.to_string()),
        },
        ("POST", "usergroups") => match serde_json::from_slice::<NewGroup>(body) {
            Ok(g) => {
                shared.lock().workspace.add_usergroup(&g.id);
                answer(200, &[], json!({"ok": true}))
            }
            Err(e) => bad(e.to_string()),
        },
        ("POST", "faults") => match serde_json::from_slice::<FaultRule>(body) {
            Ok(rule) => {
                shared.lock().faults.push(rule);
                answer(200, &[], json!({"ok": true}))
            }
            Err(e) => bad(e.to_string()),
        },
        ("POST", "heal") => {
            shared.lock().faults.clear();
            answer(200, &[], json!({"ok": true}))
        }
        _ => answer(404, &[], json!({"error": "no such control endpoint"})),
    }
}
