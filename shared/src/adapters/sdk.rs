//! SDK clients, built once per process. `AWS_ENDPOINT_URL` points every client at a local stack
//! (moto server) for tests and the demo; on Lambda it is unset and the real endpoints apply.

use crate::http_url::HttpUrl;

/// Where the SDK clients go: a local stack's endpoint instead of AWS's, and the region.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AwsSettings {
    pub endpoint_url: Option<HttpUrl>,
    pub region: Option<String>,
}

/// The loader every SDK configuration starts from: the latest behaviour, and one HTTPS client
/// (hyper 1, rustls on ring) for every AWS client and credential provider.
pub fn loader() -> aws_config::ConfigLoader {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    let https = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    aws_config::defaults(aws_config::BehaviorVersion::latest()).http_client(https)
}

/// The SDK configuration every client is built from.
pub async fn sdk_config(settings: &AwsSettings) -> aws_config::SdkConfig {
    let mut loader = loader();
    if let Some(endpoint) = &settings.endpoint_url {
        loader = loader.endpoint_url(endpoint.as_str());
    }
    if let Some(region) = &settings.region {
        loader = loader.region(aws_config::Region::new(region.clone()));
    }
    loader.load().await
}

pub fn dynamodb(sdk: &aws_config::SdkConfig) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(sdk)
}

pub fn ssm(sdk: &aws_config::SdkConfig) -> aws_sdk_ssm::Client {
    aws_sdk_ssm::Client::new(sdk)
}

pub fn sesv2(sdk: &aws_config::SdkConfig) -> aws_sdk_sesv2::Client {
    aws_sdk_sesv2::Client::new(sdk)
}

pub fn s3(sdk: &aws_config::SdkConfig, settings: &AwsSettings) -> aws_sdk_s3::Client {
    // Path-style addressing for a local stack: loopback has no per-bucket host names.
    let config = aws_sdk_s3::config::Builder::from(sdk)
        .force_path_style(settings.endpoint_url.is_some())
        .build();
    aws_sdk_s3::Client::from_conf(config)
}
