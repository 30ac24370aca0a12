//! The notice board plugged into the rotation function's chat step: the standing notice for the
//! topic section's `{notice}`, and the Matrix `!status` commands the minute sweep reads first. Here,
//! in the glue, because `handoff` (whose hooks these are) and `notices` are domain modules of their
//! own and neither names the other.

use std::sync::Arc;

use async_trait::async_trait;

use crate::adapters::dynamo::DynamoStore;
use crate::chat::{ChatNetworks, ChatRoom};
use crate::handoff::ports::{RoomCommands, StandingNotices};
use crate::log_text::escape;
use crate::rotation::roster::Roster;
use crate::store::StoreError;

/// Both hooks, on the table's notice board and the roster's rooms.
pub struct NoticeHooks {
    pub store: DynamoStore,
    pub roster: Arc<Roster>,
}

#[async_trait]
impl StandingNotices for NoticeHooks {
    /// One notice stands for the whole deployment, so every rotation's topic shows the same.
    async fn standing(
        &self,
        _rotation: &str,
        now: jiff::Timestamp,
    ) -> Result<Option<String>, StoreError> {
        Ok(crate::notices::current(&self.store, now)
            .await?
            .map(|notice| notice.topic_text()))
    }
}

#[async_trait]
impl RoomCommands for NoticeHooks {
    /// Audits an expired notice once, then reads each Matrix room of every rotation with chat (a
    /// room two rotations share is read once). A room that fails is reported and the others still
    /// read; the error names the first failure so the sweep answers retryable.
    async fn read_commands(
        &self,
        networks: &ChatNetworks,
        now: jiff::Timestamp,
        cause: &str,
    ) -> Result<serde_json::Value, String> {
        let expired =
            crate::notices::sweep_expired(&self.store, "clinic:rotation-chat", cause, now)
                .await
                .map_err(|e| format!("the notice board: {e}"))?;
        let mut rooms: Vec<ChatRoom> = self
            .roster
            .rotation_names()
            .filter_map(|name| self.roster.rotation(name.as_str())?.chat.clone())
            .flat_map(|chat| chat.matrix_rooms.into_iter().map(ChatRoom::Matrix))
            .collect();
        rooms.sort();
        rooms.dedup();
        let mut read = Vec::new();
        let mut first_failure = None;
        for room in rooms {
            let Some(api) = networks.for_room(&room) else {
                read.push(serde_json::json!({ "room": room.to_string(), "outcome": "no-client" }));
                continue;
            };
            match crate::notices::room_commands(api, &self.store, &self.roster, &room, now).await {
                Ok(outcome) => read.push(serde_json::json!({
                    "room": room.to_string(),
                    "commands": outcome.commands.iter().map(|c| serde_json::json!({
                        "event": c.event, "sender": c.sender, "reply": c.reply, "changed": c.changed,
                    })).collect::<Vec<_>>(),
                })),
                Err(error) => {
                    let text = format!("{room}: {error}");
                    read.push(serde_json::json!({ "room": room.to_string(), "failed": escape(&text) }));
                    first_failure.get_or_insert(text);
                }
            }
        }
        match first_failure {
            Some(failure) => Err(failure),
            None => Ok(serde_json::json!({
                "expired": expired.map(|n| n.topic_text()),
                "rooms": read,
            })),
        }
    }
}
