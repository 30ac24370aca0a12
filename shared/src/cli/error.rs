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

/// The error and its causes on one line, for the terminal.
pub fn describe(error: &CliError) -> String {
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
