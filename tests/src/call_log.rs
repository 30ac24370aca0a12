//! What the HTTP fakes of third-party APIs record about each request they answer.

use serde_json::Value;
use wiremock::Request;

/// One request a fake received.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Call {
    pub method: String,
    pub path: String,
    pub body: Value,
    pub status: u16,
    /// Milliseconds since the fake started.
    pub at_ms: u128,
}

impl Call {
    /// The request as answered with `status`, `started` being when the fake started.
    pub fn of(request: &Request, status: u16, started: std::time::Instant) -> Self {
        Self {
            method: request.method.to_string(),
            path: request.url.path().to_owned(),
            body: serde_json::from_slice(&request.body).unwrap_or(Value::Null),
            status,
            at_ms: started.elapsed().as_millis(),
        }
    }
}
