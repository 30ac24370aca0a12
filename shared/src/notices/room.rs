//! `!status` commands read from a chat room (Matrix): the sweep calls [`room_commands`] each run. A
//! command takes effect once (handled by its event id in the board's transaction) and gets one
//! reply (through `chat::post_once`, claimed by the event id); the room's read position moves on
//! only after every command read is handled, so a crash re-reads them and changes nothing twice.

use sha2::{Digest, Sha256};
use tracing::{info, warn};

use super::command::Command;
use super::model::Via;
use super::ports::{NoticeBoard, RoomCursors};
use super::service::{self, NoticeError, Poster};
use crate::chat::{ChatApi, ChatError, ChatPost, ChatRoom, PostMarker, RoomMessage, post_once};
use crate::claim::{ClaimKey, Claims, JOB_PATIENCE, Once, OnceError, Outcome};
use crate::rotation::roster::Roster;
use crate::store::StoreError;

/// What a message must start with to be read as a command.
pub const PREFIX: &str = "!status";
/// How long a reply's claim is held while it is posted.
const REPLY_LEASE: jiff::SignedDuration = jiff::SignedDuration::from_secs(60);

/// Everything the room read writes: the board, the read positions, and the replies' claims.
pub trait NoticeStore: NoticeBoard + RoomCursors + Claims {}

impl<T: NoticeBoard + RoomCursors + Claims + ?Sized> NoticeStore for T {}

/// One command read from the room, and the reply it got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomCommand {
    pub event: String,
    pub sender: String,
    pub reply: String,
    /// Whether it changed the board now (not refused, not handled before).
    pub changed: bool,
}

/// What one read of a room did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomRead {
    pub commands: Vec<RoomCommand>,
    /// Where the next read starts (stored).
    pub next: String,
}

#[derive(Debug, thiserror::Error)]
pub enum RoomError {
    #[error("reading {room} failed")]
    Read {
        room: String,
        #[source]
        source: ChatError,
    },
    #[error("the notice board could not be read or written")]
    Store(#[from] StoreError),
    #[error("the reply to {event} could not be posted")]
    Reply {
        event: String,
        #[source]
        source: OnceError<ChatError>,
    },
    /// Another run is posting the reply to this event; this read stops (its position not stored)
    /// and the next one finds the reply made.
    #[error("another run holds the reply to {event}; the next read finishes it")]
    ReplyBusy { event: String },
    #[error("the notice board changed too often while {event} was handled")]
    Contended { event: String },
}

impl RoomError {
    /// Whether the next run may succeed (every failure here is the network's or the table's).
    pub fn is_retryable(&self) -> bool {
        match self {
            RoomError::Read { source, .. } => source.is_retryable(),
            RoomError::Reply {
                source: OnceError::Effect(e),
                ..
            } => e.is_retryable(),
            _ => true,
        }
    }
}

/// Reads the `!status` commands posted in `room` since the last read, runs each once for the
/// roster person its sender is (`matrix_user`), replies once to each, and then stores the read
/// position. The first read of a room only stores where it starts: commands older than Clinic's
/// watch are not replayed.
pub async fn room_commands(
    api: &dyn ChatApi,
    store: &dyn NoticeStore,
    roster: &Roster,
    room: &ChatRoom,
    now: jiff::Timestamp,
) -> Result<RoomRead, RoomError> {
    let since = store.cursor(room).await?;
    let read = api
        .messages_since(room, since.as_deref())
        .await
        .map_err(|source| RoomError::Read {
            room: room.to_string(),
            source,
        })?;
    let mut commands = Vec::new();
    for message in &read.messages {
        let Some(text) = command_text(&message.body) else {
            continue;
        };
        let (reply, changed) = handle(store, roster, message, text, now).await?;
        post_reply(api, store, room, message, &reply, now).await?;
        commands.push(RoomCommand {
            event: message.id.clone(),
            sender: message.sender.to_string(),
            reply,
            changed,
        });
    }
    store.set_cursor(room, &read.next, now).await?;
    Ok(RoomRead {
        commands,
        next: read.next,
    })
}

/// The command after `!status `, when `body` is one.
fn command_text(body: &str) -> Option<&str> {
    let rest = body.strip_prefix(PREFIX)?;
    (rest.is_empty() || rest.starts_with(char::is_whitespace)).then_some(rest)
}

async fn handle(
    store: &dyn NoticeStore,
    roster: &Roster,
    message: &RoomMessage,
    text: &str,
    now: jiff::Timestamp,
) -> Result<(String, bool), RoomError> {
    let Some(person) = service::person_by_matrix(roster, &message.sender) else {
        warn!(sender = %message.sender, "!status from a Matrix user no roster person is");
        return Ok((
            format!(
                "refused: {} is no roster person's matrix_user, so Clinic cannot tell who posts",
                message.sender
            ),
            false,
        ));
    };
    let command = match Command::parse(text) {
        Ok(command) => command,
        Err(e) => return Ok((format!("not posted: {e}"), false)),
    };
    let actor = format!("matrix:{}", message.sender);
    let cause = format!("matrix:{}", message.id);
    let poster = Poster {
        person,
        via: Via::Matrix,
        actor: &actor,
        cause: &cause,
    };
    let handled_as = format!("matrix#{}", message.id);
    match service::run(
        store,
        roster.notices(),
        &poster,
        &command,
        Some(&handled_as),
        now,
    )
    .await
    {
        Ok(posted) => {
            let changed = !matches!(posted, service::Posted::AlreadyHandled(_));
            Ok((posted.reply(now), changed))
        }
        Err(e @ NoticeError::NotAllowed(_)) => Ok((format!("refused: {e}"), false)),
        Err(NoticeError::Store(e)) => Err(RoomError::Store(e)),
        Err(NoticeError::Contended) => Err(RoomError::Contended {
            event: message.id.clone(),
        }),
    }
}

/// The event id as claim and marker text: Matrix ids hold `$` and may be long.
fn event_key(event: &str) -> String {
    hex::encode(Sha256::digest(event.as_bytes()))[..32].to_owned()
}

async fn post_reply(
    api: &dyn ChatApi,
    store: &dyn NoticeStore,
    room: &ChatRoom,
    message: &RoomMessage,
    reply: &str,
    now: jiff::Timestamp,
) -> Result<(), RoomError> {
    let key = event_key(&message.id);
    let claims: &dyn Claims = store;
    let once = Once::new(claims, REPLY_LEASE).patient(JOB_PATIENCE);
    let claim = ClaimKey::room(&room.to_string(), format!("notice-reply#{key}"));
    let post = ChatPost {
        // Only hex and fixed text: always a valid marker.
        marker: PostMarker::new(format!("notice-reply/{key}")).map_err(|e| RoomError::Reply {
            event: message.id.clone(),
            source: OnceError::Effect(ChatError::Refused {
                network: room.network(),
                action: "post",
                reason: e.to_string(),
            }),
        })?,
        text: format!("{}: {reply}", message.sender),
    };
    let poster = crate::chat::Poster {
        actor: "notices",
        cause: &message.id,
    };
    match post_once(&once, &claim, api, room, &post, poster, now).await {
        Ok(Outcome::Done { acted, .. }) => {
            info!(event = %message.id, acted, "!status reply made");
            Ok(())
        }
        Ok(Outcome::Busy { .. }) => Err(RoomError::ReplyBusy {
            event: message.id.clone(),
        }),
        Err(source) => Err(RoomError::Reply {
            event: message.id.clone(),
            source,
        }),
    }
}
