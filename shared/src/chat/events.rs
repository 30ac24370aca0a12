//! Event posts: one message per event in each of the duty rotation's rooms (a mapped incident opened
//! or resolved, a maintenance affecting service about to start, a mail put on the review list). Each
//! room's post is its own claim, so a room that failed is tried again on the next run while the
//! rooms that got it are left alone; a lost answer is settled by the post's marker.

use serde::Serialize;
use tracing::{error, info, warn};

use super::deliver::{Poster, post_once};
use super::ports::{ChatError, ChatNetworks, ChatPost, ChatRoom};
use crate::claim::{ClaimKey, Once, OnceError, Outcome};
use crate::rotation::roster::ChatLink;
use crate::store::StoreError;

/// Where a function posts its events: the rooms of one rotation, and the networks' clients.
#[derive(Clone, Default)]
pub struct EventRooms {
    networks: ChatNetworks,
    rooms: Vec<ChatRoom>,
}

/// Why an event could not be posted everywhere. The rooms that got it keep it; the next run posts to
/// the others.
#[derive(Debug, thiserror::Error)]
pub enum EventPostError {
    #[error("another invocation is posting {claim} until {until}")]
    Busy {
        claim: String,
        until: jiff::Timestamp,
    },
    #[error("the claims table failed")]
    Store(#[from] StoreError),
    #[error("posting to {room} failed")]
    Chat {
        room: String,
        #[source]
        source: ChatError,
    },
}

impl EventPostError {
    /// Whether the next run may post where this one failed (a refused post needs an operator).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Busy { .. } | Self::Store(_) => true,
            Self::Chat { source, .. } => source.is_retryable(),
        }
    }
}

/// What one room's post came to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoomPost {
    /// `slack:C0123ABCDEF`, `matrix:!abc:example.org`.
    pub room: String,
    /// `posted`, `already-posted`, `no-client` (the room's network is not configured), or `refused`
    /// (the network refused the post as made: the bot is not in the room, its grant or token is wrong).
    pub outcome: &'static str,
    /// Why the network refused the post, for the operator who must fix the room or the grant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
}

/// What a run's posts of one event came to, in one word for a sweep's line: `posted` when a room got
/// it now, else `refused` when a room refused it (an operator must look), else `already-posted`, else
/// `no-client`.
pub fn outcome_of(posts: &[RoomPost]) -> &'static str {
    ["posted", "refused", "already-posted"]
        .into_iter()
        .find(|outcome| posts.iter().any(|p| p.outcome == *outcome))
        .unwrap_or("no-client")
}

/// Outside text (an incident's name from VictorOps, a mail's subject) as it goes into a post: one
/// line of at most 80 characters, and unable to mention people — Slack reads `<!channel>` and
/// `<@U…>`, Matrix clients ping the room for `@room` — so a hostile name cannot page the room.
pub fn quoted(text: &str) -> String {
    let mut out = String::new();
    for (at, c) in text.chars().enumerate() {
        if at == 80 {
            out.push('…');
            break;
        }
        match c {
            '<' => out.push('‹'),
            '>' => out.push('›'),
            // A word joiner after '@' breaks `@room` and `@here` for every client, and shows nothing.
            '@' => out.push_str("@\u{2060}"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The rooms a rotation's chat settings name: its Slack channels, then its Matrix rooms.
pub fn rooms_of(link: &ChatLink) -> Vec<ChatRoom> {
    link.slack_channels
        .iter()
        .cloned()
        .map(ChatRoom::Slack)
        .chain(link.matrix_rooms.iter().cloned().map(ChatRoom::Matrix))
        .collect()
}

impl EventRooms {
    pub fn new(networks: ChatNetworks, rooms: Vec<ChatRoom>) -> Self {
        Self { networks, rooms }
    }

    /// Nothing to post to: no room, or no client for any of them.
    pub fn is_empty(&self) -> bool {
        !self
            .rooms
            .iter()
            .any(|room| self.networks.for_room(room).is_some())
    }

    pub fn rooms(&self) -> &[ChatRoom] {
        &self.rooms
    }

    /// Posts `post` once in every room, the room's claim being `claim(room)`. Every room is tried
    /// even when one fails; the first failure that a later run may overcome (a network down, rate
    /// limits, a busy claim) is returned after the others were tried. A refused post is no failure
    /// of the event: it is said in the room's [`RoomPost`].
    pub async fn post(
        &self,
        once: &Once<'_>,
        claim: impl Fn(&ChatRoom) -> ClaimKey,
        post: &ChatPost,
        poster: Poster<'_>,
        now: jiff::Timestamp,
    ) -> Result<Vec<RoomPost>, EventPostError> {
        let mut posts = Vec::new();
        let mut failure = None;
        for room in &self.rooms {
            let Some(api) = self.networks.for_room(room) else {
                warn!(room = %room, marker = %post.marker, "no client for this room's network; not posted");
                posts.push(RoomPost {
                    room: room.to_string(),
                    outcome: "no-client",
                    refused: None,
                });
                continue;
            };
            let key = claim(room);
            match post_once(once, &key, api, room, post, poster, now).await {
                Ok(Outcome::Done { acted, .. }) => {
                    info!(room = %room, marker = %post.marker, acted, "event post done");
                    posts.push(RoomPost {
                        room: room.to_string(),
                        outcome: if acted { "posted" } else { "already-posted" },
                        refused: None,
                    });
                }
                Ok(Outcome::Busy { until }) => {
                    failure.get_or_insert(EventPostError::Busy {
                        claim: key.to_string(),
                        until,
                    });
                }
                Err(OnceError::Store(e)) => {
                    failure.get_or_insert(EventPostError::Store(e));
                }
                // A refusal is the room's or the grant's fault, not the event's: it is reported (the
                // answer, an error line to alarm on) and the event's other effects stand. Nothing
                // was posted and the claim stays open, so the next run posts once it is fixed.
                Err(OnceError::Effect(source)) if !source.is_retryable() => {
                    error!(room = %room, marker = %post.marker, error = %crate::log_text::escape(&source.to_string()), "event post refused; an operator must fix the room or the grant");
                    posts.push(RoomPost {
                        room: room.to_string(),
                        outcome: "refused",
                        refused: Some(source.to_string()),
                    });
                }
                Err(OnceError::Effect(source)) => {
                    warn!(room = %room, marker = %post.marker, error = %source, "event post failed");
                    failure.get_or_insert(EventPostError::Chat {
                        room: room.to_string(),
                        source,
                    });
                }
            }
        }
        match failure {
            Some(e) => Err(e),
            None => Ok(posts),
        }
    }
}

#[cfg(test)]
pub(crate) mod memory;

#[cfg(test)]
mod tests;
