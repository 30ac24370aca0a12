//! State in the one DynamoDB table: its definition, item keys, and the adapter behind the ports that
//! domain code uses. Domain modules never see an `aws_sdk_dynamodb::Client`.

pub mod brief;
pub mod dynamo;
pub mod keys;
pub mod maintenance;
pub mod objects;
pub mod pages;
pub mod table;
pub mod triage_state;

use std::fmt;

pub use dynamo::DynamoStore;

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
    #[error("item {key} in the table cannot be read: {reason}")]
    Malformed { key: String, reason: String },
    #[error("DynamoDB {operation} still had unprocessed items after {attempts} attempts")]
    Unprocessed {
        operation: &'static str,
        attempts: u32,
    },
}

impl StoreError {
    pub fn dynamo<E>(operation: &'static str, error: E) -> Self
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        // The SDK's Display of an SdkError is terse ("service error"); this one walks the causes.
        let message = aws_sdk_dynamodb::error::DisplayErrorContext(&error).to_string();
        Self::Dynamo {
            operation,
            message,
            source: Box::new(error),
        }
    }

    pub fn malformed(key: impl Into<String>, reason: impl fmt::Display) -> Self {
        Self::Malformed {
            key: key.into(),
            reason: reason.to_string(),
        }
    }
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
