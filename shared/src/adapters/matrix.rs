//! Matrix's client-server API (v3) adapter of the chat port, as an ordinary bot account with an
//! access token: `m.room.message` events sent with a transaction id derived from the post's marker
//! (the homeserver answers a repeat with the first event), the marker kept in the content under
//! [`MARKER_KEY`], the topic as the `m.room.topic` state event, and people's messages read with
//! `/messages` from a stored pagination token. `M_LIMIT_EXCEEDED` is waited out (`retry_after_ms`,
//! else `Retry-After`) through the shared pacing.

use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;

use crate::adapters::pacing::{Answer, PacedError, Pacer, Pacing};
use crate::chat::ports::{
    ChatApi, ChatError, ChatPost, ChatRoom, Network, PostMarker, PostedMessage, RoomMessage,
    RoomMessages,
};
use crate::http_url::HttpUrl;
use crate::rotation::roster::{MatrixUserId, SlackUserGroupId, SlackUserId};
use crate::secret::Secret;

/// Where Clinic's marker sits in its messages' content (a namespaced key clients ignore).
pub const MARKER_KEY: &str = "org.clinic.marker";
/// How far back `find_post` looks among Clinic's own messages.
const FIND_WINDOW: u32 = 100;
/// Events per `/messages` page, and pages per `messages_since` call: a minute's sweep reads at most
/// this many; the rest waits for the next sweep (the token it gets continues there).
const PAGE_SIZE: u32 = 100;
const MAX_PAGES: usize = 5;

/// Synapse's default message rate is 0.2 a second with bursts of 10; Clinic's few requests a run fit
/// with a short interval, and a refusal says how long to wait.
pub fn default_pacing() -> Pacing {
    Pacing {
        min_interval: Duration::from_millis(200),
        first_backoff: Duration::from_secs(1),
        max_attempts: 4,
    }
}

/// The Matrix adapter (`CLINIC_MATRIX_HOMESERVER`), with the bot account's access token.
pub struct MatrixClient {
    http: reqwest::Client,
    base: HttpUrl,
    token: Secret,
    pacer: Pacer,
    /// The bot's own user id (`/account/whoami`), read once: its posts are found by it, and its
    /// messages left out of the commands read.
    me: OnceCell<String>,
}

impl MatrixClient {
    pub fn new(homeserver: HttpUrl, token: Secret, pacing: Pacing) -> Self {
        Self::with_timeout(homeserver, token, pacing, Duration::from_secs(10))
    }

    /// With a whole-request timeout of `timeout` (a hung homeserver is `Unavailable` after it).
    pub fn with_timeout(
        homeserver: HttpUrl,
        token: Secret,
        pacing: Pacing,
        timeout: Duration,
    ) -> Self {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(2))
            .build()
            .unwrap_or_default();
        Self {
            http,
            base: homeserver,
            token,
            pacer: Pacer::new(pacing),
            me: OnceCell::new(),
        }
    }

    /// Sends one request to `path` (under `/_matrix/client/v3/`); the answer when it is a success,
    /// `Ok(None)` for 404 `M_NOT_FOUND` when `absent_ok`.
    async fn call(
        &self,
        action: &'static str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Result<Value, Answer>, ChatError> {
        let url = format!("{}/_matrix/client/v3/{path}", self.base.as_str());
        let authorization = format!("Bearer {}", self.token.expose());
        let build = || {
            let request = self
                .http
                .request(method.clone(), &url)
                .header("Authorization", &authorization)
                .header("Accept", "application/json");
            match &body {
                Some(value) => request.json(value),
                None => request,
            }
        };
        let answer = self
            .pacer
            .exchange_judged(action, build, judge)
            .await
            .map_err(|e| paced_error(action, e))?;
        if answer.is_success() {
            return serde_json::from_str(&answer.text)
                .map(Ok)
                .map_err(|_| unavailable(action, "the answer is not JSON".to_owned()));
        }
        if answer.status >= 500 {
            return Err(unavailable(
                action,
                format!("HTTP {}: {}", answer.status, answer.message(&["error"])),
            ));
        }
        Ok(Err(answer))
    }

    /// [`MatrixClient::call`], any refusal an error.
    async fn ask(
        &self,
        action: &'static str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, ChatError> {
        self.call(action, method, path, body)
            .await?
            .map_err(|answer| refused(action, &answer))
    }

    async fn me(&self) -> Result<&str, ChatError> {
        self.me
            .get_or_try_init(|| async {
                const ACTION: &str = "ask who the bot is";
                let answer = self
                    .ask(ACTION, reqwest::Method::GET, "account/whoami", None)
                    .await?;
                answer["user_id"]
                    .as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| unavailable(ACTION, "the answer has no user_id".to_owned()))
            })
            .await
            .map(String::as_str)
    }

    fn room_path(room: &ChatRoom, action: &'static str) -> Result<String, ChatError> {
        match room {
            ChatRoom::Matrix(id) => Ok(format!("rooms/{}", encode(id.as_str()))),
            ChatRoom::Slack(_) => Err(ChatError::Refused {
                network: Network::Matrix,
                action,
                reason: format!("{room} is not a Matrix room"),
            }),
        }
    }
}

/// A path segment or query value percent-encoded (room ids hold `!` and `:`, tokens `~` and `_`).
fn encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The transaction id of `marker`'s post in `room`: the same post gets the same id, so the
/// homeserver answers a repeat (after a lost answer) with the event it already made.
pub fn transaction_id(room: &ChatRoom, marker: &PostMarker) -> String {
    let digest = Sha256::digest(format!("{room}\n{marker}").as_bytes());
    format!("clinic-{}", hex::encode(&digest[..16]))
}

/// `M_LIMIT_EXCEEDED` (HTTP 429): the wait is the body's `retry_after_ms`, else `Retry-After`.
fn judge(answer: &Answer, retry_after: Option<Duration>) -> Option<Option<Duration>> {
    let body = serde_json::from_str::<Value>(&answer.text).ok();
    let errcode = body.as_ref().and_then(|v| v["errcode"].as_str());
    if answer.status != 429 && errcode != Some("M_LIMIT_EXCEEDED") {
        return None;
    }
    let from_body = body
        .as_ref()
        .and_then(|v| v["retry_after_ms"].as_u64())
        .map(Duration::from_millis);
    Some(from_body.or(retry_after))
}

fn paced_error(action: &'static str, error: PacedError) -> ChatError {
    match error {
        PacedError::StillLimited { last_wait, .. } => ChatError::RateLimited {
            network: Network::Matrix,
            action,
            retry_after: last_wait,
        },
        other => ChatError::Unavailable {
            network: Network::Matrix,
            action,
            source: Box::new(other),
        },
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct HomeserverFailed(String);

fn unavailable(action: &'static str, reason: String) -> ChatError {
    ChatError::Unavailable {
        network: Network::Matrix,
        action,
        source: Box::new(HomeserverFailed(reason)),
    }
}

/// A 4xx answer: `M_FORBIDDEN`, `M_UNKNOWN_TOKEN`, `M_NOT_FOUND`, ... The request as made will
/// not succeed; its errcode and message say why.
fn refused(action: &'static str, answer: &Answer) -> ChatError {
    let body = serde_json::from_str::<Value>(&answer.text).unwrap_or(Value::Null);
    let errcode = body["errcode"].as_str().unwrap_or("no errcode");
    let message = answer.message(&["error"]);
    ChatError::Refused {
        network: Network::Matrix,
        action,
        reason: format!("HTTP {} {errcode}: {message}", answer.status),
    }
}

fn is_not_found(answer: &Answer) -> bool {
    answer.status == 404
        && serde_json::from_str::<Value>(&answer.text)
            .is_ok_and(|v| v["errcode"].as_str() == Some("M_NOT_FOUND"))
}

/// A room event as a command may be in it: a message with a text body from someone else.
fn room_message(event: &Value, me: &str) -> Option<RoomMessage> {
    if event["type"].as_str() != Some("m.room.message") {
        return None;
    }
    let sender = event["sender"].as_str()?;
    if sender == me {
        return None;
    }
    let sent_at = jiff::Timestamp::from_millisecond(event["origin_server_ts"].as_i64()?).ok()?;
    Some(RoomMessage {
        id: event["event_id"].as_str()?.to_owned(),
        sender: MatrixUserId::parse(sender).ok()?,
        body: event["content"]["body"].as_str()?.to_owned(),
        sent_at,
    })
}

#[async_trait]
impl ChatApi for MatrixClient {
    fn network(&self) -> Network {
        Network::Matrix
    }

    async fn find_post(
        &self,
        room: &ChatRoom,
        marker: &PostMarker,
    ) -> Result<Option<PostedMessage>, ChatError> {
        const ACTION: &str = "read the room's messages";
        let path = Self::room_path(room, ACTION)?;
        let me = self.me().await?;
        let filter = json!({"senders": [me], "types": ["m.room.message"]}).to_string();
        let answer = self
            .ask(
                ACTION,
                reqwest::Method::GET,
                &format!(
                    "{path}/messages?dir=b&limit={FIND_WINDOW}&filter={}",
                    encode(&filter)
                ),
                None,
            )
            .await?;
        let found = answer["chunk"].as_array().and_then(|events| {
            events.iter().find(|e| {
                e["sender"].as_str() == Some(me)
                    && e["content"][MARKER_KEY].as_str() == Some(marker.as_str())
            })
        });
        Ok(found
            .and_then(|e| e["event_id"].as_str())
            .map(|id| PostedMessage {
                room: room.clone(),
                id: id.to_owned(),
            }))
    }

    async fn post(&self, room: &ChatRoom, post: &ChatPost) -> Result<PostedMessage, ChatError> {
        const ACTION: &str = "post a message";
        let path = Self::room_path(room, ACTION)?;
        let txn = transaction_id(room, &post.marker);
        // m.notice: what bots send, and what other bots do not answer.
        let content = json!({
            "msgtype": "m.notice",
            "body": post.text,
            MARKER_KEY: post.marker.as_str(),
        });
        let answer = self
            .ask(
                ACTION,
                reqwest::Method::PUT,
                &format!("{path}/send/m.room.message/{txn}"),
                Some(content),
            )
            .await?;
        match answer["event_id"].as_str() {
            Some(id) if !id.is_empty() => Ok(PostedMessage {
                room: room.clone(),
                id: id.to_owned(),
            }),
            _ => Err(unavailable(ACTION, "the answer has no event_id".to_owned())),
        }
    }

    async fn topic(&self, room: &ChatRoom) -> Result<String, ChatError> {
        const ACTION: &str = "read the room's topic";
        let path = Self::room_path(room, ACTION)?;
        let answer = self
            .call(
                ACTION,
                reqwest::Method::GET,
                &format!("{path}/state/m.room.topic/"),
                None,
            )
            .await?;
        match answer {
            Ok(content) => Ok(content["topic"].as_str().unwrap_or_default().to_owned()),
            // No topic event: a room whose topic was never set.
            Err(answer) if is_not_found(&answer) => Ok(String::new()),
            Err(answer) => Err(refused(ACTION, &answer)),
        }
    }

    async fn set_topic(&self, room: &ChatRoom, topic: &str) -> Result<(), ChatError> {
        const ACTION: &str = "set the room's topic";
        let path = Self::room_path(room, ACTION)?;
        self.ask(
            ACTION,
            reqwest::Method::PUT,
            &format!("{path}/state/m.room.topic/"),
            Some(json!({"topic": topic})),
        )
        .await?;
        Ok(())
    }

    async fn set_user_group(
        &self,
        _group: &SlackUserGroupId,
        _users: &[SlackUserId],
    ) -> Result<(), ChatError> {
        Err(ChatError::Unsupported {
            network: Network::Matrix,
            action: "user groups",
        })
    }

    /// With `since` `None`, the token is the `start` of a backwards read from the room's newest
    /// event (`/messages?dir=b&limit=1` without `from`): where the timeline stands now.
    async fn messages_since(
        &self,
        room: &ChatRoom,
        since: Option<&str>,
    ) -> Result<RoomMessages, ChatError> {
        const ACTION: &str = "read the room's new messages";
        let path = Self::room_path(room, ACTION)?;
        let Some(since) = since else {
            let answer = self
                .ask(
                    ACTION,
                    reqwest::Method::GET,
                    &format!("{path}/messages?dir=b&limit=1"),
                    None,
                )
                .await?;
            let start = answer["start"]
                .as_str()
                .filter(|s| !s.is_empty())
                .ok_or_else(|| unavailable(ACTION, "the answer has no start token".to_owned()))?;
            return Ok(RoomMessages {
                messages: Vec::new(),
                next: start.to_owned(),
            });
        };
        let me = self.me().await?.to_owned();
        let filter = json!({"types": ["m.room.message"], "not_senders": [me]}).to_string();
        let mut messages = Vec::new();
        let mut next = since.to_owned();
        for _ in 0..MAX_PAGES {
            let answer = self
                .ask(
                    ACTION,
                    reqwest::Method::GET,
                    &format!(
                        "{path}/messages?dir=f&limit={PAGE_SIZE}&from={}&filter={}",
                        encode(&next),
                        encode(&filter)
                    ),
                    None,
                )
                .await?;
            let chunk = answer["chunk"].as_array().cloned().unwrap_or_default();
            messages.extend(chunk.iter().filter_map(|e| room_message(e, &me)));
            // No `end`: nothing further for now, and the same token reads what comes next. An
            // `end` with an empty chunk (every event filtered out) still moves past those events.
            match answer["end"].as_str() {
                Some(end) if !end.is_empty() => next = end.to_owned(),
                _ => break,
            }
        }
        Ok(RoomMessages { messages, next })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rotation::roster::MatrixRoomId;

    fn answer(status: u16, text: &str) -> Answer {
        Answer {
            status,
            text: text.to_owned(),
        }
    }

    #[test]
    fn a_post_keeps_its_transaction_id_and_another_post_gets_another() {
        let room = ChatRoom::Matrix(MatrixRoomId::parse("!abc:example.org").unwrap());
        let other = ChatRoom::Matrix(MatrixRoomId::parse("!def:example.org").unwrap());
        let marker = PostMarker::new("handoff/sre-clinic/2027-W01").unwrap();
        let next = PostMarker::new("handoff/sre-clinic/2027-W02").unwrap();
        let txn = transaction_id(&room, &marker);
        assert_eq!(txn, transaction_id(&room, &marker));
        assert_ne!(txn, transaction_id(&room, &next));
        assert_ne!(txn, transaction_id(&other, &marker));
        assert!(txn.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    }

    #[test]
    fn the_wait_is_read_from_the_body_before_the_header() {
        let limited =
            r#"{"errcode":"M_LIMIT_EXCEEDED","error":"Too many requests","retry_after_ms":1500}"#;
        assert_eq!(
            judge(&answer(429, limited), Some(Duration::from_secs(9))),
            Some(Some(Duration::from_millis(1500)))
        );
        assert_eq!(
            judge(
                &answer(429, r#"{"errcode":"M_LIMIT_EXCEEDED"}"#),
                Some(Duration::from_secs(2))
            ),
            Some(Some(Duration::from_secs(2)))
        );
        assert_eq!(
            judge(&answer(403, r#"{"errcode":"M_FORBIDDEN"}"#), None),
            None
        );
    }

    #[test]
    fn room_ids_are_encoded_as_one_path_segment() {
        assert_eq!(encode("!abc:example.org"), "%21abc%3Aexample.org");
        assert_eq!(encode("a/b"), "a%2Fb");
    }

    #[test]
    fn only_others_text_messages_are_read_as_commands() {
        let event = |sender: &str, kind: &str| {
            json!({"type": kind, "sender": sender, "event_id": "$e", "origin_server_ts": 1_700_000_000_000_i64,
                   "content": {"msgtype": "m.text", "body": "!status ok"}})
        };
        let me = "@clinic:example.org";
        assert!(room_message(&event("@ana:example.org", "m.room.message"), me).is_some());
        assert!(room_message(&event(me, "m.room.message"), me).is_none());
        assert!(room_message(&event("@ana:example.org", "m.reaction"), me).is_none());
    }
}
