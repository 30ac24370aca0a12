//! Swap requests on the table: one item per request (`SWAP#<id>` / `REQUEST`), indexed by when its
//! week starts (`SWAPS` / `<week start utc>#<id>`) so the pages and the sweep read the requests of
//! the coming weeks with one Query. Every change replaces the item on a condition on the version
//! and state read, in one transaction with its audit entry: of two racing acceptors one wins.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};

use super::{DynamoStore, failure, keys, n, s, table};
use crate::audit::AuditEntry;
use crate::store::StoreError;
use crate::swaps::model::{SwapId, SwapRequest, SwapState};
use crate::swaps::ports::SwapLedger;

/// Requests stay readable (their page, the audit trail's subject) this long after their week starts.
const KEPT: jiff::SignedDuration = jiff::SignedDuration::from_hours(90 * 24);

fn state_value(state: SwapState) -> AttributeValue {
    s(state.as_str())
}

impl DynamoStore {
    fn swap_item(request: &SwapRequest) -> Result<super::Item, StoreError> {
        let mut item = Self::item_with_keys(
            request,
            keys::swap(request.id.as_str()),
            keys::SWAP_REQUEST.to_owned(),
            Some((
                keys::SWAPS.to_owned(),
                format!("{}#{}", keys::instant(request.week_starts), request.id),
            )),
        )?;
        item.insert(
            "expires_at".into(),
            n((request.week_starts + KEPT).as_second()),
        );
        Ok(item)
    }
}

#[async_trait]
impl SwapLedger for DynamoStore {
    async fn create_swap(
        &self,
        request: &SwapRequest,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        let put = Put::builder()
            .table_name(self.table().as_str())
            .set_item(Some(Self::swap_item(request)?))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", table::PK)
            .build()
            .map_err(|e| failure("TransactWriteItems", e))?;
        self.transact_items(vec![
            TransactWriteItem::builder().put(put).build(),
            self.audit_put(audit)?,
        ])
        .await
    }

    async fn swap(&self, id: &SwapId) -> Result<Option<SwapRequest>, StoreError> {
        self.get(&keys::swap(id.as_str()), keys::SWAP_REQUEST)
            .await?
            .map(Self::from_item)
            .transpose()
    }

    async fn move_swap(
        &self,
        from: SwapState,
        next: &SwapRequest,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        let put = Put::builder()
            .table_name(self.table().as_str())
            .set_item(Some(Self::swap_item(next)?))
            .condition_expression("#state = :from AND #version = :version")
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#version", "version")
            .expression_attribute_values(":from", state_value(from))
            .expression_attribute_values(":version", n(next.version.saturating_sub(1)))
            .build()
            .map_err(|e| failure("TransactWriteItems", e))?;
        self.transact_items(vec![
            TransactWriteItem::builder().put(put).build(),
            self.audit_put(audit)?,
        ])
        .await
    }

    async fn swaps_from(&self, from: jiff::Timestamp) -> Result<Vec<SwapRequest>, StoreError> {
        self.query_index_from(keys::SWAPS, &keys::instant(from))
            .await?
            .into_iter()
            .map(Self::from_item)
            .collect()
    }
}
