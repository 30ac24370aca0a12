//! A local HTTP fake of VictorOps' public API (`/api-public/...`), built from
//! `shared/formats/victorops/`: one team whose escalation policies each follow a rotation (users in
//! turn, rolling every so many hours from an anchor), scheduled overrides kept in memory with
//! VictorOps' meaning (an override covers its user's own on-call time, handed over per policy by its
//! assignments), the team schedule computed from both, the `X-VO-Api-Id`/`X-VO-Api-Key` check, and
//! every call recorded. It can be told to answer 429 (with `Retry-After`), to fail, to carry out a
//! creation or a deletion and lose the answer, and to be edited by hand (a rotation reordered, an
//! override removed, a shift taken by a person).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub use crate::call_log::Call;

/// One escalation policy and the rotation it pages.
#[derive(Debug, Clone, Deserialize)]
pub struct FakePolicy {
    pub slug: String,
    pub name: String,
    /// When one of the rolls begins.
    pub anchor: Timestamp,
    /// How long each roll lasts.
    pub hours: i64,
    /// Who is on call, in turn, from the anchor on.
    pub users: Vec<String>,
}

/// What the fake starts with (the bin reads it from a JSON file).
#[derive(Debug, Clone, Deserialize)]
pub struct FakeSetup {
    /// VictorOps' clock: schedules are computed from here.
    pub now: Timestamp,
    pub team_slug: String,
    pub team_name: String,
    pub policies: Vec<FakePolicy>,
    /// Users in no rotation who may still be assigned.
    #[serde(default)]
    pub other_users: Vec<String>,
}

#[derive(Debug, Clone)]
struct FakeOverride {
    public_id: String,
    user: String,
    timezone: String,
    start: Timestamp,
    end: Timestamp,
    /// Policy slug to the user it is handed to (`None`: not assigned yet).
    assignments: BTreeMap<String, Option<String>>,
}

struct State {
    setup: FakeSetup,
    overrides: BTreeMap<String, FakeOverride>,
    calls: Vec<Call>,
    rate_limited: u32,
    retry_after: u64,
    failing: u32,
    lose_next_creation: bool,
    lose_next_deletion: bool,
    next_id: u64,
}

struct Api {
    api_id: String,
    api_key: String,
    started: std::time::Instant,
    state: Arc<Mutex<State>>,
}

pub struct VictorOpsApiFake {
    server: MockServer,
    state: Arc<Mutex<State>>,
}

fn error(status: u16, message: &str) -> (u16, Value) {
    (status, json!({ "message": message }))
}

fn rolls_of(
    policy: &FakePolicy,
    from: Timestamp,
    to: Timestamp,
) -> Vec<(Timestamp, Timestamp, String)> {
    let length = SignedDuration::from_hours(policy.hours.max(1));
    if policy.users.is_empty() || from >= to {
        return Vec::new();
    }
    let index = |t: Timestamp| {
        t.duration_since(policy.anchor)
            .as_secs()
            .div_euclid(length.as_secs())
    };
    let mut out = Vec::new();
    for k in index(from)..=index(to) {
        let start = policy.anchor + length * i32::try_from(k).unwrap_or(0);
        let end = start + length;
        if end <= from || start >= to {
            continue;
        }
        let user = policy.users
            [usize::try_from(k.rem_euclid(policy.users.len() as i64)).unwrap_or(0)]
        .clone();
        out.push((start, end, user));
    }
    out
}

fn at(value: &Value) -> Option<Timestamp> {
    value.as_str()?.parse().ok()
}

impl State {
    fn known_user(&self, user: &str) -> bool {
        self.setup.other_users.iter().any(|u| u == user)
            || self
                .setup
                .policies
                .iter()
                .any(|p| p.users.iter().any(|u| u == user))
    }

    fn override_json(&self, o: &FakeOverride) -> Value {
        let names: BTreeMap<&str, &str> = self
            .setup
            .policies
            .iter()
            .map(|p| (p.slug.as_str(), p.name.as_str()))
            .collect();
        json!({
            "publicId": o.public_id,
            "user": { "username": o.user, "firstName": o.user, "lastName": "" },
            "start": o.start.to_string(),
            "end": o.end.to_string(),
            "timezone": o.timezone,
            "assignments": o.assignments.iter().map(|(slug, user)| json!({
                "policySlug": slug,
                "policyName": names.get(slug.as_str()).copied().unwrap_or_default(),
                "assigned": user.is_some(),
                "user": user,
            })).collect::<Vec<_>>(),
        })
    }

    fn schedule(&self, days_forward: i64, days_skip: i64) -> Value {
        let from = self.setup.now + SignedDuration::from_hours(24 * days_skip);
        let to = from + SignedDuration::from_hours(24 * days_forward);
        let schedules: Vec<Value> = self
            .setup
            .policies
            .iter()
            .map(|policy| {
                let rolls = rolls_of(policy, from, to);
                let mut overlays = Vec::new();
                for o in self.overrides.values() {
                    let Some(Some(replacement)) = o.assignments.get(&policy.slug) else {
                        continue;
                    };
                    for (start, end, user) in &rolls {
                        let (s, e) = ((*start).max(o.start).max(from), (*end).min(o.end).min(to));
                        if *user == o.user && s < e {
                            overlays.push(json!({
                                "origOnCallUser": { "username": user },
                                "overrideOnCallUser": { "username": replacement },
                                "start": s.to_string(),
                                "end": e.to_string(),
                                "policy": { "name": policy.name, "slug": policy.slug },
                            }));
                        }
                    }
                }
                let current = rolls
                    .iter()
                    .find(|(s, e, _)| *s <= self.setup.now && self.setup.now < *e)
                    .map(|(_, _, u)| u.clone());
                json!({
                    "policy": { "name": policy.name, "slug": policy.slug },
                    "schedule": [{
                        "onCallUser": { "username": current },
                        "onCallType": "rotation_group",
                        "rotationName": format!("{} rotation", policy.name),
                        "shiftName": "Weekly handoff",
                        "shiftRoll": policy.anchor.to_string(),
                        "rolls": rolls.iter().map(|(s, e, u)| json!({
                            "start": s.to_string(), "end": e.to_string(),
                            "onCallUser": { "username": u }, "isRoll": true,
                        })).collect::<Vec<_>>(),
                    }],
                    "overrides": overlays,
                })
            })
            .collect();
        json!({
            "team": { "name": self.setup.team_name, "slug": self.setup.team_slug },
            "schedules": schedules,
        })
    }

    fn create(&mut self, body: &Value) -> (u16, Value) {
        let (Some(user), Some(start), Some(end)) = (
            body["username"].as_str(),
            at(&body["start"]),
            at(&body["end"]),
        ) else {
            return error(400, "username, start and end (ISO 8601) are required");
        };
        if !self.known_user(user) {
            return error(400, &format!("unknown user {user}"));
        }
        if start >= end {
            return error(400, "end must be after start");
        }
        let assignments = self
            .setup
            .policies
            .iter()
            .filter(|p| rolls_of(p, start, end).iter().any(|(_, _, u)| u == user))
            .map(|p| (p.slug.clone(), None))
            .collect();
        self.next_id += 1;
        let created = FakeOverride {
            public_id: format!("ovr-fake{:04}", self.next_id),
            user: user.to_owned(),
            timezone: body["timezone"].as_str().unwrap_or("UTC").to_owned(),
            start,
            end,
            assignments,
        };
        let answer = json!({ "override": self.override_json(&created) });
        self.overrides.insert(created.public_id.clone(), created);
        (200, answer)
    }

    fn assign(&mut self, id: &str, policy: &str, body: &Value) -> (u16, Value) {
        let Some(user) = body["username"].as_str().map(str::to_owned) else {
            return error(400, "username is required");
        };
        if body
            .get("policy")
            .is_some_and(|p| p.as_str() != Some(policy))
        {
            return error(400, "policy does not match the path");
        }
        if !self.known_user(&user) {
            return error(400, &format!("unknown user {user}"));
        }
        let Some(o) = self.overrides.get_mut(id) else {
            return error(404, "override not found");
        };
        let Some(slot) = o.assignments.get_mut(policy) else {
            return error(
                400,
                &format!("override {id} has no assignment in policy {policy}"),
            );
        };
        *slot = Some(user.clone());
        (
            200,
            json!({ "policySlug": policy, "assigned": true, "user": user }),
        )
    }
}

impl Api {
    fn route(&self, state: &mut State, request: &Request) -> (u16, Value) {
        let header = |name: &str| request.headers.get(name).and_then(|v| v.to_str().ok());
        match (header("x-vo-api-id"), header("x-vo-api-key")) {
            (Some(id), Some(key)) if id == self.api_id && key == self.api_key => {}
            (Some(_), Some(_)) => return error(403, "Authentication failed"),
            _ => return error(401, "Authentication parameters missing"),
        }
        let Some(path) = request.url.path().strip_prefix("/api-public/") else {
            return error(404, "not found");
        };
        let body: Value = if request.body.is_empty() {
            Value::Null
        } else {
            match serde_json::from_slice(&request.body) {
                Ok(v) => v,
                Err(_) => return error(400, "body is not JSON"),
            }
        };
        let parts: Vec<&str> = path.split('/').collect();
        let query = |name: &str, default: i64| {
            request
                .url
                .query_pairs()
                .find(|(k, _)| k == name)
                .and_then(|(_, v)| v.parse::<i64>().ok())
                .unwrap_or(default)
        };
        match (request.method.as_str(), parts.as_slice()) {
            ("GET", ["v2", "team", team, "oncall", "schedule"]) => {
                if *team != state.setup.team_slug {
                    return error(404, "team not found");
                }
                let (days, skip) = (query("daysForward", 14), query("daysSkip", 0));
                if !(0..=30).contains(&days) || !(0..=90).contains(&skip) {
                    return error(400, "daysForward is at most 30, daysSkip at most 90");
                }
                (200, state.schedule(days, skip))
            }
            ("GET", ["v1", "overrides"]) => (
                200,
                json!({
                    "overrides": state.overrides.values().map(|o| state.override_json(o)).collect::<Vec<_>>(),
                    "_selfUrl": "/api-public/v1/overrides",
                }),
            ),
            ("POST", ["v1", "overrides"]) => state.create(&body),
            ("PUT", ["v1", "overrides", id, "assignments", policy]) => {
                state.assign(id, policy, &body)
            }
            ("DELETE", ["v1", "overrides", id]) => match state.overrides.remove(*id) {
                Some(_) => (200, json!({})),
                None => error(404, "override not found"),
            },
            _ => error(404, "not found"),
        }
    }
}

impl Respond for Api {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match request.url.path() {
            "/_fake/calls" => return ResponseTemplate::new(200).set_body_json(&state.calls),
            "/_fake/overrides" => {
                let all: Vec<Value> = state
                    .overrides
                    .values()
                    .map(|o| state.override_json(o))
                    .collect();
                return ResponseTemplate::new(200).set_body_json(all);
            }
            _ => {}
        }
        let mut retry_after = None;
        let (status, answer) = if state.rate_limited > 0 {
            state.rate_limited -= 1;
            retry_after = Some(state.retry_after);
            error(429, "Rate limit exceeded")
        } else if state.failing > 0 {
            state.failing -= 1;
            error(503, "Service temporarily unavailable")
        } else if state.lose_next_creation && request.method.as_str() == "POST" {
            // Carried out, but the answer never reaches the caller.
            state.lose_next_creation = false;
            let _ = self.route(&mut state, request);
            error(502, "Bad gateway")
        } else if state.lose_next_deletion && request.method.as_str() == "DELETE" {
            state.lose_next_deletion = false;
            let _ = self.route(&mut state, request);
            error(504, "Gateway timeout")
        } else {
            self.route(&mut state, request)
        };
        state.calls.push(Call::of(request, status, self.started));
        let response = ResponseTemplate::new(status).set_body_json(answer);
        match retry_after {
            Some(seconds) => response.insert_header("Retry-After", seconds.to_string().as_str()),
            None => response,
        }
    }
}

impl VictorOpsApiFake {
    /// Starts the fake on a free loopback port, accepting `api_id` with `api_key`.
    pub async fn start(api_id: &str, api_key: &str, setup: FakeSetup) -> Self {
        let server = MockServer::start().await;
        let state = Arc::new(Mutex::new(State {
            setup,
            overrides: BTreeMap::new(),
            calls: Vec::new(),
            rate_limited: 0,
            retry_after: 1,
            failing: 0,
            lose_next_creation: false,
            lose_next_deletion: false,
            next_id: 0,
        }));
        Mock::given(any())
            .respond_with(Api {
                api_id: api_id.to_owned(),
                api_key: api_key.to_owned(),
                started: std::time::Instant::now(),
                state: Arc::clone(&state),
            })
            .mount(&server)
            .await;
        Self { server, state }
    }

    /// What `VICTOROPS_API_URL` is set to.
    pub fn base_url(&self) -> String {
        format!("{}/api-public", self.server.uri())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The next `times` requests are answered 429 with `Retry-After: seconds`.
    pub fn rate_limit_next(&self, times: u32, seconds: u64) {
        let mut state = self.lock();
        state.rate_limited = times;
        state.retry_after = seconds;
    }

    /// The next `times` requests fail with 503 and change nothing.
    pub fn fail_next(&self, times: u32) {
        self.lock().failing = times;
    }

    /// The next creation is carried out but answered 502, as if the answer were lost.
    pub fn lose_next_creation(&self) {
        self.lock().lose_next_creation = true;
    }

    /// The next deletion is carried out but answered 504, as if the answer were lost.
    pub fn lose_next_deletion(&self) {
        self.lock().lose_next_deletion = true;
    }

    /// A person takes `overridden`'s on-call time from `start` to `end` in `policy` for `taker`,
    /// by hand in VictorOps: a scheduled override Clinic did not create. Returns its id.
    pub fn take_by_hand(
        &self,
        overridden: &str,
        start: Timestamp,
        end: Timestamp,
        policy: &str,
        taker: &str,
    ) -> String {
        let mut state = self.lock();
        state.next_id += 1;
        let public_id = format!("ovr-hand{:04}", state.next_id);
        state.overrides.insert(
            public_id.clone(),
            FakeOverride {
                public_id: public_id.clone(),
                user: overridden.to_owned(),
                timezone: "UTC".into(),
                start,
                end,
                assignments: BTreeMap::from([(policy.to_owned(), Some(taker.to_owned()))]),
            },
        );
        public_id
    }

    pub fn set_now(&self, now: Timestamp) {
        self.lock().setup.now = now;
    }

    /// Someone edits a rotation by hand in VictorOps.
    pub fn set_rotation(&self, policy: &str, users: &[&str]) {
        let mut state = self.lock();
        if let Some(p) = state.setup.policies.iter_mut().find(|p| p.slug == policy) {
            p.users = users.iter().map(|u| (*u).to_owned()).collect();
        }
    }

    /// Someone deletes a scheduled override by hand in VictorOps.
    pub fn delete_by_hand(&self, public_id: &str) -> bool {
        self.lock().overrides.remove(public_id).is_some()
    }

    pub fn calls(&self) -> Vec<Call> {
        self.lock().calls.clone()
    }

    /// Calls with `method` whose path ends with `suffix` (successful or not).
    pub fn count(&self, method: &str, suffix: &str) -> usize {
        self.lock()
            .calls
            .iter()
            .filter(|c| c.method == method && c.path.ends_with(suffix))
            .count()
    }

    /// Ids of the scheduled overrides VictorOps has now.
    pub fn override_ids(&self) -> BTreeSet<String> {
        self.lock().overrides.keys().cloned().collect()
    }

    /// Who VictorOps pages in `policy` at `t`: the rotation's user, or whom an assigned override
    /// hands that user's time to.
    pub fn paged_at(&self, policy: &str, t: Timestamp) -> Option<String> {
        let state = self.lock();
        let p = state.setup.policies.iter().find(|p| p.slug == policy)?;
        let second = SignedDuration::from_secs(1);
        let (_, _, user) = rolls_of(p, t, t + second).into_iter().next()?;
        let covering = state.overrides.values().find(|o| {
            o.user == user
                && o.start <= t
                && t < o.end
                && matches!(o.assignments.get(policy), Some(Some(_)))
        });
        match covering {
            Some(o) => o.assignments.get(policy).cloned().flatten(),
            None => Some(user),
        }
    }
}
