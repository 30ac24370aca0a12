//! The fault proxy as a process, for trying a fault by hand: prints `ready <url>`, then one line per
//! request once the proxy is done with it (a hung one is never printed).
//!
//! `fault-proxy UPSTREAM [RULE...]`, a rule being `FAULT@TARGET[*N]`: FAULT one of `lose`,
//! `lose=STATUS`, `fail=STATUS`, `late=MS`, `drop-then-apply=MS`, `hang`, `hang=MS`; TARGET an
//! `X-Amz-Target` operation (`PutItem`) or `*` for every request; N how many (every one without).
//! Example: `fault-proxy http://127.0.0.1:5000 lose@PutItem*1 hang@Query`.

use std::time::Duration;

use clinic_tests::fault_proxy::{Answer, Fault, FaultProxy, Matcher, Times, Upstream};

fn parse(rule: &str) -> Result<(Matcher, Fault, Times), String> {
    let (fault, rest) = rule.split_once('@').ok_or("no @TARGET")?;
    let (target, times) = match rest.split_once('*') {
        Some((target, n)) => (
            target,
            Times::Next(n.parse().map_err(|_| "N is not a number")?),
        ),
        None => (rest, Times::Every),
    };
    let matcher = if target == "*" {
        Matcher::any()
    } else {
        Matcher::aws_target(target)
    };
    let (name, value) = fault.split_once('=').unwrap_or((fault, ""));
    let number = || {
        value
            .parse::<u64>()
            .map_err(|_| format!("{fault}: not a number"))
    };
    let fault = match name {
        "lose" if value.is_empty() => Fault::LoseAnswer,
        "lose" => Fault::LoseAnswerAs(u16::try_from(number()?).map_err(|e| e.to_string())?),
        "fail" => Fault::Fail(u16::try_from(number()?).map_err(|e| e.to_string())?),
        "late" => Fault::Late(Duration::from_millis(number()?)),
        "drop-then-apply" => Fault::DropThenApply(Duration::from_millis(number()?)),
        "hang" if value.is_empty() => Fault::Hang,
        "hang" => Fault::HangFor(Duration::from_millis(number()?)),
        _ => return Err(format!("unknown fault {name}")),
    };
    Ok((matcher, fault, times))
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let Some(upstream) = args.next() else {
        eprintln!("usage: fault-proxy UPSTREAM [FAULT@TARGET[*N]...]");
        std::process::exit(2);
    };
    let mut rules = Vec::new();
    for rule in args {
        match parse(&rule) {
            Ok(parsed) => rules.push(parsed),
            Err(problem) => {
                eprintln!("rule {rule}: {problem}");
                std::process::exit(2);
            }
        }
    }
    let proxy = FaultProxy::start(&upstream).await;
    for (matcher, fault, times) in rules {
        proxy.inject(matcher, fault, times);
    }
    println!("ready {}", proxy.url());
    let mut printed = std::collections::BTreeSet::new();
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        // Each request once, when its answer and any late forward are settled (a hung one never is).
        for exchange in proxy.log() {
            let settled =
                exchange.answer != Answer::Pending && exchange.upstream != Upstream::Pending;
            if !settled || !printed.insert(exchange.seq) {
                continue;
            }
            println!(
                "{:>5} {:>8.3}s {} {} {} fault={:?} upstream={:?} answer={:?}",
                exchange.seq,
                exchange.at.as_secs_f64(),
                exchange.method,
                exchange.path,
                exchange.operation().unwrap_or("-"),
                exchange.fault,
                exchange.upstream,
                exchange.answer,
            );
        }
    }
}
