//! What every function's `main` shares: logging set-up and the mapping of errors to the runtime's
//! diagnostics, so that a retryable failure is told apart from one that retrying cannot fix.

use lambda_runtime::Diagnostic;

/// Structured logs: JSON on Lambda (where `AWS_LAMBDA_FUNCTION_NAME` is set), readable text elsewhere.
/// `RUST_LOG` filters as usual; the default is `info`.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    let result = if std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some() {
        builder.json().without_time().try_init()
    } else {
        builder.with_writer(std::io::stderr).try_init()
    };
    // A second initialisation (tests, the CLI calling a handler) keeps the first subscriber.
    let _ = result;
}

/// A handler failure as the runtime reports it: `error_type` is `Retryable` or `NonRetryable`.
#[derive(Debug)]
pub struct HandlerFailure {
    pub retryable: bool,
    pub message: String,
}

impl HandlerFailure {
    pub fn new(error: &(dyn std::error::Error + 'static), retryable: bool) -> Self {
        let mut message = error.to_string();
        let mut source = error.source();
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        Self { retryable, message }
    }
}

impl From<HandlerFailure> for Diagnostic {
    fn from(failure: HandlerFailure) -> Self {
        Diagnostic {
            error_type: if failure.retryable {
                "Retryable"
            } else {
                "NonRetryable"
            }
            .to_owned(),
            error_message: failure.message,
        }
    }
}
