//! What notices need from the table: the board (the one current notice, versioned so two racing
//! posts cannot both replace the same one), the replies of commands already handled (a Slack
//! retry, a Matrix re-read), and where each room's command read stopped.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::model::Notice;
use crate::audit::AuditEntry;
use crate::chat::ChatRoom;
use crate::store::StoreError;

/// The board as read: the notice on it (possibly past its expiry, until the sweep clears it) and
/// the version every write is conditional on (0: never written).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Board {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<Notice>,
    pub version: u64,
}

/// A command that must be handled once (a Slack delivery by its signature, a Matrix message by its
/// event id), and the reply it got: written in the same transaction as the board.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HandledCommand<'a> {
    pub id: &'a str,
    pub reply: &'a str,
}

/// What a conditional board write found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BoardWrite {
    Written,
    /// The board moved on since it was read (another post won the race): read again and retry.
    Moved,
    /// The command was handled before, with this reply: nothing was written.
    Handled(String),
}

#[async_trait]
pub trait NoticeBoard: Send + Sync {
    async fn board(&self) -> Result<Board, StoreError>;
    /// Writes `next` (its version one past `read`'s) and `audit` in one transaction, conditional on
    /// the board still being at `read` and, with `command`, on that command not being handled yet.
    async fn write_board(
        &self,
        read: u64,
        next: &Board,
        audit: &AuditEntry,
        command: Option<HandledCommand<'_>>,
        now: jiff::Timestamp,
    ) -> Result<BoardWrite, StoreError>;
    /// The reply a command got, if it was handled.
    async fn handled_reply(&self, id: &str) -> Result<Option<String>, StoreError>;
}

/// Where the last read of a room's messages stopped (Matrix's pagination token).
#[async_trait]
pub trait RoomCursors: Send + Sync {
    async fn cursor(&self, room: &ChatRoom) -> Result<Option<String>, StoreError>;
    async fn set_cursor(
        &self,
        room: &ChatRoom,
        next: &str,
        now: jiff::Timestamp,
    ) -> Result<(), StoreError>;
}
