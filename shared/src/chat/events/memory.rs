//! A chat network in memory for the domain's tests: rooms of messages tagged with their markers, and
//! the faults a real network shows — down (nothing posted), a post applied whose answer is lost, a
//! refusal.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;

use async_trait::async_trait;

use crate::chat::ports::{
    ChatApi, ChatError, ChatPost, ChatRoom, Network, PostMarker, PostedMessage, RoomMessages,
};
use crate::rotation::roster::{SlackUserGroupId, SlackUserId};

/// What happens to one post.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PostFault {
    /// Not posted; the network could not be reached.
    Down,
    /// Posted; the answer never came.
    LoseAnswer,
    /// Not posted; the network refused it (a bad token).
    Refuse,
}

pub(crate) struct MemoryChat {
    network: Network,
    rooms: Mutex<BTreeMap<ChatRoom, Vec<ChatPost>>>,
    faults: Mutex<VecDeque<PostFault>>,
}

impl MemoryChat {
    pub(crate) fn new(network: Network) -> Self {
        Self {
            network,
            rooms: Mutex::default(),
            faults: Mutex::default(),
        }
    }

    /// The faults the next posts meet, in order; after them every post goes through.
    pub(crate) fn script(&self, faults: impl IntoIterator<Item = PostFault>) {
        self.faults.lock().unwrap().extend(faults);
    }

    /// The texts posted in `room`, oldest first.
    pub(crate) fn texts(&self, room: &ChatRoom) -> Vec<String> {
        self.rooms
            .lock()
            .unwrap()
            .get(room)
            .map(|posts| posts.iter().map(|p| p.text.clone()).collect())
            .unwrap_or_default()
    }

    fn unavailable(&self, action: &'static str) -> ChatError {
        ChatError::Unavailable {
            network: self.network,
            action,
            source: "connection reset".into(),
        }
    }
}

#[async_trait]
impl ChatApi for MemoryChat {
    fn network(&self) -> Network {
        self.network
    }

    async fn find_post(
        &self,
        room: &ChatRoom,
        marker: &PostMarker,
    ) -> Result<Option<PostedMessage>, ChatError> {
        let rooms = self.rooms.lock().unwrap();
        Ok(rooms.get(room).and_then(|posts| {
            posts
                .iter()
                .position(|p| &p.marker == marker)
                .map(|at| PostedMessage {
                    room: room.clone(),
                    id: format!("m{at}"),
                })
        }))
    }

    async fn post(&self, room: &ChatRoom, post: &ChatPost) -> Result<PostedMessage, ChatError> {
        let fault = self.faults.lock().unwrap().pop_front();
        if fault == Some(PostFault::Down) {
            return Err(self.unavailable("chat.postMessage"));
        }
        if fault == Some(PostFault::Refuse) {
            return Err(ChatError::Refused {
                network: self.network,
                action: "chat.postMessage",
                reason: "invalid_auth".into(),
            });
        }
        let mut rooms = self.rooms.lock().unwrap();
        let posts = rooms.entry(room.clone()).or_default();
        posts.push(post.clone());
        let id = format!("m{}", posts.len() - 1);
        if fault == Some(PostFault::LoseAnswer) {
            return Err(self.unavailable("chat.postMessage"));
        }
        Ok(PostedMessage {
            room: room.clone(),
            id,
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
        Ok(())
    }

    async fn messages_since(
        &self,
        _room: &ChatRoom,
        _since: Option<&str>,
    ) -> Result<RoomMessages, ChatError> {
        Err(ChatError::Unsupported {
            network: self.network,
            action: "reading messages",
        })
    }
}
