//! The notice board, room cursors, claims and a chat room in memory, for the unit tests: the
//! board's conditional write behaves as the table's transaction does (version and handled command
//! checked together, nothing written when either fails), and a write can be made to fail.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;

use super::ports::{Board, BoardWrite, HandledCommand, NoticeBoard, RoomCursors};
use crate::audit::AuditEntry;
use crate::chat::{
    ChatApi, ChatError, ChatPost, ChatRoom, Network, PostMarker, PostedMessage, RoomMessage,
    RoomMessages,
};
use crate::claim::{ClaimKey, Claims, Holder, Release, Taken};
use crate::rotation::roster::{MatrixUserId, SlackUserGroupId, SlackUserId};
use crate::store::StoreError;

#[derive(Default)]
pub(super) struct MemoryStore {
    pub board: Mutex<Board>,
    pub handled: Mutex<BTreeMap<String, String>>,
    pub audit: Mutex<Vec<AuditEntry>>,
    pub cursors: Mutex<BTreeMap<String, String>>,
    /// key → (holder, done outcome)
    claims: Mutex<BTreeMap<String, (String, Option<String>)>>,
    /// Writes of the board that fail before being applied.
    pub failing_writes: Mutex<usize>,
}

#[async_trait]
impl NoticeBoard for MemoryStore {
    async fn board(&self) -> Result<Board, StoreError> {
        Ok(self.board.lock().unwrap().clone())
    }

    async fn write_board(
        &self,
        read: u64,
        next: &Board,
        audit: &AuditEntry,
        command: Option<HandledCommand<'_>>,
        _now: jiff::Timestamp,
    ) -> Result<BoardWrite, StoreError> {
        {
            let mut failing = self.failing_writes.lock().unwrap();
            if *failing > 0 {
                *failing -= 1;
                return Err(StoreError::malformed("NOTICE", "the write failed"));
            }
        }
        let mut board = self.board.lock().unwrap();
        let mut handled = self.handled.lock().unwrap();
        if let Some(reply) = command.and_then(|c| handled.get(c.id)) {
            return Ok(BoardWrite::Handled(reply.clone()));
        }
        if board.version != read {
            return Ok(BoardWrite::Moved);
        }
        *board = next.clone();
        if let Some(command) = command {
            handled.insert(command.id.to_owned(), command.reply.to_owned());
        }
        self.audit.lock().unwrap().push(audit.clone());
        Ok(BoardWrite::Written)
    }

    async fn handled_reply(&self, id: &str) -> Result<Option<String>, StoreError> {
        Ok(self.handled.lock().unwrap().get(id).cloned())
    }
}

#[async_trait]
impl RoomCursors for MemoryStore {
    async fn cursor(&self, room: &ChatRoom) -> Result<Option<String>, StoreError> {
        Ok(self.cursors.lock().unwrap().get(&room.to_string()).cloned())
    }

    async fn set_cursor(
        &self,
        room: &ChatRoom,
        next: &str,
        _now: jiff::Timestamp,
    ) -> Result<(), StoreError> {
        self.cursors
            .lock()
            .unwrap()
            .insert(room.to_string(), next.to_owned());
        Ok(())
    }
}

#[async_trait]
impl Claims for MemoryStore {
    async fn take(
        &self,
        key: &ClaimKey,
        holder: &Holder,
        _now: jiff::Timestamp,
        _until: jiff::Timestamp,
    ) -> Result<Taken, StoreError> {
        let mut claims = self.claims.lock().unwrap();
        let entry = claims
            .entry(key.to_string())
            .or_insert_with(|| (holder.as_str().to_owned(), None));
        Ok(match &entry.1 {
            Some(outcome) => Taken::Done(outcome.clone()),
            None => {
                entry.0 = holder.as_str().to_owned();
                Taken::Mine {
                    attempt: 1,
                    unsettled_since: None,
                }
            }
        })
    }

    async fn begin(
        &self,
        _key: &ClaimKey,
        _holder: &Holder,
        _now: jiff::Timestamp,
    ) -> Result<bool, StoreError> {
        Ok(true)
    }

    async fn done(
        &self,
        key: &ClaimKey,
        _holder: &Holder,
        outcome: &str,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        if let Some(entry) = self.claims.lock().unwrap().get_mut(&key.to_string()) {
            entry.1 = Some(outcome.to_owned());
        }
        self.audit.lock().unwrap().push(audit.clone());
        Ok(true)
    }

    async fn release(
        &self,
        key: &ClaimKey,
        _holder: &Holder,
        _how: Release,
        _error: &str,
        _now: jiff::Timestamp,
    ) -> Result<(), StoreError> {
        self.claims.lock().unwrap().remove(&key.to_string());
        Ok(())
    }
}

/// A Matrix room in memory: messages people posted (with a position each), Clinic's posts.
#[derive(Default)]
pub(super) struct MemoryRoom {
    pub messages: Mutex<Vec<RoomMessage>>,
    pub posts: Mutex<Vec<ChatPost>>,
}

impl MemoryRoom {
    pub fn say(&self, sender: &str, body: &str) {
        let mut messages = self.messages.lock().unwrap();
        let id = format!("$event{}", messages.len());
        messages.push(RoomMessage {
            id,
            sender: MatrixUserId::parse(sender).unwrap(),
            body: body.into(),
            sent_at: jiff::Timestamp::UNIX_EPOCH,
        });
    }
}

#[async_trait]
impl ChatApi for MemoryRoom {
    fn network(&self) -> Network {
        Network::Matrix
    }

    async fn find_post(
        &self,
        room: &ChatRoom,
        marker: &PostMarker,
    ) -> Result<Option<PostedMessage>, ChatError> {
        Ok(self
            .posts
            .lock()
            .unwrap()
            .iter()
            .position(|p| &p.marker == marker)
            .map(|i| PostedMessage {
                room: room.clone(),
                id: format!("$post{i}"),
            }))
    }

    async fn post(&self, room: &ChatRoom, post: &ChatPost) -> Result<PostedMessage, ChatError> {
        let mut posts = self.posts.lock().unwrap();
        posts.push(post.clone());
        Ok(PostedMessage {
            room: room.clone(),
            id: format!("$post{}", posts.len() - 1),
        })
    }

    async fn topic(&self, _room: &ChatRoom) -> Result<String, ChatError> {
        Ok(String::new())
    }

    async fn set_topic(&self, _room: &ChatRoom, _topic: &str) -> Result<(), ChatError> {
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

    async fn messages_since(
        &self,
        _room: &ChatRoom,
        since: Option<&str>,
    ) -> Result<RoomMessages, ChatError> {
        let messages = self.messages.lock().unwrap();
        let end = messages.len();
        let Some(since) = since else {
            return Ok(RoomMessages {
                messages: Vec::new(),
                next: format!("t{end}"),
            });
        };
        let start: usize = since
            .strip_prefix('t')
            .and_then(|n| n.parse().ok())
            .unwrap_or(end);
        Ok(RoomMessages {
            messages: messages[start.min(end)..].to_vec(),
            next: format!("t{end}"),
        })
    }
}
