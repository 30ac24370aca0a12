//! Sign-in's items: mailed links and sessions by the SHA-256 of their token (never the token), and
//! the attempt counters of the rate limits; each expires by the table's TTL.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

use super::{DynamoStore, failure, keys, n, s, table, unless_refused};
use crate::signin::ports::{AttemptScope, LinkRecord, SessionRecord, SignInLedger};
use crate::store::StoreError;

fn text(item: &super::Item, name: &str) -> Option<String> {
    item.get(name).and_then(|v| v.as_s().ok()).cloned()
}

fn instant(item: &super::Item, name: &str) -> Option<jiff::Timestamp> {
    text(item, name).and_then(|t| t.parse().ok())
}

#[async_trait]
impl SignInLedger for DynamoStore {
    async fn record_link(&self, link: &LinkRecord) -> Result<(), StoreError> {
        let mut item = Self::key(&keys::signin_link(&link.hash), keys::LINK);
        item.insert("person".into(), s(&link.person));
        item.insert("issued_at".into(), s(link.issued_at.to_string()));
        item.insert("link_expires_at".into(), s(link.expires_at.to_string()));
        // Kept a day past its expiry, so a replay is told from a forgery in the logs.
        item.insert(
            table::TTL_ATTRIBUTE.into(),
            n(link.expires_at.as_second() + 86_400),
        );
        self.client
            .put_item()
            .table_name(self.table.as_str())
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", table::PK)
            .send()
            .await
            .map_err(|e| failure("PutItem", e))?;
        Ok(())
    }

    async fn redeem_link(
        &self,
        hash: &str,
        now: jiff::Timestamp,
    ) -> Result<Option<String>, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(self.table.as_str())
            .set_key(Some(Self::key(&keys::signin_link(hash), keys::LINK)))
            .update_expression("SET used_at = :now")
            .condition_expression("attribute_exists(#pk) AND attribute_not_exists(used_at)")
            .expression_attribute_names("#pk", table::PK)
            .expression_attribute_values(":now", s(now.to_string()))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        Ok(unless_refused(result)?
            .and_then(|output| output.attributes)
            .and_then(|item| text(&item, "person")))
    }

    async fn record_session(&self, session: &SessionRecord) -> Result<bool, StoreError> {
        let mut item = Self::key(&keys::session(&session.hash), keys::SESSION);
        item.insert("person".into(), s(&session.person));
        item.insert("created_at".into(), s(session.created_at.to_string()));
        item.insert(
            "session_expires_at".into(),
            s(session.expires_at.to_string()),
        );
        item.insert(
            table::TTL_ATTRIBUTE.into(),
            n(session.expires_at.as_second()),
        );
        self.put_if(
            item,
            "attribute_not_exists(#pk)",
            &[("#pk", table::PK)],
            &[],
        )
        .await
    }

    async fn session(&self, hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        let pk = keys::session(hash);
        let Some(item) = self.get(&pk, keys::SESSION).await? else {
            return Ok(None);
        };
        let read = || {
            Some(SessionRecord {
                hash: hash.to_owned(),
                person: text(&item, "person")?,
                created_at: instant(&item, "created_at")?,
                expires_at: instant(&item, "session_expires_at")?,
            })
        };
        read()
            .map(Some)
            .ok_or_else(|| StoreError::malformed(pk, "a session without its person or times"))
    }

    async fn end_session(&self, hash: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(self.table.as_str())
            .set_key(Some(Self::key(&keys::session(hash), keys::SESSION)))
            .send()
            .await
            .map_err(|e| failure("DeleteItem", e))?;
        Ok(())
    }

    async fn count_attempt(
        &self,
        scope: AttemptScope,
        subject: &str,
        window_start: jiff::Timestamp,
        expires: jiff::Timestamp,
    ) -> Result<u64, StoreError> {
        let pk = keys::attempts(scope.name(), subject);
        let output = self
            .client
            .update_item()
            .table_name(self.table.as_str())
            .set_key(Some(Self::key(&pk, &keys::attempt_window(window_start))))
            .update_expression("ADD hits :one SET #ttl = :ttl")
            .expression_attribute_names("#ttl", table::TTL_ATTRIBUTE)
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":ttl", n(expires.as_second()))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(|e| failure("UpdateItem", e))?;
        output
            .attributes
            .and_then(|a| a.get("hits").cloned())
            .and_then(|v| match v {
                AttributeValue::N(count) => count.parse().ok(),
                _ => None,
            })
            .ok_or_else(|| StoreError::malformed(pk, "an attempt counter without its count"))
    }
}
