//! A local HTTP fake of Statuspage's v1 API, built from `shared/formats/statuspage/`: it keeps
//! incidents in memory, checks the `OAuth` key and the request shapes, records every call, and can be
//! told to answer 429 a number of times (Statuspage's rate limit).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub use crate::call_log::Call;

#[derive(Default)]
struct State {
    incidents: BTreeMap<String, Value>,
    calls: Vec<Call>,
    rate_limited: u32,
    next_id: u64,
}

struct Api {
    page: String,
    key: String,
    started: std::time::Instant,
    state: Arc<Mutex<State>>,
}

pub struct StatuspageFake {
    server: MockServer,
    state: Arc<Mutex<State>>,
}

const REALTIME: &[&str] = &["investigating", "identified", "monitoring", "resolved"];
const SCHEDULED: &[&str] = &["scheduled", "in_progress", "verifying", "completed"];
/// The switches of a scheduled maintenance (shared/formats/statuspage/create-scheduled-maintenance.request.json).
pub const SCHEDULED_FLAGS: &[&str] = &[
    "scheduled_remind_prior",
    "scheduled_auto_in_progress",
    "scheduled_auto_completed",
    "auto_transition_to_maintenance_state",
    "auto_transition_to_operational_state",
    "auto_transition_deliver_notifications_at_start",
    "auto_transition_deliver_notifications_at_end",
];
const COMPONENT: &[&str] = &[
    "operational",
    "degraded_performance",
    "partial_outage",
    "major_outage",
    "under_maintenance",
];

fn error(status: u16, message: &str) -> (u16, Value) {
    (status, json!({ "error": message }))
}

fn open(incident: &Value) -> bool {
    !matches!(
        incident["status"].as_str(),
        Some("resolved" | "completed" | "postmortem")
    )
}

impl Api {
    fn route(&self, state: &mut State, request: &Request) -> (u16, Value) {
        let expected = format!("OAuth {}", self.key);
        let authorised = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            == Some(expected.as_str());
        if !authorised {
            return error(401, "Could not authenticate");
        }
        let prefix = format!("/v1/pages/{}/incidents", self.page);
        let Some(rest) = request.url.path().strip_prefix(&prefix) else {
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
        match (request.method.as_str(), rest) {
            ("POST", "") => self.create(state, &body),
            ("GET", "/unresolved") => (
                200,
                Value::Array(
                    state
                        .incidents
                        .values()
                        .filter(|i| open(i))
                        .cloned()
                        .collect(),
                ),
            ),
            ("GET", "/scheduled") => (
                200,
                Value::Array(
                    state
                        .incidents
                        .values()
                        .filter(|i| i.get("status").and_then(Value::as_str) == Some("scheduled"))
                        .cloned()
                        .collect(),
                ),
            ),
            ("GET", id) => match state.incidents.get(id.trim_start_matches('/')) {
                Some(incident) => (200, incident.clone()),
                None => error(404, "incident not found"),
            },
            ("PATCH", id) => {
                let id = id.trim_start_matches('/').to_owned();
                Self::update(state, &id, &body)
            }
            _ => error(405, "method not allowed"),
        }
    }

    fn check_components(incident: &Value) -> Result<(), (u16, Value)> {
        if let Some(map) = incident.get("components").and_then(Value::as_object) {
            for status in map.values() {
                if !status.as_str().is_some_and(|s| COMPONENT.contains(&s)) {
                    return Err(error(422, "Component status is not included in the list"));
                }
            }
        }
        Ok(())
    }

    /// Statuspage's scheduled-maintenance switches are booleans; anything else is refused as it is there.
    fn check_scheduled_flags(incident: &Value) -> Result<(), (u16, Value)> {
        for flag in SCHEDULED_FLAGS {
            if incident.get(*flag).is_some_and(|v| !v.is_boolean()) {
                return Err(error(422, &format!("{flag} must be true or false")));
            }
        }
        Ok(())
    }

    fn create(&self, state: &mut State, body: &Value) -> (u16, Value) {
        let Some(incident) = body.get("incident").filter(|i| i.is_object()) else {
            return error(400, "incident is missing");
        };
        let status = incident["status"].as_str().unwrap_or_default();
        let scheduled = incident.get("scheduled_for").is_some();
        let allowed = if scheduled { SCHEDULED } else { REALTIME };
        if !allowed.contains(&status) {
            return error(422, "Incident status is not included in the list");
        }
        if incident["name"].as_str().is_none_or(str::is_empty) {
            return error(422, "Name can't be blank");
        }
        if let Err(e) = Self::check_components(incident) {
            return e;
        }
        if scheduled && let Err(e) = Self::check_scheduled_flags(incident) {
            return e;
        }
        state.next_id += 1;
        let id = format!("fake{:08}", state.next_id);
        let mut stored = incident.clone();
        stored["id"] = json!(id);
        stored["page_id"] = json!(self.page);
        stored["shortlink"] = json!(format!("https://stspg.io/{id}"));
        if stored.get("metadata").is_none() {
            stored["metadata"] = json!({});
        }
        state.incidents.insert(id, stored.clone());
        (201, stored)
    }

    fn update(state: &mut State, id: &str, body: &Value) -> (u16, Value) {
        let Some(change) = body.get("incident").filter(|i| i.is_object()) else {
            return error(400, "incident is missing");
        };
        let Some(stored) = state.incidents.get_mut(id) else {
            return error(404, "incident not found");
        };
        if let Some(status) = change.get("status").and_then(Value::as_str) {
            let allowed = if stored.get("scheduled_for").is_some() {
                SCHEDULED
            } else {
                REALTIME
            };
            if !allowed.contains(&status) {
                return error(422, "Incident status is not included in the list");
            }
            stored["status"] = json!(status);
        }
        if let Err(e) = Self::check_components(change) {
            return e;
        }
        if let Some(components) = change.get("components") {
            stored["components"] = components.clone();
        }
        (200, stored.clone())
    }
}

impl Respond for Api {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if request.url.path() == "/_fake/calls" {
            return ResponseTemplate::new(200).set_body_json(&state.calls);
        }
        let (status, answer) = if state.rate_limited > 0 {
            state.rate_limited -= 1;
            error(429, "Rate limit exceeded")
        } else {
            self.route(&mut state, request)
        };
        state.calls.push(Call::of(request, status, self.started));
        ResponseTemplate::new(status).set_body_json(answer)
    }
}

impl StatuspageFake {
    /// Starts the fake on a free loopback port for page `page`, accepting API key `key`.
    pub async fn start(page: &str, key: &str) -> Self {
        let server = MockServer::start().await;
        let state = Arc::new(Mutex::new(State::default()));
        Mock::given(any())
            .respond_with(Api {
                page: page.to_owned(),
                key: key.to_owned(),
                started: std::time::Instant::now(),
                state: Arc::clone(&state),
            })
            .mount(&server)
            .await;
        Self { server, state }
    }

    /// What `STATUSPAGE_API_URL` is set to.
    pub fn base_url(&self) -> String {
        format!("{}/v1", self.server.uri())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The next `times` requests are answered 429.
    pub fn rate_limit_next(&self, times: u32) {
        self.lock().rate_limited = times;
    }

    pub fn calls(&self) -> Vec<Call> {
        self.lock().calls.clone()
    }

    pub fn incidents(&self) -> Vec<Value> {
        self.lock().incidents.values().cloned().collect()
    }

    /// A person deletes the incident on Statuspage.
    pub fn delete_by_hand(&self, id: &str) {
        self.lock().incidents.remove(id);
    }

    /// A person closes the incident on Statuspage.
    pub fn resolve_by_hand(&self, id: &str) {
        if let Some(incident) = self.lock().incidents.get_mut(id) {
            incident["status"] = json!("resolved");
        }
    }
}
