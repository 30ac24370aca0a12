//! What every function's `main` shares: logging set-up and the mapping of errors to the runtime's
//! diagnostics, so that a retryable failure is told apart from one that retrying cannot fix.

use lambda_runtime::Diagnostic;

use crate::log_text::escape;

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

/// A handler failure as the runtime reports it: `error_type` is `Retryable` or `NonRetryable`. The
/// message is the error's chain, each link escaped (a link may quote an event, a mail or a SaaS
/// answer), so it is safe in a log line and in the runtime's answer.
#[derive(Debug)]
pub struct HandlerFailure {
    pub retryable: bool,
    pub message: String,
}

impl HandlerFailure {
    pub fn new(error: &(dyn std::error::Error + 'static), retryable: bool) -> Self {
        let mut message = escape(&error.to_string());
        let mut source = error.source();
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&escape(&cause.to_string()));
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

/// Runs a scheduled sweep for a function that also takes HTTP events: the trigger parsed (anything
/// else refused, not retryable), the run reported to the dead man's switch, its failure retryable
/// (the sweep's state is in the table, so a retry repeats nothing).
pub async fn scheduled_sweep<E, F, Fut>(
    event: &serde_json::Value,
    job: &str,
    heartbeat: &crate::adapters::healthchecks::Heartbeat,
    sweep: F,
) -> Result<serde_json::Value, HandlerFailure>
where
    E: std::error::Error + 'static,
    F: FnOnce(crate::trigger::Trigger) -> Fut,
    Fut: std::future::Future<Output = Result<serde_json::Value, E>>,
{
    let trigger = crate::trigger::Trigger::parse(event, job).map_err(|e| {
        tracing::error!(error = %escape(&e.to_string()), "refused event");
        HandlerFailure::new(&e, false)
    })?;
    tracing::info!(event = %trigger.event_id, time = %trigger.time, dry_run = trigger.dry_run, job, "scheduled sweep");
    let run = trigger.event_id.clone();
    heartbeat
        .watch(&run, |report| report.to_string(), sweep(trigger))
        .await
        .map_err(|e| {
            tracing::error!(error = %escape(&e.to_string()), job, "scheduled sweep failed");
            HandlerFailure::new(&e, true)
        })
}

/// The request `lambda_http` builds from a Function URL or API Gateway proxy event, for functions
/// that take other events too (schedules) and so dispatch on the event's shape; a malformed event
/// gets the 400 answer to send back.
pub fn request_from_event(
    event: serde_json::Value,
) -> Result<lambda_http::Request, Box<lambda_http::Response<lambda_http::Body>>> {
    match serde_json::from_value::<lambda_http::request::LambdaRequest>(event) {
        Ok(request) => Ok(lambda_http::Request::from(request)),
        Err(e) => {
            // serde's message quotes the event.
            tracing::error!(error = %escape(&e.to_string()), "malformed HTTP event");
            let mut r = lambda_http::Response::new(lambda_http::Body::from(
                serde_json::json!({"error": "malformed HTTP event"}).to_string(),
            ));
            *r.status_mut() = lambda_http::http::StatusCode::BAD_REQUEST;
            Err(Box::new(r))
        }
    }
}

/// The proxy-integration answer (`statusCode`, `headers`, `body`, `isBase64Encoded`).
pub fn proxy_response(response: lambda_http::Response<lambda_http::Body>) -> serde_json::Value {
    use base64::Engine as _;
    let (parts, body) = response.into_parts();
    let headers: serde_json::Map<String, serde_json::Value> = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                serde_json::Value::from(v.to_str().unwrap_or_default()),
            )
        })
        .collect();
    let (body, encoded) = match body {
        lambda_http::Body::Text(text) => (text, false),
        lambda_http::Body::Binary(bytes) => (
            base64::engine::general_purpose::STANDARD.encode(bytes),
            true,
        ),
        _ => (String::new(), false),
    };
    serde_json::json!({
        "statusCode": parts.status.as_u16(),
        "headers": headers,
        "body": body,
        "isBase64Encoded": encoded,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("the event is refused: {0}")]
    struct Outer(#[source] Inner);

    #[derive(Debug, thiserror::Error)]
    #[error("{0}")]
    struct Inner(String);

    #[test]
    fn a_failure_message_escapes_and_bounds_every_link_of_the_chain() {
        let failure = HandlerFailure::new(
            &Outer(Inner(format!(
                "x\n{{\"level\":\"ERROR\"}}{}",
                "y".repeat(500)
            ))),
            false,
        );
        assert!(
            !failure.message.chars().any(char::is_control),
            "{}",
            failure.message
        );
        assert!(failure.message.starts_with("the event is refused: x\\n{"));
        let (_, last) = failure.message.split_once(": ").unwrap();
        let (_, cause) = last.split_once(": ").unwrap();
        assert!(cause.chars().count() <= crate::log_text::MAX_CHARS);
        assert!(cause.ends_with('…'));
    }

    #[test]
    fn a_malformed_http_event_is_answered_400() {
        let Err(response) = request_from_event(serde_json::json!({"x\n": 1})) else {
            panic!("not an HTTP event");
        };
        assert_eq!(response.status().as_u16(), 400);
    }
}
