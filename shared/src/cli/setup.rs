//! `clinic setup`: creating the table, a sender identity and the buckets on a fresh (usually local)
//! stack; each step leaves what already exists alone.

use clap::Subcommand;

use crate::adapters::sdk::AwsSettings;
use crate::config::FromVariables as _;

use super::error::CliError;
use super::table::table_store;

#[derive(Subcommand, Debug)]
pub(super) enum SetupCommand {
    /// Create the table from its definition in code (an existing table is left alone).
    Table,
    /// Register a sender identity with SES v2 (local stack: marks it verified).
    Identity {
        #[arg(long)]
        address: String,
    },
    /// Create an S3 bucket (the local stack's inbound-mail and calendar buckets).
    Bucket {
        #[arg(long)]
        name: String,
    },
}

pub(super) async fn run(command: SetupCommand) -> Result<(), CliError> {
    match command {
        SetupCommand::Table => {
            let store = table_store().await?;
            let created =
                crate::adapters::dynamo::table::create(store.client(), store.table()).await?;
            println!(
                "table {}: {}",
                store.table(),
                if created { "created" } else { "already exists" }
            );
        }
        SetupCommand::Bucket { name } => {
            let aws = AwsSettings::from_env()?;
            let sdk = crate::adapters::sdk::sdk_config(&aws).await;
            let result = crate::adapters::sdk::s3(&sdk, &aws)
                .create_bucket()
                .bucket(&name)
                .send()
                .await;
            match result {
                Ok(_) => println!("bucket {name}: created"),
                Err(e)
                    if e.as_service_error().is_some_and(|e| {
                        e.is_bucket_already_owned_by_you() || e.is_bucket_already_exists()
                    }) =>
                {
                    println!("bucket {name}: already exists")
                }
                Err(e) => return Err(super::error::aws_failure("S3", "CreateBucket", e)),
            }
        }
        SetupCommand::Identity { address } => {
            let address = crate::mail::EmailAddress::parse(&address)
                .map_err(|e| CliError::Usage(e.to_string()))?;
            let aws = AwsSettings::from_env()?;
            let sdk = crate::adapters::sdk::sdk_config(&aws).await;
            let result = crate::adapters::sdk::sesv2(&sdk)
                .create_email_identity()
                .email_identity(address.as_str())
                .send()
                .await;
            match result {
                Ok(_) => println!("sender identity {address}: created"),
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|e| e.is_already_exists_exception()) =>
                {
                    println!("sender identity {address}: already exists")
                }
                Err(e) => {
                    return Err(super::error::aws_failure("SES", "CreateEmailIdentity", e));
                }
            }
        }
    }
    Ok(())
}
