//! Cold start of a Lambda binary, measured: a local Lambda Runtime API on loopback hands the binary one
//! event and times process start → the binary's first answer (its response or its error report).
//!
//! `coldstart --runs N --event FILE [--env NAME=VALUE]... BINARY` prints one JSON line with the
//! median, minimum and 90th percentile in milliseconds. Each run is a fresh process on a fresh port.

use std::convert::Infallible;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

const REQUEST_ID: &str = "cold-start-0000-0000-000000000001";
const NEXT: &str = "/2018-06-01/runtime/invocation/next";

struct Args {
    runs: usize,
    event: Vec<u8>,
    env: Vec<(String, String)>,
    binary: PathBuf,
}

fn usage(problem: &str) -> ! {
    eprintln!("coldstart: {problem}");
    eprintln!("usage: coldstart --runs N --event FILE [--env NAME=VALUE]... BINARY");
    std::process::exit(2);
}

fn parse_args() -> Args {
    let mut runs = 20;
    let mut event = None;
    let mut env = Vec::new();
    let mut binary = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |flag: &str| {
            args.next()
                .unwrap_or_else(|| usage(&format!("{flag} needs a value")))
        };
        match arg.as_str() {
            "--runs" => {
                runs = value("--runs")
                    .parse()
                    .ok()
                    .filter(|n| (1..=10_000).contains(n))
                    .unwrap_or_else(|| usage("--runs must be a number from 1 to 10000"));
            }
            "--event" => {
                let path = value("--event");
                event = Some(
                    std::fs::read(&path)
                        .unwrap_or_else(|e| usage(&format!("cannot read {path}: {e}"))),
                );
            }
            "--env" => {
                let pair = value("--env");
                let (name, val) = pair
                    .split_once('=')
                    .unwrap_or_else(|| usage(&format!("--env {pair}: expected NAME=VALUE")));
                env.push((name.to_owned(), val.to_owned()));
            }
            other if other.starts_with("--") => usage(&format!("unknown option {other}")),
            other if binary.is_none() => binary = Some(PathBuf::from(other)),
            other => usage(&format!("unexpected argument {other}")),
        }
    }
    Args {
        runs,
        event: event.unwrap_or_else(|| usage("--event is required")),
        env,
        binary: binary.unwrap_or_else(|| usage("BINARY is required")),
    }
}

/// What the binary answered first.
#[derive(Debug, Clone, PartialEq)]
enum Answer {
    Response,
    Error(String),
    InitError(String),
}

/// The Runtime API for one process: the first `next` gets the event, later ones wait forever (the
/// process is killed once it has answered).
async fn runtime_api(
    listener: TcpListener,
    event: Bytes,
    answered: mpsc::UnboundedSender<Answer>,
) -> Infallible {
    let handed_out = Arc::new(Mutex::new(false));
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let (event, answered, handed_out) = (event.clone(), answered.clone(), handed_out.clone());
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                let (event, answered, handed_out) =
                    (event.clone(), answered.clone(), handed_out.clone());
                async move { Ok::<_, Infallible>(route(request, event, answered, handed_out).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn route(
    request: Request<Incoming>,
    event: Bytes,
    answered: mpsc::UnboundedSender<Answer>,
    handed_out: Arc<Mutex<bool>>,
) -> Response<Full<Bytes>> {
    let path = request.uri().path().to_owned();
    let body = request
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let text = || String::from_utf8_lossy(&body).into_owned();
    if path == NEXT {
        let first = !std::mem::replace(&mut *handed_out.lock().unwrap(), true);
        if !first {
            std::future::pending::<()>().await;
        }
        let deadline = jiff::Timestamp::now().as_millisecond() + 30_000;
        return Response::builder()
            .header("lambda-runtime-aws-request-id", REQUEST_ID)
            .header("lambda-runtime-deadline-ms", deadline.to_string())
            .header(
                "lambda-runtime-invoked-function-arn",
                "arn:aws:lambda:eu-west-1:000000000000:function:coldstart",
            )
            .header(
                "lambda-runtime-trace-id",
                "Root=1-00000000-000000000000000000000000",
            )
            .header("content-type", "application/json")
            .body(Full::new(event))
            .unwrap();
    }
    let answer = if path.ends_with("/response") {
        Some(Answer::Response)
    } else if path.ends_with("/error") && path.contains("/invocation/") {
        Some(Answer::Error(text()))
    } else if path.ends_with("/init/error") {
        Some(Answer::InitError(text()))
    } else {
        None
    };
    let status = match answer {
        Some(answer) => {
            let _ = answered.send(answer);
            202
        }
        None => 404,
    };
    Response::builder()
        .status(status)
        .body(Full::new(Bytes::from_static(b"{}")))
        .unwrap()
}

async fn one_run(args: &Args) -> Result<(Duration, Answer), String> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("cannot listen on loopback: {e}"))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    let (answered, mut answers) = mpsc::unbounded_channel();
    let event = Bytes::copy_from_slice(&args.event);
    let server = tokio::spawn(runtime_api(listener, event, answered));

    let mut command = tokio::process::Command::new(&args.binary);
    // Only what Lambda sets and what the caller names: nothing of this shell (its SSL_CERT_DIR, for
    // one, would make TLS set-up read every certificate file twice).
    command
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("LANG", "C.UTF-8")
        .env("TZ", ":UTC")
        .env("AWS_LAMBDA_RUNTIME_API", address.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "coldstart")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "coldstart")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/coldstart")
        .envs(args.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    let started = Instant::now();
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", args.binary.display()))?;
    let answer = tokio::select! {
        answer = answers.recv() => answer.ok_or("the runtime API stopped")?,
        status = child.wait() => return Err(format!("the binary exited before answering: {:?}", status)),
        _ = tokio::time::sleep(Duration::from_secs(30)) => return Err("no answer within 30 s".to_owned()),
    };
    let elapsed = started.elapsed();
    let _ = child.kill().await;
    server.abort();
    Ok((elapsed, answer))
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args = parse_args();
    let mut times = Vec::with_capacity(args.runs);
    let mut first_answer = None;
    for _ in 0..args.runs {
        match one_run(&args).await {
            Ok((elapsed, answer)) => {
                if let Answer::InitError(body) = &answer {
                    eprintln!("coldstart: the binary failed to start: {body}");
                    std::process::exit(1);
                }
                first_answer.get_or_insert(answer);
                times.push(elapsed);
            }
            Err(problem) => {
                eprintln!("coldstart: {problem}");
                std::process::exit(1);
            }
        }
    }
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    let (answer, detail) = match first_answer {
        Some(Answer::Response) => ("response", String::new()),
        Some(Answer::Error(body)) => ("error", body),
        _ => ("none", String::new()),
    };
    let report = serde_json::json!({
        "binary": args.binary.display().to_string(),
        "runs": times.len(),
        "median_ms": (millis(at(0.5)) * 100.0).round() / 100.0,
        "min_ms": (millis(times[0]) * 100.0).round() / 100.0,
        "p90_ms": (millis(at(0.9)) * 100.0).round() / 100.0,
        "answer": answer,
        "error": detail,
    });
    println!("{report}");
}
