//! Event posts: one message per event in each of the duty rotation's rooms (a mapped incident opened
//! or resolved, a maintenance affecting service about to start, a mail put on the review list). Each
//! room's post is its own claim, so a room that failed is tried again on the next run while the
//! rooms that got it are left alone; a lost answer is settled by the post's marker.

use serde::Serialize;
use tracing::{info, warn};

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
    /// `posted`, `already-posted`, or `no-client` (the room's network is not configured).
    pub outcome: &'static str,
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
    /// even when one fails; the first failure is returned after the others were tried.
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
