//! Slack's Web API adapter of the chat port: `chat.postMessage` with Clinic's marker in the
//! message metadata, `conversations.history` to find it again, `conversations.info` /
//! `conversations.setTopic` for the topic and `usergroups.users.update` for the duty group.
//! Slack answers most failures with HTTP 200 and `{"ok": false, "error": "..."}`; rate limits come
//! as HTTP 429 with `Retry-After` (or an `ok: false` `ratelimited`) and are waited out through the
//! shared pacing before giving up as `RateLimited`.

use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Value, json};

use crate::adapters::pacing::{Answer, PacedError, Pacer, Pacing};
use crate::chat::ports::{
    ChatApi, ChatError, ChatPost, ChatRoom, Network, PostMarker, PostedMessage, RoomMessages,
};
use crate::http_url::HttpUrl;
use crate::rotation::roster::{SlackUserGroupId, SlackUserId};
use crate::secret::Secret;

/// The `event_type` of Clinic's message metadata: what `find_post` looks for.
pub const METADATA_EVENT_TYPE: &str = "clinic_post";
/// How far back `find_post` looks: one page of a channel's history (Slack suggests at most 200).
const HISTORY_WINDOW: u32 = 200;
/// Slack's `error` codes that mean Slack itself failed: the request may be tried again.
const SLACK_FAILED: &[&str] = &[
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
];

/// Slack's Web API allows about one message a second per channel (tier "special") and 20-50 calls a
/// minute for the rest; one second apart keeps Clinic's few calls inside every tier.
pub fn default_pacing() -> Pacing {
    Pacing {
        min_interval: Duration::from_secs(1),
        first_backoff: Duration::from_secs(2),
        max_attempts: 4,
    }
}

/// The Slack adapter (`CLINIC_SLACK_API_URL`, `https://slack.com/api/` by default), with a bot token.
pub struct SlackClient {
    http: reqwest::Client,
    base: HttpUrl,
    token: Secret,
    pacer: Pacer,
}

/// How a request's body is sent: Slack's read methods take form fields only, its write methods JSON.
enum Body {
    Form(Vec<(&'static str, String)>),
    Json(Value),
}

impl SlackClient {
    pub fn new(base: HttpUrl, token: Secret, pacing: Pacing) -> Self {
        Self::with_timeout(base, token, pacing, Duration::from_secs(10))
    }

    /// With a whole-request timeout of `timeout` (a hung Slack is `Unavailable` after it).
    pub fn with_timeout(base: HttpUrl, token: Secret, pacing: Pacing, timeout: Duration) -> Self {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(2))
            .build()
            .unwrap_or_default();
        Self {
            http,
            base,
            token,
            pacer: Pacer::new(pacing),
        }
    }

    /// Calls Web API `method`; the answer's JSON when `ok` is true.
    async fn call(
        &self,
        action: &'static str,
        method: &str,
        body: Body,
    ) -> Result<Value, ChatError> {
        let url = format!("{}/{method}", self.base.as_str());
        let authorization = format!("Bearer {}", self.token.expose());
        let build = || {
            let request = self
                .http
                .post(&url)
                .header("Authorization", &authorization)
                .header("Accept", "application/json");
            match &body {
                Body::Form(fields) => request.form(fields),
                // Slack asks for the charset to be named on JSON bodies.
                Body::Json(value) => request
                    .header("Content-Type", "application/json; charset=utf-8")
                    .body(value.to_string()),
            }
        };
        let answer = self
            .pacer
            .exchange_judged(method, build, judge)
            .await
            .map_err(|e| paced_error(action, e))?;
        read_answer(action, &answer)
    }

    fn channel(room: &ChatRoom, action: &'static str) -> Result<String, ChatError> {
        match room {
            ChatRoom::Slack(channel) => Ok(channel.as_str().to_owned()),
            ChatRoom::Matrix(_) => Err(ChatError::Refused {
                network: Network::Slack,
                action,
                reason: format!("{room} is not a Slack channel"),
            }),
        }
    }
}

/// A rate-limit refusal: HTTP 429, or `ratelimited` in the body; the wait is `Retry-After`'s.
fn judge(answer: &Answer, retry_after: Option<Duration>) -> Option<Option<Duration>> {
    let said_limited = || {
        serde_json::from_str::<Value>(&answer.text)
            .ok()
            .is_some_and(|v| v["ok"] == json!(false) && v["error"] == json!("ratelimited"))
    };
    (answer.status == 429 || said_limited()).then_some(retry_after)
}

fn paced_error(action: &'static str, error: PacedError) -> ChatError {
    match error {
        PacedError::StillLimited { last_wait, .. } => ChatError::RateLimited {
            network: Network::Slack,
            action,
            retry_after: last_wait,
        },
        other => ChatError::Unavailable {
            network: Network::Slack,
            action,
            source: Box::new(other),
        },
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct SlackFailed(String);

fn unavailable(action: &'static str, reason: String) -> ChatError {
    ChatError::Unavailable {
        network: Network::Slack,
        action,
        source: Box::new(SlackFailed(reason)),
    }
}

/// Slack's answer read: `ok: true` is the value, a Slack-side failure is `Unavailable`, any other
/// `error` (`invalid_auth`, `channel_not_found`, `not_in_channel`, `missing_scope`, ...) `Refused`.
fn read_answer(action: &'static str, answer: &Answer) -> Result<Value, ChatError> {
    if answer.status >= 500 {
        return Err(unavailable(
            action,
            format!("HTTP {}: {}", answer.status, answer.message(&["error"])),
        ));
    }
    let value: Value = serde_json::from_str(&answer.text).map_err(|_| {
        unavailable(
            action,
            format!("HTTP {}: the answer is not JSON", answer.status),
        )
    })?;
    if value["ok"] == json!(true) && answer.is_success() {
        return Ok(value);
    }
    let error = value["error"].as_str().unwrap_or("no error named");
    if SLACK_FAILED.contains(&error) {
        return Err(unavailable(action, error.to_owned()));
    }
    let reason = match value["needed"].as_str() {
        Some(scope) => format!("{error} (needs scope {scope})"),
        None => error.to_owned(),
    };
    Err(ChatError::Refused {
        network: Network::Slack,
        action,
        reason,
    })
}

fn text_at<'v>(value: &'v Value, pointer: &str) -> Option<&'v str> {
    value.pointer(pointer).and_then(Value::as_str)
}

#[async_trait]
impl ChatApi for SlackClient {
    fn network(&self) -> Network {
        Network::Slack
    }

    async fn find_post(
        &self,
        room: &ChatRoom,
        marker: &PostMarker,
    ) -> Result<Option<PostedMessage>, ChatError> {
        const ACTION: &str = "read the channel's history";
        let channel = Self::channel(room, ACTION)?;
        let answer = self
            .call(
                ACTION,
                "conversations.history",
                Body::Form(vec![
                    ("channel", channel),
                    ("limit", HISTORY_WINDOW.to_string()),
                    ("include_all_metadata", "true".to_owned()),
                ]),
            )
            .await?;
        let found = answer["messages"].as_array().and_then(|messages| {
            messages.iter().find(|m| {
                text_at(m, "/metadata/event_type") == Some(METADATA_EVENT_TYPE)
                    && text_at(m, "/metadata/event_payload/marker") == Some(marker.as_str())
            })
        });
        Ok(found
            .and_then(|m| m["ts"].as_str())
            .map(|ts| PostedMessage {
                room: room.clone(),
                id: ts.to_owned(),
            }))
    }

    async fn post(&self, room: &ChatRoom, post: &ChatPost) -> Result<PostedMessage, ChatError> {
        const ACTION: &str = "post a message";
        let channel = Self::channel(room, ACTION)?;
        let body = json!({
            "channel": channel,
            "text": post.text,
            // Links are written out in the text; previews of them would bury the message.
            "unfurl_links": false,
            "unfurl_media": false,
            "metadata": {
                "event_type": METADATA_EVENT_TYPE,
                "event_payload": {"marker": post.marker.as_str()},
            },
        });
        let answer = self
            .call(ACTION, "chat.postMessage", Body::Json(body))
            .await?;
        match answer["ts"].as_str() {
            Some(ts) if !ts.is_empty() => Ok(PostedMessage {
                room: room.clone(),
                id: ts.to_owned(),
            }),
            _ => Err(unavailable(ACTION, "the answer has no ts".to_owned())),
        }
    }

    async fn topic(&self, room: &ChatRoom) -> Result<String, ChatError> {
        const ACTION: &str = "read the channel's topic";
        let channel = Self::channel(room, ACTION)?;
        let answer = self
            .call(
                ACTION,
                "conversations.info",
                Body::Form(vec![("channel", channel)]),
            )
            .await?;
        if !answer["channel"].is_object() {
            return Err(unavailable(ACTION, "the answer has no channel".to_owned()));
        }
        Ok(text_at(&answer, "/channel/topic/value")
            .unwrap_or_default()
            .to_owned())
    }

    async fn set_topic(&self, room: &ChatRoom, topic: &str) -> Result<(), ChatError> {
        const ACTION: &str = "set the channel's topic";
        let channel = Self::channel(room, ACTION)?;
        self.call(
            ACTION,
            "conversations.setTopic",
            Body::Json(json!({"channel": channel, "topic": topic})),
        )
        .await?;
        Ok(())
    }

    async fn set_user_group(
        &self,
        group: &SlackUserGroupId,
        users: &[SlackUserId],
    ) -> Result<(), ChatError> {
        const ACTION: &str = "set the user group's members";
        let users: Vec<&str> = users.iter().map(SlackUserId::as_str).collect();
        self.call(
            ACTION,
            "usergroups.users.update",
            Body::Json(json!({"usergroup": group.as_str(), "users": users.join(",")})),
        )
        .await?;
        Ok(())
    }

    async fn messages_since(
        &self,
        _room: &ChatRoom,
        _since: Option<&str>,
    ) -> Result<RoomMessages, ChatError> {
        Err(ChatError::Unsupported {
            network: Network::Slack,
            action: "reading commands from a channel (Slack's come as slash commands)",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, text: &str) -> Answer {
        Answer {
            status,
            text: text.to_owned(),
        }
    }

    #[test]
    fn slack_refusals_are_told_from_its_own_failures() {
        let refused = read_answer("x", &answer(200, r#"{"ok":false,"error":"invalid_auth"}"#));
        assert!(
            matches!(refused, Err(ChatError::Refused { ref reason, .. }) if reason == "invalid_auth")
        );
        let scope = read_answer(
            "x",
            &answer(
                200,
                r#"{"ok":false,"error":"missing_scope","needed":"chat:write"}"#,
            ),
        );
        assert!(
            matches!(scope, Err(ChatError::Refused { ref reason, .. }) if reason == "missing_scope (needs scope chat:write)")
        );
        for failed in [
            answer(200, r#"{"ok":false,"error":"internal_error"}"#),
            answer(503, "<html>down</html>"),
            answer(200, "not json"),
        ] {
            let error = read_answer("x", &failed).unwrap_err();
            assert!(error.is_retryable(), "{failed:?}: {error:?}");
        }
        assert!(read_answer("x", &answer(200, r#"{"ok":true}"#)).is_ok());
    }

    #[test]
    fn a_rate_limit_is_read_from_the_status_or_the_body() {
        let wait = Some(Duration::from_secs(3));
        assert_eq!(judge(&answer(429, ""), wait), Some(wait));
        assert_eq!(
            judge(&answer(200, r#"{"ok":false,"error":"ratelimited"}"#), None),
            Some(None)
        );
        assert_eq!(
            judge(&answer(200, r#"{"ok":false,"error":"invalid_auth"}"#), wait),
            None
        );
    }
}
