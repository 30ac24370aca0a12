//! SDK clients, built once per process. `AWS_ENDPOINT_URL` points every client at a local stack
//! (moto server) for tests and the demo; on Lambda it is unset and the real endpoints apply. Every
//! call carries a [`CallBudget`]: it fails, retries included, before its caller has to answer.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;

use crate::http_url::HttpUrl;

/// Where the SDK clients go (a local stack's endpoint instead of AWS's, and the region), and how
/// long one of their calls may take.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AwsSettings {
    pub endpoint_url: Option<HttpUrl>,
    pub region: Option<String>,
    /// How long one call may take in all; the default is a webhook's.
    pub budget: CallBudget,
}

impl AwsSettings {
    pub fn with_budget(mut self, budget: CallBudget) -> Self {
        self.budget = budget;
        self
    }
}

/// How long one AWS call (an operation, every retry included) may take before it fails.
///
/// Without one, the SDK waits as long as the other side does: a table that hung made a Phorge
/// delivery take 20.3 s, when Phorge gives up at 15 s. The budget is split so that its attempts and
/// the waits between them fit inside it: three attempts of 30 % each, backoffs of at most 7.5 %
/// together; the operation timeout (the whole budget) is the backstop. A connection gets at most a
/// second of an attempt: AWS's endpoints answer a connect in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallBudget {
    total: Duration,
}

impl CallBudget {
    /// A webhook's call: Phorge gives up on a delivery at 15 s and asks for an answer within 10 s.
    /// A table that hangs in the middle of a delivery costs two calls, the one that fails and the
    /// lease's release after it, so two budgets (8 s) must fit in those 10 s with room for the rest;
    /// an attempt still gets 1.2 s, a hundred times DynamoDB's usual answer. The same Lambdas'
    /// scheduled sweeps share these clients, and hence this budget.
    pub const WEBHOOK: Self = Self::new(Duration::from_secs(4));
    /// A scheduled job's call (the weekly rotation, 300 s on Lambda; maintenance mail, 60 s): a
    /// third of the shorter job's time, so a hung dependency fails the run with time left to
    /// report it and give its leases back.
    pub const JOB: Self = Self::new(Duration::from_secs(20));

    /// Attempts per call, the first included (the SDK's standard number).
    pub const ATTEMPTS: u32 = 3;
    const MAX_CONNECT: Duration = Duration::from_secs(1);

    pub const fn new(total: Duration) -> Self {
        Self { total }
    }

    /// The whole call, retries included: the operation timeout.
    pub const fn total(self) -> Duration {
        self.total
    }

    /// One attempt: 30 % of the budget.
    pub fn attempt(self) -> Duration {
        self.total * 3 / 10
    }

    /// Opening a connection, within an attempt.
    pub fn connect(self) -> Duration {
        self.attempt().min(Self::MAX_CONNECT)
    }

    /// The base of the jittered exponential backoff: the waits before the second and third attempts
    /// are at most one and two times this, 7.5 % of the budget together.
    pub fn first_backoff(self) -> Duration {
        self.total / 40
    }

    pub fn timeout_config(self) -> TimeoutConfig {
        TimeoutConfig::builder()
            .operation_timeout(self.total)
            .operation_attempt_timeout(self.attempt())
            .connect_timeout(self.connect())
            .build()
    }

    pub fn retry_config(self) -> RetryConfig {
        RetryConfig::standard()
            .with_max_attempts(Self::ATTEMPTS)
            .with_initial_backoff(self.first_backoff())
            .with_max_backoff(self.first_backoff() * 2)
    }
}

impl Default for CallBudget {
    /// The stricter of the two: a client nobody chose a budget for still fails fast.
    fn default() -> Self {
        Self::WEBHOOK
    }
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

/// [`loader`] with `settings` applied: the endpoint, the region, and the budget's timeouts and
/// retries (tests add their credentials to it).
pub fn loader_for(settings: &AwsSettings) -> aws_config::ConfigLoader {
    let mut loader = loader()
        .timeout_config(settings.budget.timeout_config())
        .retry_config(settings.budget.retry_config());
    if let Some(endpoint) = &settings.endpoint_url {
        loader = loader.endpoint_url(endpoint.as_str());
        // A local stack takes any credentials. Without some in the environment the default chain
        // would end at the EC2 instance-metadata endpoint, wait for it and print warnings first.
        if is_loopback(endpoint.as_str()) && std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
            loader = loader.credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                "local-stack",
                "local-stack",
                None,
                None,
                "local stack",
            ));
        }
    }
    if let Some(region) = &settings.region {
        loader = loader.region(aws_config::Region::new(region.clone()));
    }
    loader
}

/// Whether `url` names this machine (a local stack).
pub fn is_loopback(url: &str) -> bool {
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return false;
    };
    let host = parsed.host_str().unwrap_or_default();
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The SDK configuration every client is built from.
pub async fn sdk_config(settings: &AwsSettings) -> aws_config::SdkConfig {
    loader_for(settings).load().await
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_machine_counts_as_a_local_stack() {
        assert!(is_loopback("http://127.0.0.1:8000"));
        assert!(is_loopback("http://localhost:4566"));
        assert!(is_loopback("http://[::1]:4566"));
        assert!(!is_loopback("https://dynamodb.eu-west-1.amazonaws.com"));
        assert!(!is_loopback("http://127.0.0.1.example.com"));
        assert!(!is_loopback("not a url"));
    }

    /// The longest a call can take by its attempts and waits alone, before the operation timeout.
    fn worst_case(budget: CallBudget) -> Duration {
        let waits: Duration = (1..CallBudget::ATTEMPTS)
            .map(|retry| {
                (budget.first_backoff() * 2u32.pow(retry - 1)).min(budget.first_backoff() * 2)
            })
            .sum();
        budget.attempt() * CallBudget::ATTEMPTS + waits
    }

    #[test]
    fn every_attempt_and_wait_of_a_call_fit_in_its_budget() {
        for budget in [
            CallBudget::WEBHOOK,
            CallBudget::JOB,
            CallBudget::new(Duration::from_millis(900)),
        ] {
            assert!(worst_case(budget) <= budget.total(), "{budget:?}");
            assert!(budget.connect() <= budget.attempt(), "{budget:?}");
        }
    }

    #[test]
    fn a_webhook_call_fails_well_before_phorge_gives_up() {
        // Phorge's guide: answer within 10 s (it gives up at 15 s); a failed call and the release
        // after it must fit.
        assert!(CallBudget::WEBHOOK.total() * 2 <= Duration::from_secs(8));
        assert!(CallBudget::JOB.total() > CallBudget::WEBHOOK.total());
        assert_eq!(AwsSettings::default().budget, CallBudget::WEBHOOK);
    }

    #[test]
    fn the_budget_becomes_the_sdks_timeouts_and_retries() {
        let budget = CallBudget::WEBHOOK;
        let timeouts = budget.timeout_config();
        assert_eq!(timeouts.operation_timeout(), Some(Duration::from_secs(4)));
        assert_eq!(
            timeouts.operation_attempt_timeout(),
            Some(Duration::from_millis(1200))
        );
        assert_eq!(timeouts.connect_timeout(), Some(Duration::from_secs(1)));
        let retries = budget.retry_config();
        assert_eq!(retries.max_attempts(), 3);
        assert_eq!(retries.initial_backoff(), Duration::from_millis(100));
    }
}
