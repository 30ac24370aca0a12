//! The roster's mirror on the table: the rotations, the people and the roster's fingerprint.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;

use super::{DynamoStore, keys, n, s, table};
use crate::audit::AuditEntry;
use crate::rotation::ports::RosterMirror;
use crate::rotation::roster::Roster;
use crate::store::StoreError;

#[async_trait]
impl RosterMirror for DynamoStore {
    async fn mirror_roster(&self, roster: &Roster, audit: &AuditEntry) -> Result<bool, StoreError> {
        let fingerprint = crate::rotation::ports::roster_fingerprint(roster);
        let current = self.get(keys::ROSTER, keys::META).await?;
        // A mirror from before the rotations' names were kept with it is written again once.
        let unchanged = current.as_ref().is_some_and(|item| {
            item.contains_key("rotations")
                && item
                    .get("fingerprint")
                    .and_then(|v| v.as_s().ok())
                    .is_some_and(|f| *f == fingerprint)
        });
        if unchanged {
            return Ok(false);
        }

        let mut items = Vec::new();
        let listed: std::collections::BTreeSet<String> =
            roster.people().iter().map(|p| p.id.to_string()).collect();
        for person in roster.people() {
            let id = person.id.to_string();
            let mut item = Self::item(
                person,
                keys::person(&id),
                keys::PROFILE.into(),
                Some((keys::PEOPLE.into(), id)),
            )?;
            item.insert("active".into(), AttributeValue::Bool(true));
            items.push(item);
        }
        // People who left the roster stay in the table (their shifts name them) but are marked inactive.
        for mut item in self.query_index(keys::PEOPLE).await? {
            let id = item
                .get(table::GSI1_SK)
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default();
            if !listed.contains(&id) {
                item.insert("active".into(), AttributeValue::Bool(false));
                items.push(item);
            }
        }
        for name in roster.rotation_names() {
            if let Some(rules) = roster.rotation(name.as_str()) {
                items.push(Self::item(
                    rules,
                    keys::rotation(name.as_str()),
                    keys::META.into(),
                    None,
                )?);
            }
        }
        self.put_all(items).await?;

        let mut meta = Self::key(keys::ROSTER, keys::META);
        meta.insert("fingerprint".into(), s(&fingerprint));
        meta.insert("loaded_at".into(), s(audit.at.to_string()));
        meta.insert("people".into(), n(roster.people().len()));
        // The brief reads the rotations' names here, then only the people on duty, by key.
        meta.insert(
            "rotations".into(),
            AttributeValue::L(roster.rotation_names().map(|r| s(r.as_str())).collect()),
        );
        let audit = audit.clone().with_details(serde_json::json!({
            "fingerprint": fingerprint, "people": roster.people().len(),
        }));
        self.transact(vec![
            self.put(meta, None)?,
            self.put(Self::audit_item(&audit)?, None)?,
        ])
        .await?;
        Ok(true)
    }
}
