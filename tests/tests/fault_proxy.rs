//! The fault proxy itself, seen from a client, in front of a tiny upstream that counts what it
//! applied: every fault does what it says, and a lost answer was really applied upstream.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clinic_tests::fault_proxy::{Answer, Fault, FaultProxy, Matcher, Times, Upstream};
use http_body_util::{BodyExt as _, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

/// An upstream that applies every request it gets: it counts them and keeps their bodies.
struct Counter {
    url: String,
    applied: Arc<AtomicUsize>,
    bodies: Arc<Mutex<Vec<String>>>,
}

impl Counter {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let applied = Arc::new(AtomicUsize::new(0));
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let (count, kept) = (applied.clone(), bodies.clone());
        tokio::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                let (count, kept) = (count.clone(), kept.clone());
                let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                    let (count, kept) = (count.clone(), kept.clone());
                    async move {
                        let echoed = request
                            .headers()
                            .get("x-echo")
                            .cloned()
                            .unwrap_or_else(|| "none".parse().unwrap());
                        let body = request.into_body().collect().await?.to_bytes();
                        kept.lock()
                            .unwrap()
                            .push(String::from_utf8_lossy(&body).into_owned());
                        let n = count.fetch_add(1, Ordering::SeqCst) + 1;
                        let mut response =
                            Response::new(Full::new(Bytes::from(format!("applied {n}"))));
                        response.headers_mut().insert("x-echo", echoed);
                        Ok::<_, hyper::Error>(response)
                    }
                });
                tokio::spawn(
                    hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service),
                );
            }
        });
        Self {
            url,
            applied,
            bodies,
        }
    }

    fn applied(&self) -> usize {
        self.applied.load(Ordering::SeqCst)
    }
}

/// A client that opens a connection per request, so that one request's fault never meets another's.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
}

async fn rig() -> (Counter, FaultProxy) {
    let upstream = Counter::start().await;
    let proxy = FaultProxy::start(&upstream.url).await;
    (upstream, proxy)
}

#[tokio::test]
async fn a_request_no_rule_matches_passes_through_with_its_headers_body_and_answer() {
    let (upstream, proxy) = rig().await;
    let response = client()
        .post(format!("{}/items?x=1", proxy.url()))
        .header("x-echo", "kept")
        .body("the body")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-echo"], "kept");
    assert_eq!(response.text().await.unwrap(), "applied 1");
    assert_eq!(*upstream.bodies.lock().unwrap(), vec!["the body"]);
    let log = proxy.log();
    assert_eq!(log.len(), 1);
    assert_eq!(
        (log[0].method.as_str(), log[0].path.as_str(), log[0].fault),
        ("POST", "/items?x=1", None)
    );
    assert_eq!(log[0].upstream, Upstream::Answered(200));
    assert_eq!(log[0].answer, Answer::Status(200));
}

#[tokio::test]
async fn a_lost_answer_was_applied_upstream_and_the_client_sees_the_connection_close() {
    let (upstream, proxy) = rig().await;
    proxy.inject(Matcher::any(), Fault::LoseAnswer, Times::Next(1));
    let lost = client().post(proxy.url()).body("once").send().await;
    assert!(lost.is_err(), "{lost:?}");
    assert_eq!(upstream.applied(), 1, "applied, though nobody heard of it");
    let again = client()
        .post(proxy.url())
        .body("twice")
        .send()
        .await
        .unwrap();
    assert_eq!(again.text().await.unwrap(), "applied 2");
    let log = proxy.log();
    assert!(log[0].applied());
    assert_eq!(
        (log[0].fault, log[0].answer),
        (Some(Fault::LoseAnswer), Answer::Dropped)
    );
    assert_eq!((log[1].fault, log[1].answer), (None, Answer::Status(200)));
}

#[tokio::test]
async fn a_lost_answer_can_come_back_as_a_500_instead() {
    let (upstream, proxy) = rig().await;
    proxy.inject(Matcher::any(), Fault::LoseAnswerAs(500), Times::Next(1));
    let response = client().put(proxy.url()).send().await.unwrap();
    assert_eq!(response.status(), 500);
    assert_eq!(upstream.applied(), 1);
    let log = proxy.log();
    assert!(log[0].applied());
    assert_eq!(log[0].answer, Answer::Status(500));
}

#[tokio::test]
async fn a_failed_request_is_answered_with_its_status_and_never_reaches_the_upstream() {
    let (upstream, proxy) = rig().await;
    proxy.inject(Matcher::any(), Fault::Fail(503), Times::Next(1));
    let response = client().post(proxy.url()).send().await.unwrap();
    assert_eq!(response.status(), 503);
    assert!(response.text().await.unwrap().contains("fault proxy"));
    assert_eq!(upstream.applied(), 0);
    assert_eq!(proxy.log()[0].upstream, Upstream::NotSent);
}

#[tokio::test]
async fn a_late_request_is_applied_and_answered_after_its_delay() {
    let (upstream, proxy) = rig().await;
    proxy.inject(
        Matcher::any(),
        Fault::Late(Duration::from_millis(300)),
        Times::Every,
    );
    let started = Instant::now();
    let response = client().get(proxy.url()).send().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(response.text().await.unwrap(), "applied 1");
    assert_eq!(upstream.applied(), 1);
}

#[tokio::test]
async fn a_request_dropped_at_once_is_applied_upstream_later() {
    let (upstream, proxy) = rig().await;
    proxy.inject(
        Matcher::any(),
        Fault::DropThenApply(Duration::from_millis(400)),
        Times::Next(1),
    );
    let started = Instant::now();
    let dropped = client().post(proxy.url()).body("late").send().await;
    assert!(dropped.is_err(), "{dropped:?}");
    assert!(started.elapsed() < Duration::from_millis(400));
    assert_eq!(upstream.applied(), 0, "not yet");
    let log = proxy
        .wait_for(Duration::from_secs(5), |log| log[0].applied())
        .await;
    assert_eq!(upstream.applied(), 1, "{log:?}");
    assert_eq!(log[0].answer, Answer::Dropped);
    assert!(started.elapsed() >= Duration::from_millis(400));
}

#[tokio::test]
async fn a_hung_request_is_never_answered_nor_forwarded_and_stopping_the_proxy_ends_it() {
    let (upstream, proxy) = rig().await;
    proxy.inject(Matcher::any(), Fault::Hang, Times::Every);
    let timed_out = client()
        .get(proxy.url())
        .timeout(Duration::from_millis(300))
        .send()
        .await
        .unwrap_err();
    assert!(timed_out.is_timeout(), "{timed_out:?}");
    assert_eq!(upstream.applied(), 0);
    assert_eq!(
        (proxy.log()[0].upstream.clone(), proxy.log()[0].answer),
        (Upstream::NotSent, Answer::Pending)
    );
    let waiting = tokio::spawn(client().get(proxy.url()).send());
    proxy
        .wait_for(Duration::from_secs(5), |log| log.len() == 2)
        .await;
    drop(proxy);
    let ended = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("the hung request ends with the proxy")
        .unwrap();
    assert!(ended.is_err(), "{ended:?}");
}

#[tokio::test]
async fn a_request_hung_for_a_while_then_has_its_connection_closed() {
    let (upstream, proxy) = rig().await;
    proxy.inject(
        Matcher::any(),
        Fault::HangFor(Duration::from_millis(300)),
        Times::Next(1),
    );
    let started = Instant::now();
    let dropped = client().get(proxy.url()).send().await;
    assert!(dropped.is_err(), "{dropped:?}");
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(upstream.applied(), 0);
    assert_eq!(proxy.log()[0].answer, Answer::Dropped);
}

#[tokio::test]
async fn a_rule_applies_to_the_requests_it_matches_as_many_times_as_it_says() {
    let (upstream, proxy) = rig().await;
    proxy.inject(
        Matcher::aws_target("PutItem")
            .method("post")
            .path_prefix("/tables")
            .body_contains("\"pk\":\"a\""),
        Fault::Fail(500),
        Times::Next(2),
    );
    let http = client();
    let send = |target: &'static str, path: &'static str, body: &'static str| {
        http.post(format!("{}{path}", proxy.url()))
            .header("x-amz-target", target)
            .body(body)
            .send()
    };
    let put = "DynamoDB_20120810.PutItem";
    let statuses = [
        send(put, "/tables", r#"{"pk":"a"}"#)
            .await
            .unwrap()
            .status(),
        send(put, "/tables", r#"{"pk":"b"}"#)
            .await
            .unwrap()
            .status(),
        send(put, "/other", r#"{"pk":"a"}"#).await.unwrap().status(),
        send("DynamoDB_20120810.BatchPutItem", "/tables", r#"{"pk":"a"}"#)
            .await
            .unwrap()
            .status(),
        send(put, "/tables/x", r#"{"pk":"a"}"#)
            .await
            .unwrap()
            .status(),
        send(put, "/tables", r#"{"pk":"a"}"#)
            .await
            .unwrap()
            .status(),
    ];
    assert_eq!(statuses.map(|s| s.as_u16()), [500, 200, 200, 200, 500, 200]);
    assert_eq!(upstream.applied(), 4);
    let log = proxy.log();
    assert_eq!(log[0].operation(), Some("PutItem"));
    assert_eq!(
        log.iter().filter(|e| e.fault.is_some()).count(),
        2,
        "{log:?}"
    );
}

#[tokio::test]
async fn rules_are_tried_in_order_and_healing_removes_them() {
    let (upstream, proxy) = rig().await;
    proxy.inject(
        Matcher::any().header("x-echo", "first"),
        Fault::Fail(429),
        Times::Every,
    );
    proxy.inject(Matcher::any(), Fault::Fail(503), Times::Every);
    let http = client();
    let first = http.get(proxy.url()).header("x-echo", "first").send();
    assert_eq!(first.await.unwrap().status(), 429);
    assert_eq!(http.get(proxy.url()).send().await.unwrap().status(), 503);
    proxy.heal();
    assert_eq!(http.get(proxy.url()).send().await.unwrap().status(), 200);
    assert_eq!(upstream.applied(), 1);
}
