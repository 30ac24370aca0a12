//! The reqwest adapter of [`VictorOpsApi`]: `X-VO-Api-Id` / `X-VO-Api-Key` on every call, answers
//! read into the port's types (anything unreadable is an error, never a guess). The public API's
//! limits are low (the official Go client keeps to 2 requests a second), so requests are paced and a
//! 429 is waited out (`Retry-After`) before it is tried again.

use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::json;

use crate::adapters::pacing::{JsonRequest, Pacer, Pacing};
use crate::http_url::HttpUrl;
use crate::oncall::ports::MAX_DAYS_FORWARD;
use crate::oncall::ports::{
    NewOverride, OverrideSpan, PolicySchedule, RollSpan, ScheduledOverride, TeamSchedule,
    VictorOpsApi, VictorOpsError,
};
use crate::secret::Secret;

/// How to reach VictorOps' public API (headers `X-VO-Api-Id` and `X-VO-Api-Key`).
#[derive(Debug, Clone)]
pub struct VictorOpsApiSettings {
    /// The base, e.g. `https://api.victorops.com/api-public`; paths such as `v1/overrides` follow it.
    pub url: HttpUrl,
    pub api_id: String,
    pub api_key: Secret,
}

pub struct VictorOpsClient {
    http: reqwest::Client,
    base: HttpUrl,
    api_id: String,
    api_key: Secret,
    pacer: Pacer,
}

/// Half a second between requests: the Go client's default of 2 a second.
pub fn default_pacing() -> Pacing {
    Pacing {
        min_interval: Duration::from_millis(500),
        first_backoff: Duration::from_secs(2),
        max_attempts: 5,
    }
}

impl VictorOpsClient {
    pub fn new(settings: &VictorOpsApiSettings, pacing: Pacing) -> Self {
        // Called by the weekly rotation and the CLI: well inside a job's call budget; a connection
        // gets room for one lost SYN (resent after 1 s).
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(2))
            .build()
            .unwrap_or_default();
        Self {
            http,
            base: settings.url.clone(),
            api_id: settings.api_id.clone(),
            api_key: settings.api_key.clone(),
            pacer: Pacer::new(pacing),
        }
    }

    /// Sends one request; `Ok(None)` for a 404 (which only deletion treats as an answer).
    async fn call(
        &self,
        what: &'static str,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<Option<serde_json::Value>, VictorOpsError> {
        let unavailable =
            |reason: String, source: Option<reqwest::Error>| VictorOpsError::Unavailable {
                what,
                reason,
                source: source.map(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>),
            };
        let url = format!("{}/{path}", self.base.as_str());
        let request = JsonRequest {
            method,
            url: &url,
            headers: &[
                ("X-VO-Api-Id", &self.api_id),
                ("X-VO-Api-Key", self.api_key.expose()),
            ],
            body: body.as_ref(),
        };
        let answer = self
            .pacer
            .exchange_json(&self.http, what, &[429], request)
            .await
            .map_err(|e| unavailable(e.to_string(), e.into_source()))?;
        if answer.is_success() {
            if answer.text.trim().is_empty() {
                return Ok(Some(serde_json::Value::Null));
            }
            return serde_json::from_str(&answer.text).map(Some).map_err(|e| {
                VictorOpsError::Malformed {
                    what,
                    reason: format!("not JSON: {e}"),
                }
            });
        }
        let (status, message) = (answer.status, answer.message(&["message", "error"]));
        if status == 404 {
            return Ok(None);
        }
        if status >= 500 {
            return Err(unavailable(format!("HTTP {status}: {message}"), None));
        }
        Err(VictorOpsError::Rejected {
            what,
            status,
            message,
        })
    }

    async fn expect(
        &self,
        what: &'static str,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<serde_json::Value, VictorOpsError> {
        self.call(what, method, path, body)
            .await?
            .ok_or(VictorOpsError::Rejected {
                what,
                status: 404,
                message: format!("{path} not found"),
            })
    }
}

/// An id VictorOps gave, before it goes into a URL path.
fn path_segment(what: &'static str, id: &str) -> Result<String, VictorOpsError> {
    let plain = !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if plain {
        Ok(id.to_owned())
    } else {
        Err(VictorOpsError::Malformed {
            what,
            reason: format!("{id:?} is not an id Clinic puts into a URL"),
        })
    }
}

// Wire shapes (`shared/formats/victorops/`): only what Clinic reads; unknown fields are ignored.

#[derive(Deserialize)]
struct WireUser {
    username: Option<String>,
}

#[derive(Deserialize)]
struct WireNamed {
    slug: String,
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireRoll {
    start: jiff::Timestamp,
    end: jiff::Timestamp,
    on_call_user: Option<WireUser>,
}

#[derive(Deserialize)]
struct WireEntry {
    #[serde(default)]
    rolls: Vec<WireRoll>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireOverlay {
    orig_on_call_user: Option<WireUser>,
    override_on_call_user: Option<WireUser>,
    start: jiff::Timestamp,
    end: jiff::Timestamp,
}

#[derive(Deserialize)]
struct WirePolicySchedule {
    policy: WireNamed,
    #[serde(default)]
    schedule: Vec<WireEntry>,
    #[serde(default)]
    overrides: Vec<WireOverlay>,
}

#[derive(Deserialize)]
struct WireTeamSchedule {
    team: WireNamed,
    #[serde(default)]
    schedules: Vec<WirePolicySchedule>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireAssignment {
    policy_slug: Option<String>,
    policy: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireOverride {
    public_id: String,
    user: WireUser,
    start: jiff::Timestamp,
    end: jiff::Timestamp,
    #[serde(default)]
    assignments: Vec<WireAssignment>,
}

#[derive(Deserialize)]
struct WireOverrideList {
    overrides: Vec<WireOverride>,
}

fn user(user: Option<WireUser>) -> Option<String> {
    user.and_then(|u| u.username).filter(|u| !u.is_empty())
}

fn read<T: serde::de::DeserializeOwned>(
    what: &'static str,
    value: serde_json::Value,
) -> Result<T, VictorOpsError> {
    serde_json::from_value(value).map_err(|e| VictorOpsError::Malformed {
        what,
        reason: e.to_string(),
    })
}

fn span_checked(
    what: &'static str,
    start: jiff::Timestamp,
    end: jiff::Timestamp,
) -> Result<(), VictorOpsError> {
    if start < end {
        Ok(())
    } else {
        Err(VictorOpsError::Malformed {
            what,
            reason: format!("a span from {start} to {end} ends before it starts"),
        })
    }
}

/// Reads a team schedule answer (`api-v2-team-oncall-schedule.response.json`).
pub fn team_schedule_from(value: serde_json::Value) -> Result<TeamSchedule, VictorOpsError> {
    const WHAT: &str = "read the team's schedule";
    let wire: WireTeamSchedule = read(WHAT, value)?;
    let mut policies = Vec::new();
    for schedule in wire.schedules {
        let mut rolls = Vec::new();
        for roll in schedule.schedule.into_iter().flat_map(|e| e.rolls) {
            span_checked(WHAT, roll.start, roll.end)?;
            rolls.push(RollSpan {
                user: user(roll.on_call_user),
                start: roll.start,
                end: roll.end,
            });
        }
        let mut overrides = Vec::new();
        for overlay in schedule.overrides {
            span_checked(WHAT, overlay.start, overlay.end)?;
            overrides.push(OverrideSpan {
                original: user(overlay.orig_on_call_user),
                replacement: user(overlay.override_on_call_user),
                start: overlay.start,
                end: overlay.end,
            });
        }
        policies.push(PolicySchedule {
            slug: schedule.policy.slug,
            name: schedule.policy.name,
            rolls,
            overrides,
        });
    }
    Ok(TeamSchedule {
        team: wire.team.slug,
        policies,
    })
}

fn override_from(
    what: &'static str,
    wire: WireOverride,
) -> Result<ScheduledOverride, VictorOpsError> {
    span_checked(what, wire.start, wire.end)?;
    let public_id = path_segment(what, &wire.public_id)?;
    let user = user(Some(wire.user)).ok_or(VictorOpsError::Malformed {
        what,
        reason: format!("override {public_id} names no user"),
    })?;
    Ok(ScheduledOverride {
        public_id,
        user,
        start: wire.start,
        end: wire.end,
        policies: wire
            .assignments
            .into_iter()
            .filter_map(|a| a.policy_slug.or(a.policy))
            .collect(),
    })
}

/// Reads `GET v1/overrides` (`api-v1-overrides.response.json`).
pub fn overrides_from(value: serde_json::Value) -> Result<Vec<ScheduledOverride>, VictorOpsError> {
    const WHAT: &str = "list the scheduled overrides";
    let wire: WireOverrideList = read(WHAT, value)?;
    wire.overrides
        .into_iter()
        .map(|o| override_from(WHAT, o))
        .collect()
}

/// Reads the answer to `POST v1/overrides`: `{"override": {...}}`, or `{"schedule": {...}}` as
/// VictorOps' published spec names it.
pub fn created_override_from(
    value: serde_json::Value,
) -> Result<ScheduledOverride, VictorOpsError> {
    const WHAT: &str = "create a scheduled override";
    let inner = match value {
        serde_json::Value::Object(mut map) => {
            match map.remove("override").or_else(|| map.remove("schedule")) {
                Some(inner) => inner,
                None => serde_json::Value::Object(map),
            }
        }
        other => other,
    };
    override_from(WHAT, read(WHAT, inner)?)
}

#[async_trait]
impl VictorOpsApi for VictorOpsClient {
    async fn team_schedule(
        &self,
        team: &str,
        days_forward: u32,
    ) -> Result<TeamSchedule, VictorOpsError> {
        const WHAT: &str = "read the team's schedule";
        let team = path_segment(WHAT, team)?;
        let days = days_forward.clamp(1, MAX_DAYS_FORWARD);
        let answer = self
            .expect(
                WHAT,
                reqwest::Method::GET,
                &format!("v2/team/{team}/oncall/schedule?daysForward={days}&daysSkip=0&step=0"),
                None,
            )
            .await?;
        team_schedule_from(answer)
    }

    async fn overrides(&self) -> Result<Vec<ScheduledOverride>, VictorOpsError> {
        let answer = self
            .expect(
                "list the scheduled overrides",
                reqwest::Method::GET,
                "v1/overrides",
                None,
            )
            .await?;
        overrides_from(answer)
    }

    async fn create_override(
        &self,
        request: &NewOverride,
    ) -> Result<ScheduledOverride, VictorOpsError> {
        let body = json!({
            "username": request.user,
            "timezone": request.timezone,
            "start": request.start.to_string(),
            "end": request.end.to_string(),
        });
        let answer = self
            .expect(
                "create a scheduled override",
                reqwest::Method::POST,
                "v1/overrides",
                Some(body),
            )
            .await?;
        created_override_from(answer)
    }

    async fn assign(
        &self,
        public_id: &str,
        policy: &str,
        username: &str,
    ) -> Result<(), VictorOpsError> {
        const WHAT: &str = "assign a scheduled override";
        let id = path_segment(WHAT, public_id)?;
        let policy = path_segment(WHAT, policy)?;
        self.expect(
            WHAT,
            reqwest::Method::PUT,
            &format!("v1/overrides/{id}/assignments/{policy}"),
            Some(json!({ "username": username, "policy": policy })),
        )
        .await?;
        Ok(())
    }

    async fn delete_override(&self, public_id: &str) -> Result<bool, VictorOpsError> {
        const WHAT: &str = "delete a scheduled override";
        let id = path_segment(WHAT, public_id)?;
        Ok(self
            .call(
                WHAT,
                reqwest::Method::DELETE,
                &format!("v1/overrides/{id}"),
                None,
            )
            .await?
            .is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> serde_json::Value {
        let text = match name {
            "schedule" => include_str!(
                "../../../tests/fixtures/victorops/api-v2-team-oncall-schedule.response.json"
            ),
            "overrides" => {
                include_str!("../../../tests/fixtures/victorops/api-v1-overrides.response.json")
            }
            _ => unreachable!("no fixture {name}"),
        };
        serde_json::from_str(text).expect("fixture is JSON")
    }

    fn at(text: &str) -> jiff::Timestamp {
        text.parse().expect("timestamp")
    }

    #[test]
    fn the_team_schedule_of_the_published_format_is_read_with_rolls_and_overrides() {
        let schedule = team_schedule_from(fixture("schedule")).unwrap();
        assert_eq!(schedule.team, "team-Rk4TwQ9nPz2LcV7m");
        let policy = schedule.policy("pol-Wm5Xb2Kq8NrT4dYs").unwrap();
        assert_eq!(policy.name, "Clinic duty primary");
        assert_eq!(policy.rolls.len(), 2);
        assert_eq!(policy.rolls[1].user.as_deref(), Some("oadeyemi"));
        assert_eq!(policy.rolls[1].start, at("2027-03-08T08:00:00Z"));
        assert_eq!(
            policy.overrides,
            vec![OverrideSpan {
                original: Some("oadeyemi".into()),
                replacement: Some("lnovak".into()),
                start: at("2027-03-10T08:00:00Z"),
                end: at("2027-03-11T20:00:00Z"),
            }]
        );
    }

    #[test]
    fn the_override_list_and_a_creation_answer_are_read_in_either_wrapping() {
        let list = overrides_from(fixture("overrides")).unwrap();
        assert_eq!(list[0].public_id, "ovr-9zQ3mH6tLw");
        assert_eq!(list[0].user, "oadeyemi");
        assert_eq!(list[0].policies, vec!["pol-Wm5Xb2Kq8NrT4dYs".to_owned()]);
        let one = fixture("overrides")["overrides"][0].clone();
        for wrapped in [
            json!({ "override": one.clone() }),
            json!({ "schedule": one.clone() }),
            one.clone(),
        ] {
            assert_eq!(created_override_from(wrapped).unwrap(), list[0]);
        }
    }

    #[test]
    fn hostile_or_broken_answers_are_errors_not_guesses() {
        let mut bad_id = fixture("overrides");
        bad_id["overrides"][0]["publicId"] = json!("../../v1/team");
        assert!(matches!(
            overrides_from(bad_id),
            Err(VictorOpsError::Malformed { .. })
        ));
        let mut backwards = fixture("schedule");
        backwards["schedules"][0]["schedule"][0]["rolls"][0]["end"] = json!("2027-02-01T00:00:00Z");
        assert!(team_schedule_from(backwards).is_err());
        let mut no_time = fixture("schedule");
        no_time["schedules"][0]["overrides"][0]["start"] = json!("next tuesday");
        assert!(team_schedule_from(no_time).is_err());
        assert!(created_override_from(json!({"override": {"publicId": "x"}})).is_err());
        assert!(team_schedule_from(json!([1, 2])).is_err());
    }
}
