//! The server's bounds, on in-memory connections and tokio's paused clock: every wait below is
//! virtual, so the assertions on elapsed time are exact rather than hopeful.

use std::time::Duration;

use async_trait::async_trait;
use lambda_http::http::Method;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _, DuplexStream};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::*;
use crate::functions::http::Hook;

struct Echo;

#[async_trait]
impl Hook for Echo {
    async fn handle_at(&self, request: Request, _now: jiff::Timestamp) -> Response<Body> {
        plain(
            StatusCode::OK,
            &format!("{} bytes", request.body().as_ref().len()),
        )
    }
}

/// Connections (or accept errors) handed to the server one by one, as a test scripts them.
struct Scripted(mpsc::UnboundedReceiver<io::Result<DuplexStream>>);

impl Accept for Scripted {
    type Stream = DuplexStream;
    async fn accept(&mut self) -> io::Result<(DuplexStream, SocketAddr)> {
        match self.0.recv().await {
            Some(next) => next.map(|stream| (stream, SocketAddr::from(([127, 0, 0, 1], 9)))),
            None => std::future::pending().await,
        }
    }
}

struct Server {
    script: mpsc::UnboundedSender<io::Result<DuplexStream>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    fn start(limits: Limits) -> Self {
        let (script, scripted) = mpsc::unbounded_channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let routes = Routes::new()
            .route(Method::POST, "/hooks/echo", Arc::new(Echo))
            .route(Method::GET, "/hooks/echo", Arc::new(Echo));
        let task = tokio::spawn(serve_with(
            Scripted(scripted),
            Arc::new(routes),
            limits,
            async {
                let _ = stopped.await;
            },
        ));
        Self {
            script,
            stop: Some(stop),
            task,
        }
    }

    /// A new client connection.
    fn connect(&self) -> DuplexStream {
        let (client, server) = tokio::io::duplex(64 * 1024);
        self.script.send(Ok(server)).expect("the server listens");
        client
    }

    fn fail_accept(&self, error: io::Error) {
        self.script.send(Err(error)).expect("the server listens");
    }

    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        tokio::time::timeout(Duration::from_secs(60), self.task)
            .await
            .expect("the server stops when asked")
            .expect("the server task");
    }
}

const GOOD_REQUEST: &[u8] =
    b"POST /hooks/echo HTTP/1.1\r\nHost: clinic\r\nContent-Length: 3\r\n\r\nabc";

/// Everything the server sends until it closes the connection; `None` if it is still open after
/// a virtual minute.
async fn until_closed(client: &mut DuplexStream) -> Option<String> {
    let mut received = Vec::new();
    let read =
        tokio::time::timeout(Duration::from_secs(60), client.read_to_end(&mut received)).await;
    match read {
        Ok(_) => Some(String::from_utf8_lossy(&received).into_owned()),
        Err(_) => None,
    }
}

/// Reads one whole answer to [`GOOD_REQUEST`] (its body is `3 bytes`).
async fn one_answer(client: &mut DuplexStream) -> String {
    let mut received = Vec::new();
    let mut chunk = [0u8; 1024];
    while !received.ends_with(b"3 bytes") {
        let n = tokio::time::timeout(Duration::from_secs(60), client.read(&mut chunk))
            .await
            .expect("an answer within a virtual minute")
            .expect("a readable connection");
        assert!(
            n > 0,
            "closed before answering: {:?}",
            String::from_utf8_lossy(&received)
        );
        received.extend_from_slice(&chunk[..n]);
    }
    String::from_utf8_lossy(&received).into_owned()
}

#[tokio::test(start_paused = true)]
async fn a_well_behaved_request_is_answered_by_its_route() {
    let server = Server::start(Limits::DEFAULT);
    let mut client = server.connect();
    client.write_all(GOOD_REQUEST).await.unwrap();
    let answer = one_answer(&mut client).await;
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    server.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_head_gets_the_headers_of_a_get_and_no_body() {
    let server = Server::start(Limits::DEFAULT);
    let mut client = server.connect();
    client
        .write_all(b"HEAD /hooks/echo HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let answer = until_closed(&mut client).await.expect("an answer");
    let lower = answer.to_ascii_lowercase();
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    assert!(lower.contains("content-length: 7\r\n"), "{answer}");
    assert!(
        lower.contains("content-type: text/plain; charset=utf-8\r\n"),
        "{answer}"
    );
    assert!(answer.ends_with("\r\n\r\n"), "a body was sent: {answer}");
    server.stop().await;
}

#[tokio::test(start_paused = true)]
async fn an_unknown_path_is_a_plain_text_404() {
    let server = Server::start(Limits::DEFAULT);
    let mut client = server.connect();
    client
        .write_all(b"GET /nowhere HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let answer = until_closed(&mut client).await.expect("an answer");
    assert!(answer.starts_with("HTTP/1.1 404 Not Found"), "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("content-type: text/plain; charset=utf-8\r\n"),
        "{answer}"
    );
    server.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_client_sending_its_headers_byte_by_byte_is_cut_off_at_the_header_timeout() {
    let server = Server::start(Limits::DEFAULT);
    let client = server.connect();
    let (mut reading, mut writing) = tokio::io::split(client);
    let started = Instant::now();
    // One byte a second, forever: each arrives well within any per-byte timeout.
    let trickle = tokio::spawn(async move {
        let head = b"POST /hooks/echo HTTP/1.1\r\nHost: clinic\r\nX-Slow: ";
        for byte in head.iter().chain(std::iter::repeat(&b'a')) {
            if writing.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
    let mut received = Vec::new();
    tokio::time::timeout(Duration::from_secs(60), reading.read_to_end(&mut received))
        .await
        .expect("the server closes the connection")
        .expect("a readable connection");
    let held = started.elapsed();
    assert!(held >= HEADER_READ_TIMEOUT, "{held:?}");
    assert!(
        held < HEADER_READ_TIMEOUT + Duration::from_secs(2),
        "{held:?}"
    );
    let answer = String::from_utf8_lossy(&received);
    assert!(!answer.contains("200 OK"), "{answer}");
    trickle.abort();
    server.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_client_that_stalls_its_body_gets_408_at_the_body_timeout_and_the_connection_closes() {
    let server = Server::start(Limits::DEFAULT);
    let mut client = server.connect();
    let started = Instant::now();
    client
        .write_all(
            b"POST /hooks/echo HTTP/1.1\r\nHost: clinic\r\nContent-Length: 100\r\n\r\nonly ten b",
        )
        .await
        .unwrap();
    let answer = until_closed(&mut client)
        .await
        .expect("the server closes the connection");
    let held = started.elapsed();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(held >= BODY_READ_TIMEOUT, "{held:?}");
    assert!(
        held < BODY_READ_TIMEOUT + Duration::from_secs(2),
        "{held:?}"
    );
    server.stop().await;
}

#[tokio::test(start_paused = true)]
async fn an_idle_kept_alive_connection_is_closed_at_the_header_timeout() {
    let server = Server::start(Limits::DEFAULT);
    let mut client = server.connect();
    client.write_all(GOOD_REQUEST).await.unwrap();
    let answer = one_answer(&mut client).await;
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    let idle_from = Instant::now();
    let rest = until_closed(&mut client)
        .await
        .expect("the idle connection is closed");
    let idle = idle_from.elapsed();
    assert!(!rest.contains("200 OK"), "{rest}");
    assert!(idle >= HEADER_READ_TIMEOUT, "{idle:?}");
    assert!(
        idle < HEADER_READ_TIMEOUT + Duration::from_secs(2),
        "{idle:?}"
    );
    server.stop().await;
}

#[tokio::test(start_paused = true)]
async fn more_silent_connections_than_the_limit_delay_a_good_request_only_until_the_header_timeout()
{
    let limits = Limits {
        connections: 4,
        ..Limits::DEFAULT
    };
    let server = Server::start(limits);
    let silent: Vec<DuplexStream> = (0..=limits.connections).map(|_| server.connect()).collect();
    let started = Instant::now();
    let mut client = server.connect();
    client.write_all(GOOD_REQUEST).await.unwrap();
    let answer = one_answer(&mut client).await;
    let waited = started.elapsed();
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    // It waited for a slot: the four silent connections holding them were cut off first.
    assert!(waited >= HEADER_READ_TIMEOUT, "{waited:?}");
    assert!(
        waited < HEADER_READ_TIMEOUT + Duration::from_secs(2),
        "{waited:?}"
    );
    drop(silent);
    server.stop().await;
}

#[tokio::test(start_paused = true)]
async fn an_accept_error_is_waited_out_and_the_next_connection_is_served() {
    let server = Server::start(Limits::DEFAULT);
    let started = Instant::now();
    for _ in 0..3 {
        // EMFILE: the process is out of file descriptors.
        server.fail_accept(io::Error::from_raw_os_error(24));
    }
    let mut client = server.connect();
    client.write_all(GOOD_REQUEST).await.unwrap();
    let answer = one_answer(&mut client).await;
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    // 10 + 20 + 40 ms of back-off before the connection was taken.
    assert!(
        started.elapsed() >= Duration::from_millis(70),
        "{:?}",
        started.elapsed()
    );
    server.stop().await;
}

#[tokio::test(start_paused = true)]
async fn the_server_stops_when_asked_even_with_every_slot_taken() {
    let server = Server::start(Limits {
        connections: 1,
        ..Limits::DEFAULT
    });
    let _held = server.connect();
    let _waiting = server.connect();
    tokio::time::sleep(Duration::from_millis(1)).await;
    server.stop().await;
}

#[test]
fn the_accept_back_off_doubles_from_10_ms_to_1_s_and_starts_over_after_a_success() {
    let mut backoff = Backoff::new();
    let waits: Vec<u128> = (0..9).map(|_| backoff.next().as_millis()).collect();
    assert_eq!(waits, [10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
    backoff.reset();
    assert_eq!(backoff.next(), ACCEPT_BACKOFF_FIRST);
}
