//! Requests to SaaS APIs with low rate limits (Statuspage, VictorOps): one request at a time per
//! client, at least an interval apart, and after a rate-limit answer a wait (the answer's
//! `Retry-After`, else a doubling backoff) before the same request is sent again, a bounded number of
//! times. The adapters build the requests and read the answers; this only decides when to send. An
//! API that says "too fast" in its body (Slack's `ratelimited`, Matrix's `retry_after_ms`) judges
//! each answer itself through [`Pacer::exchange_judged`].

use std::time::Duration;

/// The longest single wait, whatever `Retry-After` asks for: a scheduled job has minutes, not hours.
const MAX_WAIT: Duration = Duration::from_secs(60);

/// How an adapter paces itself and backs off.
#[derive(Debug, Clone, Copy)]
pub struct Pacing {
    /// At least this long between two requests (Statuspage: 1 request per second per key).
    pub min_interval: Duration,
    /// The first wait after a rate-limit answer without `Retry-After`; doubled on each further one.
    pub first_backoff: Duration,
    /// Requests tried in all before giving up with [`PacedError::StillLimited`].
    pub max_attempts: u32,
}

impl Default for Pacing {
    fn default() -> Self {
        Self {
            min_interval: Duration::from_secs(1),
            first_backoff: Duration::from_secs(2),
            max_attempts: 6,
        }
    }
}

/// Why no answer other than a rate-limit refusal came back.
#[derive(Debug, thiserror::Error)]
pub enum PacedError {
    #[error("request failed")]
    Transport(#[source] reqwest::Error),
    #[error("reading the answer failed")]
    Read(#[source] reqwest::Error),
    #[error("still rate-limited after {attempts} attempts")]
    StillLimited {
        attempts: u32,
        /// The wait the last refusal asked for, if it named one.
        last_wait: Option<Duration>,
    },
}

impl PacedError {
    /// The HTTP client's error underneath, if any.
    pub fn into_source(self) -> Option<reqwest::Error> {
        match self {
            Self::Transport(e) | Self::Read(e) => Some(e),
            Self::StillLimited { .. } => None,
        }
    }
}

/// An answer other than a rate-limit refusal: its status and its body as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub text: String,
}

impl Answer {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// What an error body says: the first of `keys` in a JSON object, else the body's start.
    pub fn message(&self, keys: &[&str]) -> String {
        let said = serde_json::from_str::<serde_json::Value>(&self.text)
            .ok()
            .and_then(|v| {
                keys.iter().find_map(|k| match v.get(k) {
                    Some(serde_json::Value::String(s)) => Some(s.clone()),
                    Some(serde_json::Value::Null) | None => None,
                    Some(other) => Some(other.to_string()),
                })
            });
        said.unwrap_or_else(|| self.text.chars().take(200).collect())
    }
}

/// Sends one client's requests in turn.
pub struct Pacer {
    pacing: Pacing,
    last_request: tokio::sync::Mutex<Option<tokio::time::Instant>>,
}

impl Pacer {
    pub fn new(pacing: Pacing) -> Self {
        Self {
            pacing,
            last_request: tokio::sync::Mutex::new(None),
        }
    }

    /// Sends the request `build` makes (anew for each attempt) and returns the first answer whose
    /// status is not one of `limited` (the API's rate-limit statuses).
    pub async fn send(
        &self,
        what: &str,
        limited: &[u16],
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, PacedError> {
        let mut backoff = self.pacing.first_backoff;
        for attempt in 1..=self.pacing.max_attempts {
            let response = {
                // Holding the lock across the request keeps every request of this process one
                // interval apart, which is what a per-key limit counts.
                let mut last = self.last_request.lock().await;
                if let Some(at) = *last {
                    tokio::time::sleep_until(at + self.pacing.min_interval).await;
                }
                let result = build().send().await;
                *last = Some(tokio::time::Instant::now());
                result.map_err(PacedError::Transport)?
            };
            let status = response.status().as_u16();
            if !limited.contains(&status) {
                return Ok(response);
            }
            let wait = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| retry_after(v, jiff::Timestamp::now()))
                .unwrap_or(backoff)
                .min(MAX_WAIT);
            tracing::warn!(
                what,
                status,
                attempt,
                wait_ms = wait.as_millis() as u64,
                "rate limited; backing off"
            );
            if attempt == self.pacing.max_attempts {
                break;
            }
            tokio::time::sleep(wait).await;
            backoff = backoff.saturating_mul(2);
        }
        Err(PacedError::StillLimited {
            attempts: self.pacing.max_attempts,
            last_wait: None,
        })
    }

    /// Sends the request `build` makes (anew for each attempt), reads the whole answer and asks
    /// `judge` whether it is a rate-limit refusal: `None` for an answer to return, `Some(wait)` for a
    /// refusal asking to wait `wait` (read from the body or the `Retry-After` header `judge` is
    /// given; `None` waits the doubling backoff) before the same request is sent again.
    pub async fn exchange_judged(
        &self,
        what: &str,
        build: impl Fn() -> reqwest::RequestBuilder,
        judge: impl Fn(&Answer, Option<Duration>) -> Option<Option<Duration>>,
    ) -> Result<Answer, PacedError> {
        let mut backoff = self.pacing.first_backoff;
        let mut last_wait = None;
        for attempt in 1..=self.pacing.max_attempts {
            let response = {
                let mut last = self.last_request.lock().await;
                if let Some(at) = *last {
                    tokio::time::sleep_until(at + self.pacing.min_interval).await;
                }
                let result = build().send().await;
                *last = Some(tokio::time::Instant::now());
                result.map_err(PacedError::Transport)?
            };
            let status = response.status().as_u16();
            let header_wait = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| retry_after(v, jiff::Timestamp::now()));
            let text = response.text().await.map_err(PacedError::Read)?;
            let answer = Answer { status, text };
            let Some(asked) = judge(&answer, header_wait) else {
                return Ok(answer);
            };
            last_wait = asked;
            let wait = asked.unwrap_or(backoff).min(MAX_WAIT);
            tracing::warn!(
                what,
                status,
                attempt,
                wait_ms = wait.as_millis() as u64,
                "rate limited; backing off"
            );
            if attempt == self.pacing.max_attempts {
                break;
            }
            tokio::time::sleep(wait).await;
            backoff = backoff.saturating_mul(2);
        }
        Err(PacedError::StillLimited {
            attempts: self.pacing.max_attempts,
            last_wait,
        })
    }
}

/// `Retry-After` as seconds (`120`) or as an HTTP date (`Wed, 21 Oct 2026 07:28:00 GMT`).
fn retry_after(value: &str, now: jiff::Timestamp) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = jiff::fmt::rfc2822::parse(value).ok()?.timestamp();
    let wait = at.duration_since(now);
    Some(Duration::try_from(wait).unwrap_or(Duration::ZERO))
}

/// A JSON request to a paced API: the method, the URL, the headers (credentials among them) and a body.
pub struct JsonRequest<'a> {
    pub method: reqwest::Method,
    pub url: &'a str,
    pub headers: &'a [(&'a str, &'a str)],
    pub body: Option<&'a serde_json::Value>,
}

impl Pacer {
    /// Sends `request` with `Accept: application/json` through [`Pacer::exchange`].
    pub async fn exchange_json(
        &self,
        http: &reqwest::Client,
        what: &str,
        limited: &[u16],
        request: JsonRequest<'_>,
    ) -> Result<Answer, PacedError> {
        self.exchange(what, limited, || {
            let mut built = http
                .request(request.method.clone(), request.url)
                .header("Accept", "application/json");
            for (name, value) in request.headers {
                built = built.header(*name, *value);
            }
            if let Some(body) = request.body {
                built = built.json(body);
            }
            built
        })
        .await
    }

    /// [`Pacer::send`], then the whole answer read.
    pub async fn exchange(
        &self,
        what: &str,
        limited: &[u16],
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<Answer, PacedError> {
        let response = self.send(what, limited, build).await?;
        let status = response.status().as_u16();
        let text = response.text().await.map_err(PacedError::Read)?;
        Ok(Answer { status, text })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_body_says_its_message_or_shows_its_start() {
        let answer = |text: &str| Answer {
            status: 422,
            text: text.to_owned(),
        };
        assert_eq!(
            answer(r#"{"error": "Name can't be blank"}"#).message(&["message", "error"]),
            "Name can't be blank"
        );
        assert_eq!(
            answer(r#"{"error": ["a", "b"]}"#).message(&["error"]),
            r#"["a","b"]"#
        );
        assert_eq!(
            answer("<html>gateway</html>").message(&["error"]),
            "<html>gateway</html>"
        );
        assert_eq!(answer(&"x".repeat(500)).message(&["error"]).len(), 200);
    }

    #[test]
    fn retry_after_is_read_as_seconds_or_as_a_date() {
        let now: jiff::Timestamp = "2026-10-21T07:27:00Z".parse().unwrap();
        assert_eq!(retry_after(" 3 ", now), Some(Duration::from_secs(3)));
        assert_eq!(
            retry_after("Wed, 21 Oct 2026 07:28:00 GMT", now),
            Some(Duration::from_secs(60))
        );
        // A date already past asks for no wait; nonsense asks for the backoff.
        assert_eq!(
            retry_after("Wed, 21 Oct 2026 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after("soon", now), None);
        assert_eq!(retry_after("-1", now), None);
    }
}
