//! The single DynamoDB table, defined once: the local setup creates it from here, and a test keeps
//! `infra/dynamodb.tf` equal to it.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};
use serde::Serialize;

use super::{TableName, failure};
use crate::store::StoreError;

/// Partition key attribute of every item.
pub const PK: &str = "PK";
/// Sort key attribute of every item.
pub const SK: &str = "SK";
/// The overloaded secondary index: who served when, people by rotation.
pub const GSI1: &str = "GSI1";
pub const GSI1_PK: &str = "GSI1PK";
pub const GSI1_SK: &str = "GSI1SK";
/// Items carrying this attribute (Unix seconds) are deleted by DynamoDB's TTL after that time.
pub const TTL_ATTRIBUTE: &str = "expires_at";

/// A key or index attribute and its DynamoDB scalar type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyAttribute {
    pub name: &'static str,
    /// "S", "N" or "B", as Terraform and the API spell it.
    pub kind: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndexDefinition {
    pub name: &'static str,
    pub hash_key: &'static str,
    pub range_key: &'static str,
    /// "ALL", "KEYS_ONLY" or "INCLUDE".
    pub projection: &'static str,
}

/// Everything about the table that code relies on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableDefinition {
    pub hash_key: &'static str,
    pub range_key: &'static str,
    pub attributes: Vec<KeyAttribute>,
    pub global_secondary_indexes: Vec<IndexDefinition>,
    pub ttl_attribute: &'static str,
    /// "PAY_PER_REQUEST": the load is a few writes a minute at most.
    pub billing_mode: &'static str,
}

/// The table Clinic runs on.
pub fn definition() -> TableDefinition {
    TableDefinition {
        hash_key: PK,
        range_key: SK,
        attributes: vec![
            KeyAttribute {
                name: PK,
                kind: "S",
            },
            KeyAttribute {
                name: SK,
                kind: "S",
            },
            KeyAttribute {
                name: GSI1_PK,
                kind: "S",
            },
            KeyAttribute {
                name: GSI1_SK,
                kind: "S",
            },
        ],
        global_secondary_indexes: vec![IndexDefinition {
            name: GSI1,
            hash_key: GSI1_PK,
            range_key: GSI1_SK,
            projection: "ALL",
        }],
        ttl_attribute: TTL_ATTRIBUTE,
        billing_mode: "PAY_PER_REQUEST",
    }
}

fn scalar(kind: &str) -> ScalarAttributeType {
    match kind {
        "N" => ScalarAttributeType::N,
        "B" => ScalarAttributeType::B,
        _ => ScalarAttributeType::S,
    }
}

fn key(name: &str, kind: KeyType) -> Result<KeySchemaElement, StoreError> {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kind)
        .build()
        .map_err(|e| failure("CreateTable", e))
}

/// Creates the table from [`definition`] and turns TTL on. An existing table is left as it is.
pub async fn create(
    client: &aws_sdk_dynamodb::Client,
    table: &TableName,
) -> Result<bool, StoreError> {
    let def = definition();
    let mut request = client
        .create_table()
        .table_name(table.as_str())
        .billing_mode(BillingMode::from(def.billing_mode))
        .key_schema(key(def.hash_key, KeyType::Hash)?)
        .key_schema(key(def.range_key, KeyType::Range)?);
    for attribute in &def.attributes {
        request = request.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(attribute.name)
                .attribute_type(scalar(attribute.kind))
                .build()
                .map_err(|e| failure("CreateTable", e))?,
        );
    }
    for index in &def.global_secondary_indexes {
        request = request.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(index.name)
                .key_schema(key(index.hash_key, KeyType::Hash)?)
                .key_schema(key(index.range_key, KeyType::Range)?)
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::from(index.projection))
                        .build(),
                )
                .build()
                .map_err(|e| failure("CreateTable", e))?,
        );
    }
    match request.send().await {
        Ok(_) => {}
        Err(err) => {
            let service = err.as_service_error();
            if service.is_some_and(|e| e.is_resource_in_use_exception()) {
                return Ok(false);
            }
            return Err(failure("CreateTable", err));
        }
    }
    client
        .update_time_to_live()
        .table_name(table.as_str())
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .attribute_name(def.ttl_attribute)
                .enabled(true)
                .build()
                .map_err(|e| failure("UpdateTimeToLive", e))?,
        )
        .send()
        .await
        .map_err(|e| failure("UpdateTimeToLive", e))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_of_the_table_and_its_indexes_has_an_attribute_definition() {
        let def = definition();
        let defined: Vec<_> = def.attributes.iter().map(|a| a.name).collect();
        let mut used = vec![def.hash_key, def.range_key];
        for index in &def.global_secondary_indexes {
            used.push(index.hash_key);
            used.push(index.range_key);
        }
        used.sort();
        let mut defined_sorted = defined.clone();
        defined_sorted.sort();
        // DynamoDB refuses attribute definitions that no key uses, and keys without a definition.
        assert_eq!(used, defined_sorted);
    }
}
