//! What every port to Clinic's state reports when the state itself fails. Domain code sees this
//! type only; which table, which SDK and which key layout lie behind a port is the adapter's business
//! (`adapters::dynamo`, which builds these errors from its SDK's).

use std::fmt;

/// A failure of the table itself (network, throttling, permissions) or an item Clinic cannot read.
/// Conditional-write refusals are not errors: the operations that use them return an outcome.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("DynamoDB {operation} failed: {message}")]
    Dynamo {
        operation: &'static str,
        message: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The call never reached DynamoDB (refused, reset, no route, a timeout): a problem of where the
    /// table is, not of the request. Its message is short; the SDK's chain stays in `source`.
    #[error("cannot reach DynamoDB ({operation}: {reason})")]
    Unreachable {
        operation: &'static str,
        reason: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("item {key} in the table cannot be read: {reason}")]
    Malformed { key: String, reason: String },
    #[error("DynamoDB {operation} still had unprocessed items after {attempts} attempts")]
    Unprocessed {
        operation: &'static str,
        attempts: u32,
    },
}

impl StoreError {
    pub fn malformed(key: impl Into<String>, reason: impl fmt::Display) -> Self {
        Self::Malformed {
            key: key.into(),
            reason: reason.to_string(),
        }
    }
}
