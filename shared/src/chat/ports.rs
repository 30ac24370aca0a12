//! What Clinic needs from a chat network: post a message once (tagged with a marker it can be found
//! again by), read and set a room's topic, set a Slack user group's members, and read what people
//! posted in a room since the last read (Matrix `!status` commands). Adapters:
//! `crate::adapters::slack::SlackClient` and `crate::adapters::matrix::MatrixClient`.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;

use crate::rotation::roster::{
    MatrixRoomId, MatrixUserId, SlackChannelId, SlackUserGroupId, SlackUserId,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Network {
    Slack,
    Matrix,
}

impl fmt::Display for Network {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(match self {
            Network::Slack => "slack",
            Network::Matrix => "matrix",
        })
    }
}

/// A place Clinic posts to: a Slack channel or a Matrix room, as the roster names it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChatRoom {
    Slack(SlackChannelId),
    Matrix(MatrixRoomId),
}

impl ChatRoom {
    pub fn network(&self) -> Network {
        match self {
            ChatRoom::Slack(_) => Network::Slack,
            ChatRoom::Matrix(_) => Network::Matrix,
        }
    }

    pub fn id(&self) -> &str {
        match self {
            ChatRoom::Slack(id) => id.as_str(),
            ChatRoom::Matrix(id) => id.as_str(),
        }
    }
}

impl fmt::Display for ChatRoom {
    /// `slack:C0123ABCDEF`, `matrix:!abc:example.org`: the room in claims and audit subjects.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}:{}", self.network(), self.id())
    }
}

/// What makes a post the same post: `handoff/sre-clinic/2027-W01`, `incident/INC-42/opened`. Letters,
/// digits and `-_./:#` only, at most 120 characters: it goes into a Matrix transaction id (a URL
/// path segment, after hashing) and Slack's message metadata, and is searched for as it is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PostMarker(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("post marker {0:?} is not 1-120 characters of letters, digits and -_./:#")]
pub struct PostMarkerError(String);

impl PostMarker {
    pub fn new(text: impl Into<String>) -> Result<Self, PostMarkerError> {
        let text = text.into();
        let valid = (1..=120).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_./:#".contains(&b));
        if valid {
            Ok(Self(text))
        } else {
            Err(PostMarkerError(text.chars().take(120).collect()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PostMarker {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

/// A message to post: plain text every client shows (Slack `text`, Matrix `body`), with an optional
/// richer form (Slack mrkdwn is not used: the same text goes everywhere, links written out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatPost {
    pub marker: PostMarker,
    pub text: String,
}

/// A message Clinic posted, as the network names it (Slack `ts`, Matrix event id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostedMessage {
    pub room: ChatRoom,
    pub id: String,
}

/// Someone's message in a room, read for commands (`!status alert ...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomMessage {
    /// The network's id of the message (Matrix event id): commands are claimed by it.
    pub id: String,
    pub sender: MatrixUserId,
    pub body: String,
    pub sent_at: jiff::Timestamp,
}

/// What `messages_since` read: the messages, oldest first, and where the next read starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomMessages {
    pub messages: Vec<RoomMessage>,
    /// Passed back as `since` on the next call (Matrix's `end` pagination token).
    pub next: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    /// The network refused the request as made: a bad token, no permission, an unknown room, a
    /// malformed id. Trying again changes nothing; an operator must fix the roster or the grant.
    #[error("{network} refused {action}: {reason}")]
    Refused {
        network: Network,
        action: &'static str,
        reason: String,
    },
    /// Still rate-limited after the adapter's paced retries; try on the next run.
    #[error("{network} is still rate-limiting {action} (asked to wait {retry_after:?})")]
    RateLimited {
        network: Network,
        action: &'static str,
        retry_after: Option<Duration>,
    },
    /// The network could not be reached or answered with an error of its own: retryable, and
    /// whether a post was made is unknown (look for its marker before posting again).
    #[error("{network} failed during {action}")]
    Unavailable {
        network: Network,
        action: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The network has no such operation (a user group on Matrix).
    #[error("{network} has no {action}")]
    Unsupported {
        network: Network,
        action: &'static str,
    },
}

impl ChatError {
    /// Whether the next run may succeed where this one failed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            ChatError::RateLimited { .. } | ChatError::Unavailable { .. }
        )
    }
}

/// One chat network's API, for the rooms of that network only.
#[async_trait]
pub trait ChatApi: Send + Sync {
    fn network(&self) -> Network;

    /// Clinic's own message with `marker` among the room's recent messages, if it is there: how a
    /// post whose answer was lost is found instead of being made again.
    async fn find_post(
        &self,
        room: &ChatRoom,
        marker: &PostMarker,
    ) -> Result<Option<PostedMessage>, ChatError>;

    /// Posts `post` to `room`, tagged with its marker. Where the API is idempotent (a Matrix
    /// transaction id) the adapter derives that key from the marker, so a repeat is not a second post.
    async fn post(&self, room: &ChatRoom, post: &ChatPost) -> Result<PostedMessage, ChatError>;

    /// The room's whole topic as people see it (empty when none is set).
    async fn topic(&self, room: &ChatRoom) -> Result<String, ChatError>;

    async fn set_topic(&self, room: &ChatRoom, topic: &str) -> Result<(), ChatError>;

    /// Slack: makes `users` the user group's members. Matrix answers [`ChatError::Unsupported`].
    async fn set_user_group(
        &self,
        group: &SlackUserGroupId,
        users: &[SlackUserId],
    ) -> Result<(), ChatError>;

    /// Messages people posted in `room` after `since` (the previous call's `next`; `None` starts
    /// from now and returns no messages, only the token). Slack answers
    /// [`ChatError::Unsupported`]: its commands arrive as slash commands.
    async fn messages_since(
        &self,
        room: &ChatRoom,
        since: Option<&str>,
    ) -> Result<RoomMessages, ChatError>;
}

/// The networks a deployment is configured for; a room of a network with no client is skipped (and
/// said so), not an error: a roster may name Matrix rooms before the Matrix credentials exist.
#[derive(Clone, Default)]
pub struct ChatNetworks {
    pub slack: Option<std::sync::Arc<dyn ChatApi>>,
    pub matrix: Option<std::sync::Arc<dyn ChatApi>>,
}

impl ChatNetworks {
    pub fn for_room(&self, room: &ChatRoom) -> Option<&dyn ChatApi> {
        match room.network() {
            Network::Slack => self.slack.as_deref(),
            Network::Matrix => self.matrix.as_deref(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.slack.is_none() && self.matrix.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_post_marker_is_plain_text_of_bounded_length() {
        assert!(PostMarker::new("handoff/sre-clinic/2027-W01").is_ok());
        assert!(PostMarker::new("incident/INC-42/opened").is_ok());
        assert!(PostMarker::new("").is_err());
        assert!(PostMarker::new("a b").is_err());
        assert!(PostMarker::new("x".repeat(121)).is_err());
        assert!(PostMarker::new("é").is_err());
    }

    #[test]
    fn a_room_names_its_network_in_claims() {
        let room = ChatRoom::Slack(SlackChannelId::parse("C0123ABCDEF").unwrap());
        assert_eq!(room.to_string(), "slack:C0123ABCDEF");
        assert_eq!(room.network(), Network::Slack);
    }
}
