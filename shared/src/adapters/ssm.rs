//! The SSM Parameter Store adapter: credentials kept as SecureString parameters, read with
//! `GetParameters` (up to ten names per call) when a function starts. Which variables may name a
//! parameter, and how the values join the configuration, is `crate::config::secrets`.

use std::collections::BTreeMap;

use async_trait::async_trait;

/// `GetParameters` takes at most ten names per call.
const NAMES_PER_CALL: usize = 10;

#[derive(Debug, thiserror::Error)]
#[error("SSM {operation} failed: {message}")]
pub struct ParameterError {
    pub operation: &'static str,
    pub message: String,
}

/// Where credentials are kept. Adapter: [`SsmParameters`]; tests also use a map.
#[async_trait]
pub trait ParameterStore: Send + Sync {
    /// The decrypted values of the parameters that exist, by name; missing names are left out.
    async fn decrypted(&self, names: &[String])
    -> Result<BTreeMap<String, String>, ParameterError>;
}

pub struct SsmParameters {
    client: aws_sdk_ssm::Client,
}

impl SsmParameters {
    pub fn new(client: aws_sdk_ssm::Client) -> Self {
        Self { client }
    }
}

#[async_trait]
impl ParameterStore for SsmParameters {
    async fn decrypted(
        &self,
        names: &[String],
    ) -> Result<BTreeMap<String, String>, ParameterError> {
        let mut values = BTreeMap::new();
        for chunk in names.chunks(NAMES_PER_CALL) {
            let output = self
                .client
                .get_parameters()
                .set_names(Some(chunk.to_vec()))
                .with_decryption(true)
                .send()
                .await
                .map_err(|e| ParameterError {
                    operation: "GetParameters",
                    message: aws_sdk_ssm::error::DisplayErrorContext(e).to_string(),
                })?;
            for parameter in output.parameters.unwrap_or_default() {
                if let (Some(name), Some(value)) = (parameter.name, parameter.value) {
                    values.insert(name, value);
                }
            }
        }
        Ok(values)
    }
}
