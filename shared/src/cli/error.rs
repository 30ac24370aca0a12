//! What a `clinic` command can fail with, and the one line the binary prints for it (the error and
//! its causes); the binary exits 2 for `Usage`, with a `Reported` error's own status, else 1.

use crate::functions::rotation::StartupError;
use crate::rotation::plan;
use crate::shifts::overrides::OverrideError;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Startup(#[from] StartupError),
    #[error("{0}")]
    Plan(#[from] plan::PlanError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Override(#[from] OverrideError),
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the handler failed ({kind}): {message}")]
    Handler { kind: &'static str, message: String },
    #[error("{0}")]
    Aws(String),
    /// An AWS call that never reached the service (nothing listening, no route, a timeout).
    #[error("cannot reach {service} ({reason})")]
    Unreachable {
        service: &'static str,
        reason: &'static str,
    },
    /// The command already said what went wrong; exit with this status.
    #[error("exit status {0}")]
    Reported(i32),
    #[error(transparent)]
    WebhookStartup(#[from] crate::functions::phabricator_webhook::StartupError),
    #[error(transparent)]
    Check(#[from] crate::oncall::sync::CheckError),
    #[error(transparent)]
    BriefSettings(#[from] crate::config::BriefSettingsError),
    #[error("cannot serve on {address}: {source}")]
    Serve {
        address: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

impl From<crate::functions::lambda::HandlerFailure> for CliError {
    fn from(failure: crate::functions::lambda::HandlerFailure) -> Self {
        let kind = if failure.retryable {
            "retryable"
        } else {
            "not retryable"
        };
        CliError::Handler {
            kind,
            message: failure.message,
        }
    }
}

/// The error and its causes on one line, for the terminal. A table that cannot be reached is said
/// as where Clinic looked and what to do, not as the SDK's chain of causes.
pub fn describe(error: &CliError) -> String {
    if let CliError::Unreachable { service, reason } = error {
        return cannot_reach(
            service,
            reason,
            std::env::var("AWS_ENDPOINT_URL").ok().as_deref(),
            std::env::var("AWS_REGION").ok().as_deref(),
        );
    }
    if let Some(reason) = unreachable_table(error) {
        return cannot_reach(
            "DynamoDB",
            reason,
            std::env::var("AWS_ENDPOINT_URL").ok().as_deref(),
            std::env::var("AWS_REGION").ok().as_deref(),
        );
    }
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let shown = cause.to_string();
        if !text.contains(&shown) {
            text.push_str(": ");
            text.push_str(&shown);
        }
        source = cause.source();
    }
    text
}

fn unreachable_table(error: &CliError) -> Option<&'static str> {
    // `Store` is transparent: its source() is the StoreError's source, so look at it first.
    if let CliError::Store(crate::store::StoreError::Unreachable { reason, .. }) = error {
        return Some(reason);
    }
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = cause {
        if let Some(crate::store::StoreError::Unreachable { reason, .. }) = e.downcast_ref() {
            return Some(reason);
        }
        cause = e.source();
    }
    None
}

/// An AWS call's failure as the CLI says it: one line when the service was never reached.
pub(super) fn aws_failure<E, R>(
    service: &'static str,
    operation: &str,
    error: aws_sdk_s3::error::SdkError<E, R>,
) -> CliError
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    use aws_sdk_s3::error::SdkError;
    match &error {
        SdkError::DispatchFailure(failure) => CliError::Unreachable {
            service,
            reason: if failure.is_timeout() {
                "no answer in time"
            } else {
                "the connection failed"
            },
        },
        SdkError::TimeoutError(_) => CliError::Unreachable {
            service,
            reason: "no answer in time",
        },
        _ => CliError::Aws(format!(
            "{service} {operation} failed: {}",
            aws_sdk_s3::error::DisplayErrorContext(&error)
        )),
    }
}

/// The one line for a service out of reach: a local stack gets the command that starts it.
pub(super) fn cannot_reach(
    service: &str,
    reason: &str,
    endpoint: Option<&str>,
    region: Option<&str>,
) -> String {
    match endpoint {
        Some(url) if crate::adapters::sdk::is_loopback(url) => format!(
            "cannot reach {service} at {url} ({reason}): is the local stack running? `make stack-up`, then `eval $(make -s stack-env)`"
        ),
        Some(url) => format!(
            "cannot reach {service} at {url} ({reason}): check AWS_ENDPOINT_URL and the network"
        ),
        None => format!(
            "cannot reach {service} in {} ({reason}): check the network and AWS_REGION, or set AWS_ENDPOINT_URL for a local stack",
            region.unwrap_or("the default region")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_stack_out_of_reach_is_told_how_to_start_it() {
        let line = cannot_reach(
            "DynamoDB",
            "the connection failed",
            Some("http://127.0.0.1:37499"),
            Some("us-east-1"),
        );
        assert_eq!(
            line,
            "cannot reach DynamoDB at http://127.0.0.1:37499 (the connection failed): is the local stack running? `make stack-up`, then `eval $(make -s stack-env)`"
        );
    }

    #[test]
    fn a_remote_table_out_of_reach_names_the_region() {
        let line = cannot_reach("DynamoDB", "no answer in time", None, Some("eu-west-1"));
        assert!(
            line.starts_with("cannot reach DynamoDB in eu-west-1 (no answer in time)"),
            "{line}"
        );
        assert!(!line.contains("make stack-up"));
    }
}
