//! Opening the table from the environment, for the commands that read or write it and need nothing
//! else (CLINIC_TABLE, and AWS_ENDPOINT_URL for a local stack).

use crate::adapters::dynamo::DynamoStore;
use crate::config::{Component, Config};

use super::error::CliError;

pub(super) async fn table_store() -> Result<DynamoStore, CliError> {
    let config = Config::from_env(Component::TableOnly)?;
    let sdk = crate::adapters::sdk::sdk_config(&config.aws()).await;
    Ok(DynamoStore::new(
        crate::adapters::sdk::dynamodb(&sdk),
        config.table()?.clone(),
    ))
}
