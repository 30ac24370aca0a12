//! A chat network in memory, for domain tests: rooms with their messages and topics, user groups,
//! and the faults a real network shows (a post applied whose answer is lost, a refusal, an outage).

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;

use async_trait::async_trait;

use super::ports::{ChatApi, ChatError, ChatPost, ChatRoom, Network, PostMarker, PostedMessage};
use super::ports::{RoomMessage, RoomMessages};
use crate::rotation::roster::{SlackUserGroupId, SlackUserId};

/// What happens to the next call that changes something (a post, a topic, a user group).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChatFault {
    /// Applied; the answer is lost (the caller sees the network unavailable).
    LoseAnswer,
    /// Not applied: refused.
    Refuse,
    /// Not applied: the network is down.
    Down,
}

#[derive(Default)]
struct Room {
    posts: Vec<(PostMarker, String, String)>,
    topic: String,
    /// People's messages, for `messages_since`.
    messages: Vec<RoomMessage>,
}

pub(crate) struct MemoryChat {
    network: Network,
    rooms: Mutex<BTreeMap<ChatRoom, Room>>,
    groups: Mutex<BTreeMap<SlackUserGroupId, Vec<SlackUserId>>>,
    faults: Mutex<VecDeque<ChatFault>>,
    /// Every changing call made, as `post slack:C…`, `topic slack:C…`, `group S…`.
    pub(crate) calls: Mutex<Vec<String>>,
    /// Whether `find_post` fails (the network cannot be read either).
    pub(crate) reads_fail: Mutex<bool>,
    /// Whether a post gives way to other tasks before it lands, so racing runs interleave.
    pub(crate) slow_posts: Mutex<bool>,
}

impl MemoryChat {
    pub(crate) fn new(network: Network) -> Self {
        Self {
            network,
            rooms: Mutex::default(),
            groups: Mutex::default(),
            faults: Mutex::default(),
            calls: Mutex::default(),
            reads_fail: Mutex::new(false),
            slow_posts: Mutex::new(false),
        }
    }

    /// The faults the next changing calls meet, in order; after them every call is answered.
    pub(crate) fn script(&self, faults: impl IntoIterator<Item = ChatFault>) {
        self.faults.lock().unwrap().extend(faults);
    }

    /// The texts posted in `room`, oldest first.
    pub(crate) fn posts(&self, room: &ChatRoom) -> Vec<String> {
        let rooms = self.rooms.lock().unwrap();
        rooms.get(room).map_or_else(Vec::new, |r| {
            r.posts.iter().map(|(_, _, text)| text.clone()).collect()
        })
    }

    pub(crate) fn topic_of(&self, room: &ChatRoom) -> String {
        let rooms = self.rooms.lock().unwrap();
        rooms.get(room).map(|r| r.topic.clone()).unwrap_or_default()
    }

    /// A person sets the topic.
    pub(crate) fn people_set_topic(&self, room: &ChatRoom, topic: &str) {
        let mut rooms = self.rooms.lock().unwrap();
        rooms.entry(room.clone()).or_default().topic = topic.to_owned();
    }

    pub(crate) fn members(&self, group: &SlackUserGroupId) -> Option<Vec<SlackUserId>> {
        self.groups.lock().unwrap().get(group).cloned()
    }

    pub(crate) fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }

    fn refused(&self, action: &'static str) -> ChatError {
        ChatError::Refused {
            network: self.network,
            action,
            reason: "not_allowed".into(),
        }
    }

    fn down(&self, action: &'static str) -> ChatError {
        ChatError::Unavailable {
            network: self.network,
            action,
            source: "connection reset".into(),
        }
    }

    /// Applies `change` as the next fault says: `Ok(())` answered, or the error the caller sees.
    fn change(
        &self,
        call: String,
        action: &'static str,
        change: impl FnOnce(),
    ) -> Result<(), ChatError> {
        self.calls.lock().unwrap().push(call);
        match self.faults.lock().unwrap().pop_front() {
            None => {
                change();
                Ok(())
            }
            Some(ChatFault::LoseAnswer) => {
                change();
                Err(self.down(action))
            }
            Some(ChatFault::Refuse) => Err(self.refused(action)),
            Some(ChatFault::Down) => Err(self.down(action)),
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
        if *self.reads_fail.lock().unwrap() {
            return Err(self.down("find_post"));
        }
        let rooms = self.rooms.lock().unwrap();
        Ok(rooms.get(room).and_then(|r| {
            r.posts
                .iter()
                .find(|(m, _, _)| m == marker)
                .map(|(_, id, _)| PostedMessage {
                    room: room.clone(),
                    id: id.clone(),
                })
        }))
    }

    async fn post(&self, room: &ChatRoom, post: &ChatPost) -> Result<PostedMessage, ChatError> {
        let slow = *self.slow_posts.lock().unwrap();
        if slow {
            for _ in 0..3 {
                tokio::task::yield_now().await;
            }
        }
        let id = std::cell::Cell::new(String::new());
        self.change(format!("post {room}"), "chat.postMessage", || {
            let mut rooms = self.rooms.lock().unwrap();
            let room = rooms.entry(room.clone()).or_default();
            let ts = format!("1700000000.{:06}", room.posts.len() + 1);
            room.posts
                .push((post.marker.clone(), ts.clone(), post.text.clone()));
            id.set(ts);
        })?;
        Ok(PostedMessage {
            room: room.clone(),
            id: id.take(),
        })
    }

    async fn topic(&self, room: &ChatRoom) -> Result<String, ChatError> {
        if *self.reads_fail.lock().unwrap() {
            return Err(self.down("topic"));
        }
        Ok(self.topic_of(room))
    }

    async fn set_topic(&self, room: &ChatRoom, topic: &str) -> Result<(), ChatError> {
        self.change(format!("topic {room}"), "conversations.setTopic", || {
            self.people_set_topic(room, topic)
        })
    }

    async fn set_user_group(
        &self,
        group: &SlackUserGroupId,
        users: &[SlackUserId],
    ) -> Result<(), ChatError> {
        if self.network == Network::Matrix {
            return Err(ChatError::Unsupported {
                network: self.network,
                action: "user groups",
            });
        }
        self.change(format!("group {group}"), "usergroups.users.update", || {
            self.groups
                .lock()
                .unwrap()
                .insert(group.clone(), users.to_vec());
        })
    }

    async fn messages_since(
        &self,
        room: &ChatRoom,
        since: Option<&str>,
    ) -> Result<RoomMessages, ChatError> {
        let rooms = self.rooms.lock().unwrap();
        let all = rooms
            .get(room)
            .map(|r| r.messages.clone())
            .unwrap_or_default();
        let from = since.and_then(|s| s.parse::<usize>().ok());
        Ok(RoomMessages {
            messages: from.map_or_else(Vec::new, |from| all[from.min(all.len())..].to_vec()),
            next: all.len().to_string(),
        })
    }
}
