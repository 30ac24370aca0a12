//! The DynamoDB adapter behind every port: items are written with `serde_dynamo`, keyed as
//! [`keys`] documents, and every change that is an action on the world is written in one
//! transaction with its audit entry. One file per port group; this one holds what they share.

use std::collections::HashMap;
use std::fmt;

use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, Put, PutRequest, TransactWriteItem, WriteRequest};
use serde::Serialize;
use serde::de::DeserializeOwned;

use self::pages::{Page, RetryPolicy, collect_pages, write_in_batches};
use crate::audit::AuditEntry;
use crate::store::StoreError;

mod audit;
mod brief;
mod claims;
mod feeds;
mod idempotency;
// The incident desk's ports.
mod incidents;
pub mod keys;
mod maintenance;
// The notice board and the chat rooms' read positions.
mod notices;
// VictorOps kept in step: the weeks' sync records and the drift notices.
mod oncall;
pub mod pages;
mod plans;
mod roster;
mod shifts;
// Sign-in: links, sessions, attempt counters.
mod signin;
mod swaps;
pub mod table;
mod triage;

pub type Item = HashMap<String, AttributeValue>;

/// The table, reached through one SDK client built once per process.
#[derive(Clone)]
pub struct DynamoStore {
    client: aws_sdk_dynamodb::Client,
    table: TableName,
}

/// Query pages followed before giving up; a partition here holds at most a few thousand items.
const MAX_PAGES: usize = 1000;

pub(super) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(super) fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

impl DynamoStore {
    pub fn new(client: aws_sdk_dynamodb::Client, table: TableName) -> Self {
        Self { client, table }
    }

    pub fn table(&self) -> &TableName {
        &self.table
    }

    pub fn client(&self) -> &aws_sdk_dynamodb::Client {
        &self.client
    }

    /// An item from a record plus its keys.
    pub(super) fn item<T: Serialize>(
        record: &T,
        pk: String,
        sk: String,
        gsi1: Option<(String, String)>,
    ) -> Result<Item, StoreError> {
        let mut item: Item =
            serde_dynamo::to_item(record).map_err(|e| StoreError::malformed(&pk, e))?;
        item.insert(table::PK.into(), s(pk));
        item.insert(table::SK.into(), s(sk));
        if let Some((gpk, gsk)) = gsi1 {
            item.insert(table::GSI1_PK.into(), s(gpk));
            item.insert(table::GSI1_SK.into(), s(gsk));
        }
        Ok(item)
    }

    pub(super) fn record<T: DeserializeOwned>(item: Item) -> Result<T, StoreError> {
        let key = format!(
            "{}/{}",
            item.get(table::PK)
                .and_then(|v| v.as_s().ok())
                .map(String::as_str)
                .unwrap_or("?"),
            item.get(table::SK)
                .and_then(|v| v.as_s().ok())
                .map(String::as_str)
                .unwrap_or("?"),
        );
        serde_dynamo::from_item(item).map_err(|e| StoreError::malformed(key, e))
    }

    fn key(pk: &str, sk: &str) -> Item {
        HashMap::from([(table::PK.to_owned(), s(pk)), (table::SK.to_owned(), s(sk))])
    }

    pub async fn get(&self, pk: &str, sk: &str) -> Result<Option<Item>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(self.table.as_str())
            .set_key(Some(Self::key(pk, sk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| failure("GetItem", e))?;
        Ok(output.item)
    }

    /// Every page of `request`'s Query, followed from one to the next.
    async fn pages(&self, request: QueryFluentBuilder) -> Result<Vec<Item>, StoreError> {
        collect_pages(MAX_PAGES, |start| {
            let request = request.clone().set_exclusive_start_key(start);
            async move {
                let output = request.send().await.map_err(|e| failure("Query", e))?;
                Ok(Page {
                    items: output.items.unwrap_or_default(),
                    next: output.last_evaluated_key,
                })
            }
        })
        .await
    }

    /// Every item of partition `pk` whose sort key starts with `prefix` (all of them for an empty
    /// prefix), in sort-key order.
    pub async fn query_prefix(&self, pk: &str, prefix: &str) -> Result<Vec<Item>, StoreError> {
        let mut request = self
            .client
            .query()
            .table_name(self.table.as_str())
            .expression_attribute_names("#pk", table::PK)
            .expression_attribute_values(":pk", s(pk))
            .consistent_read(true);
        request = if prefix.is_empty() {
            request.key_condition_expression("#pk = :pk")
        } else {
            request
                .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
                .expression_attribute_names("#sk", table::SK)
                .expression_attribute_values(":prefix", s(prefix))
        };
        self.pages(request).await
    }

    /// Every item of the GSI1 partition `pk`, in GSI1SK order.
    pub async fn query_index(&self, pk: &str) -> Result<Vec<Item>, StoreError> {
        self.query_index_below(pk, None, &[]).await
    }

    /// Items of the GSI1 partition `pk` in GSI1SK order, only those whose GSI1SK sorts before `below`
    /// when given, and with only the `attributes` named when not empty: the brief's reads, which want
    /// few small rows.
    pub(crate) async fn query_index_below(
        &self,
        pk: &str,
        below: Option<&str>,
        attributes: &[&str],
    ) -> Result<Vec<Item>, StoreError> {
        self.pages(self.index_below(pk, below, attributes)).await
    }

    /// Items of the GSI1 partition `pk` whose GSI1SK sorts at or after `from`, in GSI1SK order.
    pub(crate) async fn query_index_from(
        &self,
        pk: &str,
        from: &str,
    ) -> Result<Vec<Item>, StoreError> {
        let request = self
            .client
            .query()
            .table_name(self.table.as_str())
            .index_name(table::GSI1)
            .key_condition_expression("#pk = :pk AND #sk >= :low")
            .expression_attribute_names("#pk", table::GSI1_PK)
            .expression_attribute_names("#sk", table::GSI1_SK)
            .expression_attribute_values(":pk", s(pk))
            .expression_attribute_values(":low", s(from));
        self.pages(request).await
    }

    /// The first `limit` items of [`Self::query_index_below`] and how many there are in all: one
    /// Query limited to them and one that only counts (Select COUNT), concurrently.
    pub(crate) async fn query_index_first(
        &self,
        pk: &str,
        below: Option<&str>,
        attributes: &[&str],
        limit: usize,
    ) -> Result<(Vec<Item>, usize), StoreError> {
        let request = self.index_below(pk, below, attributes);
        // No projection on the count: DynamoDB refuses attribute names an expression does not use.
        let counting = self
            .index_below(pk, below, &[])
            .select(aws_sdk_dynamodb::types::Select::Count);
        // One page: `limit` rows of a task list's projection are far below the 1 MB a page holds.
        let first = async {
            let output = request
                .limit(i32::try_from(limit).unwrap_or(i32::MAX))
                .send()
                .await
                .map_err(|e| failure("Query", e))?;
            Ok::<_, StoreError>(output.items.unwrap_or_default())
        };
        let count = async {
            let counts = collect_pages(MAX_PAGES, |start| {
                let request = counting.clone().set_exclusive_start_key(start);
                async move {
                    let output = request.send().await.map_err(|e| failure("Query", e))?;
                    Ok(Page {
                        items: vec![usize::try_from(output.count).unwrap_or_default()],
                        next: output.last_evaluated_key,
                    })
                }
            })
            .await?;
            Ok::<_, StoreError>(counts.iter().sum::<usize>())
        };
        if limit == 0 {
            return Ok((Vec::new(), count.await?));
        }
        let (first, count) = tokio::join!(first, count);
        Ok((first?, count?))
    }

    fn index_below(
        &self,
        pk: &str,
        below: Option<&str>,
        attributes: &[&str],
    ) -> QueryFluentBuilder {
        let mut request = self
            .client
            .query()
            .table_name(self.table.as_str())
            .index_name(table::GSI1)
            .expression_attribute_names("#pk", table::GSI1_PK)
            .expression_attribute_values(":pk", s(pk));
        request = match below {
            Some(high) => request
                .key_condition_expression("#pk = :pk AND #sk < :high")
                .expression_attribute_names("#sk", table::GSI1_SK)
                .expression_attribute_values(":high", s(high)),
            None => request.key_condition_expression("#pk = :pk"),
        };
        if !attributes.is_empty() {
            let mut names = Vec::new();
            for (i, attribute) in attributes.iter().enumerate() {
                request = request.expression_attribute_names(format!("#a{i}"), *attribute);
                names.push(format!("#a{i}"));
            }
            request = request.projection_expression(names.join(", "));
        }
        request
    }

    /// Items of partition `pk` whose sort key lies between `low` and `high` (inclusive), in order.
    pub(crate) async fn query_range(
        &self,
        pk: &str,
        low: &str,
        high: &str,
    ) -> Result<Vec<Item>, StoreError> {
        let request = self
            .client
            .query()
            .table_name(self.table.as_str())
            .key_condition_expression("#pk = :pk AND #sk BETWEEN :low AND :high")
            .expression_attribute_names("#pk", table::PK)
            .expression_attribute_names("#sk", table::SK)
            .expression_attribute_values(":pk", s(pk))
            .expression_attribute_values(":low", s(low))
            .expression_attribute_values(":high", s(high));
        self.pages(request).await
    }

    pub(super) fn audit_item(entry: &AuditEntry) -> Result<Item, StoreError> {
        let at = keys::precise_instant(entry.at);
        Self::item(
            entry,
            keys::audit_day(entry.day()),
            format!("{at}#{}", entry.id),
            Some((keys::audit_subject(&entry.subject), at)),
        )
    }

    /// `item` under the visibility sibling adapters need.
    pub(crate) fn item_with_keys<T: Serialize>(
        record: &T,
        pk: String,
        sk: String,
        gsi1: Option<(String, String)>,
    ) -> Result<Item, StoreError> {
        Self::item(record, pk, sk, gsi1)
    }

    pub(crate) fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, StoreError> {
        Self::record(item)
    }

    pub(crate) fn audit_put(&self, entry: &AuditEntry) -> Result<TransactWriteItem, StoreError> {
        self.put(Self::audit_item(entry)?, None)
    }

    pub(crate) fn plain_put(&self, item: Item) -> Result<TransactWriteItem, StoreError> {
        self.put(item, None)
    }

    pub(crate) async fn transact_items(
        &self,
        items: Vec<TransactWriteItem>,
    ) -> Result<bool, StoreError> {
        self.transact(items).await
    }

    pub(super) fn put(
        &self,
        item: Item,
        condition: Option<&str>,
    ) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder()
            .table_name(self.table.as_str())
            .set_item(Some(item))
            .set_condition_expression(condition.map(str::to_owned))
            .build()
            .map_err(|e| failure("TransactWriteItems", e))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// Deletes item `pk`/`sk` within a transaction (nothing to delete is no failure).
    pub(super) fn delete_in_transaction(
        &self,
        pk: &str,
        sk: &str,
    ) -> Result<TransactWriteItem, StoreError> {
        let delete = aws_sdk_dynamodb::types::Delete::builder()
            .table_name(self.table.as_str())
            .set_key(Some(Self::key(pk, sk)))
            .build()
            .map_err(|e| failure("TransactWriteItems", e))?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    /// Puts `item` if `condition` holds (with its attribute `names` and `values`): `Ok(false)` when
    /// it does not, and nothing is written.
    pub(super) async fn put_if(
        &self,
        item: Item,
        condition: &str,
        names: &[(&str, &str)],
        values: &[(&str, AttributeValue)],
    ) -> Result<bool, StoreError> {
        let mut request = self
            .client
            .put_item()
            .table_name(self.table.as_str())
            .set_item(Some(item))
            .condition_expression(condition);
        for (name, attribute) in names {
            request = request.expression_attribute_names(*name, *attribute);
        }
        for (name, value) in values {
            request = request.expression_attribute_values(*name, value.clone());
        }
        match request.send().await {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(failure("PutItem", e)),
        }
    }

    /// Writes `items` atomically; `Ok(false)` when a condition refused the transaction.
    pub(super) async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<bool, StoreError> {
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err) => {
                let refused = err.as_service_error().is_some_and(|e| {
                    e.is_transaction_canceled_exception()
                        && format!("{e:?}").contains("ConditionalCheckFailed")
                });
                if refused {
                    Ok(false)
                } else {
                    Err(failure("TransactWriteItems", err))
                }
            }
        }
    }

    /// Puts many items without conditions, in batches, retrying unprocessed ones.
    pub async fn put_all(&self, items: Vec<Item>) -> Result<(), StoreError> {
        let requests: Vec<WriteRequest> = items
            .into_iter()
            .map(|item| {
                PutRequest::builder()
                    .set_item(Some(item))
                    .build()
                    .map(|put| WriteRequest::builder().put_request(put).build())
                    .map_err(|e| failure("BatchWriteItem", e))
            })
            .collect::<Result<_, _>>()?;
        write_in_batches(requests, RetryPolicy::default(), |chunk| {
            let request = self
                .client
                .batch_write_item()
                .request_items(self.table.as_str(), chunk);
            let table = self.table.as_str().to_owned();
            async move {
                let output = request
                    .send()
                    .await
                    .map_err(|e| failure("BatchWriteItem", e))?;
                Ok(output
                    .unprocessed_items
                    .and_then(|mut m| m.remove(&table))
                    .unwrap_or_default())
            }
        })
        .await
    }
}

/// A conditional UpdateItem's answer: `None` when its condition refused it.
fn unless_refused(
    result: Result<
        aws_sdk_dynamodb::operation::update_item::UpdateItemOutput,
        aws_sdk_dynamodb::error::SdkError<
            aws_sdk_dynamodb::operation::update_item::UpdateItemError,
        >,
    >,
) -> Result<Option<aws_sdk_dynamodb::operation::update_item::UpdateItemOutput>, StoreError> {
    match result {
        Ok(output) => Ok(Some(output)),
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
        {
            Ok(None)
        }
        Err(err) => Err(failure("UpdateItem", err)),
    }
}

/// DynamoDB takes at most 100 items per transaction.
const TRANSACTION_ITEMS: usize = 100;

impl DynamoStore {
    /// Writes `writes` with their audit entries in one transaction (`Ok(false)` when a condition
    /// refused it); audit entries beyond one transaction's room follow in further transactions.
    pub(super) async fn transact_with_audit(
        &self,
        mut writes: Vec<TransactWriteItem>,
        audit: &[AuditEntry],
    ) -> Result<bool, StoreError> {
        let room = TRANSACTION_ITEMS.saturating_sub(writes.len());
        let (first, rest) = audit.split_at(room.min(audit.len()));
        for entry in first {
            writes.push(self.put(Self::audit_item(entry)?, None)?);
        }
        if !self.transact(writes).await? {
            return Ok(false);
        }
        // Only an action recording more than fits one transaction gets here; none is expected.
        for chunk in rest.chunks(TRANSACTION_ITEMS) {
            let writes = chunk
                .iter()
                .map(|entry| self.put(Self::audit_item(entry)?, None))
                .collect::<Result<Vec<_>, _>>()?;
            self.transact(writes).await?;
        }
        Ok(true)
    }
}

/// The attributes of a lease on an item: who holds it, and until when (Unix seconds).
pub(super) const LEASE_HOLDER: &str = "lease_holder";
pub(super) const LEASE_UNTIL: &str = "lease_until";

impl DynamoStore {
    /// Takes the lease on item `pk`/`sk` for `holder` unless another holder's lease runs past
    /// `now`, and returns the item as it is then (only its keys and the lease when it is new);
    /// `None` when it is held elsewhere. One UpdateItem: the lease is taken with the read.
    pub(super) async fn take_lease(
        &self,
        pk: &str,
        sk: &str,
        holder: &str,
        now: jiff::Timestamp,
        until: jiff::Timestamp,
    ) -> Result<Option<Item>, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(self.table.as_str())
            .set_key(Some(Self::key(pk, sk)))
            .update_expression("SET #holder = :holder, #until = :until")
            // Its own holder may take it again: the SDK's retry of a take whose answer was lost.
            .condition_expression(
                "attribute_not_exists(#until) OR #until < :now OR #holder = :holder",
            )
            .expression_attribute_names("#holder", LEASE_HOLDER)
            .expression_attribute_names("#until", LEASE_UNTIL)
            .expression_attribute_values(":holder", s(holder))
            .expression_attribute_values(":until", n(until.as_second()))
            .expression_attribute_values(":now", n(now.as_second()))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
            .send()
            .await;
        Ok(unless_refused(result)?.map(|output| output.attributes.unwrap_or_default()))
    }

    /// A whole-item put, in a transaction, that succeeds only while `holder` holds the item's lease;
    /// `item` keeps the lease if it carries the lease attributes, and gives it back if it does not.
    pub(super) fn put_if_held(
        &self,
        item: Item,
        holder: &str,
    ) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder()
            .table_name(self.table.as_str())
            .set_item(Some(item))
            .condition_expression("#holder = :holder")
            .expression_attribute_names("#holder", LEASE_HOLDER)
            .expression_attribute_values(":holder", s(holder))
            .build()
            .map_err(|e| failure("TransactWriteItems", e))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// Puts `item` in one transaction with a check that the lease on `pk`/`lease_sk` runs past
    /// `now` (by any holder); `false` when it does not, and nothing is written.
    pub(super) async fn put_while_leased(
        &self,
        item: Item,
        pk: &str,
        lease_sk: &str,
        now: jiff::Timestamp,
    ) -> Result<bool, StoreError> {
        let check = aws_sdk_dynamodb::types::ConditionCheck::builder()
            .table_name(self.table.as_str())
            .set_key(Some(Self::key(pk, lease_sk)))
            // The complement of `take_lease`'s condition for another holder: the lease still runs.
            .condition_expression("#until >= :now")
            .expression_attribute_names("#until", LEASE_UNTIL)
            .expression_attribute_values(":now", n(now.as_second()))
            .build()
            .map_err(|e| failure("TransactWriteItems", e))?;
        self.transact(vec![
            TransactWriteItem::builder().condition_check(check).build(),
            self.put(item, None)?,
        ])
        .await
    }

    /// Deletes one item; an item already gone is no error.
    pub(super) async fn delete(&self, pk: &str, sk: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(self.table.as_str())
            .set_key(Some(Self::key(pk, sk)))
            .send()
            .await
            .map_err(|e| failure("DeleteItem", e))?;
        Ok(())
    }

    /// Gives `holder`'s lease on the item back without writing anything else. A lease that ran out
    /// and was taken by another holder is theirs now: nothing of ours to give back, and no error.
    pub(super) async fn give_lease_back(
        &self,
        pk: &str,
        sk: &str,
        holder: &str,
    ) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(self.table.as_str())
            .set_key(Some(Self::key(pk, sk)))
            .update_expression("REMOVE #holder, #until")
            .condition_expression("#holder = :holder")
            .expression_attribute_names("#holder", LEASE_HOLDER)
            .expression_attribute_names("#until", LEASE_UNTIL)
            .expression_attribute_values(":holder", s(holder))
            .send()
            .await;
        unless_refused(result)?;
        Ok(())
    }
}

/// A DynamoDB table name, as the API accepts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableName(String);

impl TableName {
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        let valid_chars = t
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c));
        if !(3..=255).contains(&t.len()) || !valid_chars {
            return Err(format!(
                "must be 3 to 255 characters of letters, digits, '_', '-' or '.' (got {t:?})"
            ));
        }
        Ok(Self(t.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TableName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A failed DynamoDB call as the domain sees it, with the SDK's whole cause chain in the message
/// (the SDK's own Display of an `SdkError` is a terse "service error").
pub(crate) fn failure<E>(operation: &'static str, error: E) -> StoreError
where
    E: std::error::Error + Send + Sync + 'static,
{
    if let Some(reason) = unreachable(&error) {
        return StoreError::Unreachable {
            operation,
            reason,
            source: Box::new(error),
        };
    }
    let message = aws_sdk_dynamodb::error::DisplayErrorContext(&error).to_string();
    StoreError::Dynamo {
        operation,
        message,
        source: Box::new(error),
    }
}

/// Why a call never reached DynamoDB, when that is what `error` says: the connector failed to
/// connect or lost the connection, or the call timed out.
fn unreachable(error: &(dyn std::error::Error + 'static)) -> Option<&'static str> {
    use aws_sdk_dynamodb::error::ConnectorError;
    let mut cause = Some(error);
    while let Some(e) = cause {
        if let Some(connector) = e.downcast_ref::<ConnectorError>() {
            return Some(if connector.is_timeout() {
                "no answer in time"
            } else if connector.is_io() {
                "the connection failed"
            } else {
                "the request was not sent"
            });
        }
        cause = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_follow_dynamodb_rules() {
        assert!(TableName::parse("clinic").is_ok());
        assert!(TableName::parse("clinic-test_1.a").is_ok());
        assert!(TableName::parse("ab").is_err());
        assert!(TableName::parse("has space").is_err());
        assert!(TableName::parse(&"x".repeat(256)).is_err());
    }
}
