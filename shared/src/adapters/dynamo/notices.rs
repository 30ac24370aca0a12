//! The notice board in the table: one item (`NOTICE`/`CURRENT`) with a version every write is
//! conditional on, written in one transaction with its audit entry and, for a command that must
//! count once, the item saying it was handled (conditional on its absence). Also each chat room's
//! read position for `!status` commands.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};

use super::{DynamoStore, failure, keys, n, s, table};
use crate::audit::AuditEntry;
use crate::chat::ChatRoom;
use crate::idempotency::RETENTION;
use crate::notices::ports::{Board, BoardWrite, HandledCommand, NoticeBoard, RoomCursors};
use crate::store::StoreError;

impl DynamoStore {
    fn board_put(&self, read: u64, next: &Board) -> Result<TransactWriteItem, StoreError> {
        let item = Self::item(next, keys::NOTICE.into(), keys::NOTICE_CURRENT.into(), None)?;
        let put = Put::builder()
            .table_name(self.table.as_str())
            .set_item(Some(item));
        let put = if read == 0 {
            put.condition_expression("attribute_not_exists(#pk)")
                .expression_attribute_names("#pk", table::PK)
        } else {
            put.condition_expression("#version = :read")
                .expression_attribute_names("#version", "version")
                .expression_attribute_values(":read", n(read))
        };
        let put = put.build().map_err(|e| failure("TransactWriteItems", e))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    fn handled_put(
        &self,
        command: &HandledCommand<'_>,
        now: jiff::Timestamp,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut item = Self::key(&keys::notice_command(command.id), keys::HANDLED);
        item.insert("reply".into(), s(command.reply));
        item.insert("handled_at".into(), s(now.to_string()));
        item.insert(
            table::TTL_ATTRIBUTE.into(),
            n((now + RETENTION).as_second()),
        );
        let put = Put::builder()
            .table_name(self.table.as_str())
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", table::PK)
            .build()
            .map_err(|e| failure("TransactWriteItems", e))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }
}

#[async_trait]
impl NoticeBoard for DynamoStore {
    async fn board(&self) -> Result<Board, StoreError> {
        self.get(keys::NOTICE, keys::NOTICE_CURRENT)
            .await?
            .map(Self::record)
            .transpose()
            .map(Option::unwrap_or_default)
    }

    async fn write_board(
        &self,
        read: u64,
        next: &Board,
        audit: &AuditEntry,
        command: Option<HandledCommand<'_>>,
        now: jiff::Timestamp,
    ) -> Result<BoardWrite, StoreError> {
        let mut writes = vec![self.board_put(read, next)?];
        if let Some(command) = &command {
            writes.push(self.handled_put(command, now)?);
        }
        if self
            .transact_with_audit(writes, std::slice::from_ref(audit))
            .await?
        {
            return Ok(BoardWrite::Written);
        }
        // Refused: either the command was handled before, or the board moved on. A read tells.
        if let Some(command) = &command
            && let Some(reply) = self.handled_reply(command.id).await?
        {
            return Ok(BoardWrite::Handled(reply));
        }
        Ok(BoardWrite::Moved)
    }

    async fn handled_reply(&self, id: &str) -> Result<Option<String>, StoreError> {
        let item = self.get(&keys::notice_command(id), keys::HANDLED).await?;
        Ok(item.and_then(|item| item.get("reply").and_then(|v| v.as_s().ok()).cloned()))
    }
}

#[async_trait]
impl RoomCursors for DynamoStore {
    async fn cursor(&self, room: &ChatRoom) -> Result<Option<String>, StoreError> {
        let item = self
            .get(&keys::room(&room.to_string()), keys::CURSOR)
            .await?;
        Ok(item.and_then(|item| item.get("next").and_then(|v| v.as_s().ok()).cloned()))
    }

    async fn set_cursor(
        &self,
        room: &ChatRoom,
        next: &str,
        now: jiff::Timestamp,
    ) -> Result<(), StoreError> {
        let mut item = Self::key(&keys::room(&room.to_string()), keys::CURSOR);
        item.insert("next".into(), s(next));
        item.insert("read_at".into(), s(now.to_string()));
        self.client
            .put_item()
            .table_name(self.table.as_str())
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| failure("PutItem", e))?;
        Ok(())
    }
}
