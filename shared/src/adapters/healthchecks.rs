//! The dead man's switch of the scheduled jobs: each run tells a healthchecks.io-style monitor that it
//! started (`<url>/start`) and how it ended (`<url>` or `<url>/fail`, with a one-line summary), so a
//! schedule that stops firing, or a job that keeps failing, is noticed by someone other than the job.
//!
//! The monitor never breaks the job: a ping that fails is logged (without the URL, a credential) and
//! the run goes on.

use std::fmt::Display;
use std::future::Future;
use std::time::Duration;

use tracing::warn;

use crate::http_url::HttpUrl;

/// The monitor stores the first part of a body; a summary needs no more.
const MAX_BODY_BYTES: usize = 10_000;
/// A ping is sent at a job's start and end, never inside a webhook's delivery.
const PING_TIMEOUT: Duration = Duration::from_secs(5);
/// Room for one lost SYN (resent after 1 s).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

pub struct Heartbeat {
    target: Option<(HttpUrl, reqwest::Client)>,
}

impl Heartbeat {
    /// Pings `url` when one is configured; without one, every call does nothing.
    pub fn new(url: Option<HttpUrl>) -> Self {
        let client = reqwest::Client::builder()
            .timeout(PING_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(concat!("clinic/", env!("CARGO_PKG_VERSION")))
            .build();
        match (url, client) {
            (Some(url), Ok(client)) => Self {
                target: Some((url, client)),
            },
            (Some(_), Err(error)) => {
                warn!(error = %error, "no HTTP client for the dead man's switch; runs are not reported");
                Self { target: None }
            }
            (None, _) => Self { target: None },
        }
    }

    pub fn off() -> Self {
        Self { target: None }
    }

    /// Runs `job` between a start ping and a success or failure ping carrying `summary` of the
    /// outcome. `run` pairs the pings of one run (the monitor's `rid`; a UUID is derived if it is not one).
    pub async fn watch<T, E: Display>(
        &self,
        run: &str,
        summary: impl FnOnce(&T) -> String,
        job: impl Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        let rid = uuid::Uuid::parse_str(run)
            .unwrap_or_else(|_| uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, run.as_bytes()));
        self.ping("/start", &rid, String::new()).await;
        let outcome = job.await;
        match &outcome {
            Ok(value) => self.ping("", &rid, summary(value)).await,
            Err(error) => self.ping("/fail", &rid, error.to_string()).await,
        }
        outcome
    }

    async fn ping(&self, signal: &str, rid: &uuid::Uuid, mut body: String) {
        let Some((url, client)) = &self.target else {
            return;
        };
        if body.len() > MAX_BODY_BYTES {
            let mut end = MAX_BODY_BYTES;
            while !body.is_char_boundary(end) {
                end -= 1;
            }
            body.truncate(end);
        }
        let address = format!("{}{signal}?rid={rid}", url.as_str());
        let result = client.post(address).body(body).send().await;
        match result.map(|r| r.status()) {
            Ok(status) if status.is_success() => {}
            Ok(status) => {
                warn!(
                    signal = signal,
                    status = status.as_u16(),
                    "the dead man's switch refused a ping"
                )
            }
            Err(error) => warn!(
                signal = signal,
                error = %error.without_url(),
                "the dead man's switch could not be reached"
            ),
        }
    }
}
