//! Opening the table from the environment, for the commands that read or write it and need nothing
//! else (CLINIC_TABLE, and AWS_ENDPOINT_URL for a local stack).

use crate::adapters::dynamo::DynamoStore;
use crate::config::{FromVariables as _, TableConfig};

use super::error::CliError;

pub(super) async fn table_store() -> Result<DynamoStore, CliError> {
    Ok(open_table(&TableConfig::from_env()?).await)
}

/// The table `config` names, through the SDK clients it points at.
pub(super) async fn open_table(config: &TableConfig) -> DynamoStore {
    let sdk = crate::adapters::sdk::sdk_config(&config.aws).await;
    DynamoStore::new(crate::adapters::sdk::dynamodb(&sdk), config.table.clone())
}
