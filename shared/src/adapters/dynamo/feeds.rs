//! Feed tokens by the SHA-256 of the token (never the token), indexed by their person so the
//! *Calendars* page lists them; a revoke is a delete conditioned on the person.

use async_trait::async_trait;

use super::{DynamoStore, failure, keys, table};
use crate::calendars::ports::{FeedRecord, FeedTokens, Revoked};
use crate::store::StoreError;

#[async_trait]
impl FeedTokens for DynamoStore {
    async fn record_feed(&self, feed: &FeedRecord) -> Result<bool, StoreError> {
        let item = Self::item(
            feed,
            keys::feed_token(&feed.hash),
            keys::FEED.into(),
            Some((
                keys::feeds_of(&feed.person),
                format!("{}#{}", keys::instant(feed.issued_at), feed.hash),
            )),
        )?;
        self.put_if(
            item,
            "attribute_not_exists(#pk)",
            &[("#pk", table::PK)],
            &[],
        )
        .await
    }

    async fn feed(&self, hash: &str) -> Result<Option<FeedRecord>, StoreError> {
        self.get(&keys::feed_token(hash), keys::FEED)
            .await?
            .map(Self::from_item)
            .transpose()
    }

    async fn feeds_of(&self, person: &str) -> Result<Vec<FeedRecord>, StoreError> {
        self.query_index(&keys::feeds_of(person))
            .await?
            .into_iter()
            .map(Self::from_item)
            .collect()
    }

    async fn revoke_feed(&self, person: &str, hash: &str) -> Result<Revoked, StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(self.table.as_str())
            .set_key(Some(Self::key(&keys::feed_token(hash), keys::FEED)))
            .condition_expression("attribute_exists(#pk) AND #person = :me")
            .expression_attribute_names("#pk", table::PK)
            .expression_attribute_names("#person", "person")
            .expression_attribute_values(":me", super::s(person))
            .send()
            .await;
        match result {
            Ok(_) => Ok(Revoked::Revoked),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                // Told apart by a read: the refused delete wrote nothing.
                Ok(match self.feed(hash).await? {
                    Some(_) => Revoked::NotYours,
                    None => Revoked::NoSuchFeed,
                })
            }
            Err(e) => Err(failure("DeleteItem", e)),
        }
    }
}
