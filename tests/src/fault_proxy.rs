//! A fault-injecting HTTP/1.1 proxy for the tests: it listens on a loopback port in front of an
//! upstream (moto server, or a fake), passes requests through, and does to those a rule matches what
//! a failing network or dependency does: it loses an applied write's answer, fails a write, applies
//! it late, or never answers. It keeps a log of what it did with every request, for assertions.
//!
//! ```ignore
//! let proxy = FaultProxy::start(clinic_tests::endpoint()).await;
//! proxy.inject(Matcher::aws_target("PutItem"), Fault::LoseAnswer, Times::Next(1));
//! // ... point the client at proxy.url() and call ...
//! let log = proxy.log();
//! assert_eq!(log[0].upstream, Upstream::Answered(200));
//! assert_eq!(log[0].answer, Answer::Dropped);
//! ```

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt as _, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// Which requests a rule applies to: every condition set must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Matcher {
    method: Option<String>,
    path_prefix: Option<String>,
    target: Option<String>,
    header: Option<(String, String)>,
    body: Option<String>,
}

impl Matcher {
    /// Every request.
    pub fn any() -> Self {
        Self::default()
    }

    /// An AWS JSON-protocol operation by its `X-Amz-Target`, whole (`DynamoDB_20120810.PutItem`) or
    /// by its operation (`PutItem`, which does not match `BatchPutItem`).
    pub fn aws_target(target: &str) -> Self {
        Self {
            target: Some(target.to_owned()),
            ..Self::default()
        }
    }

    pub fn method(mut self, method: &str) -> Self {
        self.method = Some(method.to_ascii_uppercase());
        self
    }

    pub fn path_prefix(mut self, prefix: &str) -> Self {
        self.path_prefix = Some(prefix.to_owned());
        self
    }

    /// A header whose value contains `contains`.
    pub fn header(mut self, name: &str, contains: &str) -> Self {
        self.header = Some((name.to_ascii_lowercase(), contains.to_owned()));
        self
    }

    /// A body containing `contains` (a table name, a key, a JSON field).
    pub fn body_contains(mut self, contains: &str) -> Self {
        self.body = Some(contains.to_owned());
        self
    }

    fn matches(&self, request: &Seen<'_>) -> bool {
        let method = self
            .method
            .as_ref()
            .is_none_or(|m| m == request.parts.method.as_str());
        let path = self
            .path_prefix
            .as_ref()
            .is_none_or(|p| request.parts.uri.path().starts_with(p.as_str()));
        let target = self.target.as_ref().is_none_or(|wanted| {
            request.target.as_deref().is_some_and(|target| {
                target == wanted || target.rsplit_once('.').is_some_and(|(_, op)| op == wanted)
            })
        });
        let header = self.header.as_ref().is_none_or(|(name, contains)| {
            request
                .parts
                .headers
                .get_all(name.as_str())
                .iter()
                .any(|v| v.to_str().is_ok_and(|v| v.contains(contains.as_str())))
        });
        let body = self.body.as_ref().is_none_or(|contains| {
            String::from_utf8_lossy(request.body).contains(contains.as_str())
        });
        method && path && target && header && body
    }
}

/// What the proxy does to a request a rule matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Forwarded, and applied upstream; the client gets no answer, the connection closes: a write
    /// applied whose answer was lost.
    LoseAnswer,
    /// Forwarded, and applied upstream; the client gets this status instead of the upstream's answer.
    LoseAnswerAs(u16),
    /// Answered with this status without being forwarded: a write that fails.
    Fail(u16),
    /// Forwarded after this delay, and the upstream's answer passed on: a dependency that is slow.
    Late(Duration),
    /// The connection closes at once, as a caller's timeout ends it, and the request is forwarded
    /// after this delay: a write that lands after its caller gave up.
    DropThenApply(Duration),
    /// Neither forwarded nor answered, until the proxy stops (the test ends).
    Hang,
    /// Neither forwarded nor answered for this long; then the connection closes.
    HangFor(Duration),
}

/// How many matching requests a rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Times {
    /// The next n.
    Next(u32),
    /// Every one, until [`FaultProxy::heal`].
    Every,
}

/// What became of a request upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Upstream {
    /// Not forwarded (failed or hung by the proxy).
    NotSent,
    /// Forwarded, or to be forwarded, and not answered yet.
    Pending,
    /// The upstream answered with this status: it applied the request.
    Answered(u16),
    /// The upstream could not be reached or broke off.
    Unreachable(String),
}

/// What the client got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Nothing yet (in flight, or hung).
    Pending,
    Status(u16),
    /// The connection closed without an answer.
    Dropped,
}

/// One request the proxy received, and what it did with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    /// Its place in the log, from 0.
    pub seq: usize,
    pub method: String,
    /// Path and query.
    pub path: String,
    /// Its `X-Amz-Target`, if it has one.
    pub target: Option<String>,
    /// The fault applied; `None` when passed through.
    pub fault: Option<Fault>,
    pub upstream: Upstream,
    pub answer: Answer,
    /// When it arrived, since the proxy started.
    pub at: Duration,
}

impl Exchange {
    /// The upstream answered it with a success: the request was applied there.
    pub fn applied(&self) -> bool {
        matches!(self.upstream, Upstream::Answered(status) if (200..300).contains(&status))
    }

    /// Its `X-Amz-Target` operation (`PutItem`), if it has one.
    pub fn operation(&self) -> Option<&str> {
        self.target
            .as_deref()
            .map(|t| t.rsplit_once('.').map_or(t, |(_, op)| op))
    }
}

struct Rule {
    matcher: Matcher,
    fault: Fault,
    left: Option<u32>,
}

struct Shared {
    upstream: String,
    started: Instant,
    rules: Mutex<Vec<Rule>>,
    log: Mutex<Vec<Exchange>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// A request as the rules see it.
struct Seen<'a> {
    parts: &'a hyper::http::request::Parts,
    target: Option<String>,
    body: &'a [u8],
}

impl Shared {
    /// Logs the request and picks the first rule it matches that has uses left.
    fn admit(&self, request: &Seen<'_>) -> (usize, Option<Fault>) {
        let fault = {
            let mut rules = lock(&self.rules);
            let rule = rules
                .iter_mut()
                .find(|r| r.left.is_none_or(|left| left > 0) && r.matcher.matches(request));
            rule.map(|rule| {
                if let Some(left) = rule.left.as_mut() {
                    *left -= 1;
                }
                rule.fault
            })
        };
        let mut log = lock(&self.log);
        let seq = log.len();
        log.push(Exchange {
            seq,
            method: request.parts.method.to_string(),
            path: request
                .parts
                .uri
                .path_and_query()
                .map_or_else(|| request.parts.uri.path().to_owned(), |p| p.to_string()),
            target: request.target.clone(),
            fault,
            upstream: match fault {
                Some(Fault::Fail(_) | Fault::Hang | Fault::HangFor(_)) => Upstream::NotSent,
                _ => Upstream::Pending,
            },
            answer: Answer::Pending,
            at: self.started.elapsed(),
        });
        (seq, fault)
    }

    fn upstream(&self, seq: usize, upstream: Upstream) {
        if let Some(exchange) = lock(&self.log).get_mut(seq) {
            exchange.upstream = upstream;
        }
    }

    fn answer(&self, seq: usize, answer: Answer) {
        if let Some(exchange) = lock(&self.log).get_mut(seq) {
            exchange.answer = answer;
        }
    }
}

/// The proxy, serving until dropped.
pub struct FaultProxy {
    address: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
}

impl FaultProxy {
    /// Starts a proxy on a free loopback port in front of `upstream`, a server's root
    /// (`http://127.0.0.1:5000`): a request for `/x` on the proxy goes to `/x` upstream.
    pub async fn start(upstream: &str) -> Self {
        let authority = upstream
            .strip_prefix("http://")
            .unwrap_or_else(|| panic!("the upstream must be plain http://: {upstream}"))
            .trim_end_matches('/');
        assert!(
            !authority.contains('/'),
            "the upstream must be a server's root: {upstream}"
        );
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let address = listener.local_addr().expect("the bound address");
        let shared = Arc::new(Shared {
            upstream: authority.to_owned(),
            started: Instant::now(),
            rules: Mutex::new(Vec::new()),
            log: Mutex::new(Vec::new()),
        });
        let (stop, stopped) = watch::channel(false);
        tokio::spawn(until_stopped(
            stopped.clone(),
            accept(listener, Arc::clone(&shared), stopped),
        ));
        Self {
            address,
            shared,
            stop,
        }
    }

    /// Where clients go instead of the upstream (`http://127.0.0.1:<port>`).
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Applies `fault` to the requests `matcher` matches, `times` of them. Rules are tried in the
    /// order injected; the first that matches and has uses left applies.
    pub fn inject(&self, matcher: Matcher, fault: Fault, times: Times) {
        lock(&self.shared.rules).push(Rule {
            matcher,
            fault,
            left: match times {
                Times::Next(n) => Some(n),
                Times::Every => None,
            },
        });
    }

    /// Removes every rule: from now on, requests pass through.
    pub fn heal(&self) {
        lock(&self.shared.rules).clear();
    }

    /// Every request so far, in the order received.
    pub fn log(&self) -> Vec<Exchange> {
        lock(&self.shared.log).clone()
    }

    /// The log once `done` holds of it, or as it is after `within`.
    pub async fn wait_for(
        &self,
        within: Duration,
        done: impl Fn(&[Exchange]) -> bool,
    ) -> Vec<Exchange> {
        let deadline = Instant::now() + within;
        loop {
            let log = self.log();
            if done(&log) || Instant::now() >= deadline {
                return log;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for FaultProxy {
    /// Ends every connection, hung ones included, and every late forward not yet sent.
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Runs `work` until it ends or the proxy stops.
async fn until_stopped(mut stopped: watch::Receiver<bool>, work: impl Future<Output = ()>) {
    tokio::select! {
        _ = stopped.wait_for(|stop| *stop) => {}
        () = work => {}
    }
}

async fn accept(listener: TcpListener, shared: Arc<Shared>, stopped: watch::Receiver<bool>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of descriptors, most likely: let the connections in flight end first.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let shared = Arc::clone(&shared);
        let service_stopped = stopped.clone();
        let service = hyper::service::service_fn(move |request| {
            handle(Arc::clone(&shared), service_stopped.clone(), request)
        });
        let connection = hyper::server::conn::http1::Builder::new()
            .serve_connection(TokioIo::new(stream), service);
        tokio::spawn(until_stopped(stopped.clone(), async move {
            let _ = connection.await;
        }));
    }
}

/// The service's error: hyper closes the connection without answering.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the fault proxy dropped the connection")
    }
}

impl std::error::Error for Dropped {}

type Answered = Result<Response<Full<Bytes>>, Dropped>;

async fn handle(
    shared: Arc<Shared>,
    stopped: watch::Receiver<bool>,
    request: Request<Incoming>,
) -> Answered {
    let (parts, body) = request.into_parts();
    let body = body.collect().await.map_err(|_| Dropped)?.to_bytes();
    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (seq, fault) = shared.admit(&Seen {
        parts: &parts,
        target,
        body: &body,
    });
    match fault {
        None => pass_through(&shared, seq, &parts, body).await,
        Some(Fault::Late(delay)) => {
            tokio::time::sleep(delay).await;
            pass_through(&shared, seq, &parts, body).await
        }
        Some(Fault::LoseAnswer) => {
            let upstream = forward(&shared.upstream, &parts, body).await;
            shared.upstream(seq, upstream_of(&upstream));
            shared.answer(seq, Answer::Dropped);
            Err(Dropped)
        }
        Some(Fault::LoseAnswerAs(status)) => {
            let upstream = forward(&shared.upstream, &parts, body).await;
            shared.upstream(seq, upstream_of(&upstream));
            Ok(injected(&shared, seq, status))
        }
        Some(Fault::Fail(status)) => Ok(injected(&shared, seq, status)),
        Some(Fault::DropThenApply(delay)) => {
            shared.answer(seq, Answer::Dropped);
            let later = Arc::clone(&shared);
            tokio::spawn(until_stopped(stopped, async move {
                tokio::time::sleep(delay).await;
                let upstream = forward(&later.upstream, &parts, body).await;
                later.upstream(seq, upstream_of(&upstream));
            }));
            Err(Dropped)
        }
        Some(Fault::Hang) => std::future::pending().await,
        Some(Fault::HangFor(delay)) => {
            tokio::time::sleep(delay).await;
            shared.answer(seq, Answer::Dropped);
            Err(Dropped)
        }
    }
}

fn upstream_of(forwarded: &Result<UpstreamResponse, String>) -> Upstream {
    match forwarded {
        Ok(response) => Upstream::Answered(response.status.as_u16()),
        Err(error) => Upstream::Unreachable(error.clone()),
    }
}

async fn pass_through(
    shared: &Shared,
    seq: usize,
    parts: &hyper::http::request::Parts,
    body: Bytes,
) -> Answered {
    match forward(&shared.upstream, parts, body).await {
        Ok(upstream) => {
            shared.upstream(seq, Upstream::Answered(upstream.status.as_u16()));
            shared.answer(seq, Answer::Status(upstream.status.as_u16()));
            let mut response = Response::new(Full::new(upstream.body));
            *response.status_mut() = upstream.status;
            *response.headers_mut() = end_to_end(&upstream.headers);
            Ok(response)
        }
        Err(error) => {
            shared.upstream(seq, Upstream::Unreachable(error));
            Ok(injected(shared, seq, 502))
        }
    }
}

/// An answer the proxy makes up, in the AWS JSON protocol's error shape (fakes read only the status).
fn injected(shared: &Shared, seq: usize, status: u16) -> Response<Full<Bytes>> {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    shared.answer(seq, Answer::Status(status.as_u16()));
    let body = serde_json::json!({
        "__type": "FaultProxy",
        "message": format!("answered {} by the fault proxy", status.as_u16()),
    });
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-amz-json-1.0"),
    );
    response
}

struct UpstreamResponse {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

/// Sends the request to the upstream on a connection of its own and reads the whole answer.
async fn forward(
    upstream: &str,
    parts: &hyper::http::request::Parts,
    body: Bytes,
) -> Result<UpstreamResponse, String> {
    let stream = TcpStream::connect(upstream)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    tokio::spawn(connection);
    let path = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_owned(), |p| p.to_string());
    let mut request = Request::new(Full::new(body));
    *request.method_mut() = parts.method.clone();
    *request.uri_mut() = path.parse().map_err(|e| format!("path: {e}"))?;
    // The client's own Host stays: the request upstream is the one the client signed.
    *request.headers_mut() = end_to_end(&parts.headers);
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| format!("request: {e}"))?;
    let (answer, body) = response.into_parts();
    let body = body
        .collect()
        .await
        .map_err(|e| format!("answer: {e}"))?
        .to_bytes();
    Ok(UpstreamResponse {
        status: answer.status,
        headers: answer.headers,
        body,
    })
}

/// The headers without those about one connection (the proxy sends whole bodies, with their length).
fn end_to_end(headers: &HeaderMap) -> HeaderMap {
    const HOP_BY_HOP: &[&str] = &[
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
    ];
    headers
        .iter()
        .filter(|(name, _)| !HOP_BY_HOP.contains(&name.as_str()))
        .map(|(name, value)| (HeaderName::clone(name), value.clone()))
        .collect()
}
