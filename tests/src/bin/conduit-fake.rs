//! The Conduit fake as a process, for `make demo`: seeded with the rules' projects and people and the
//! tasks of a world file, on a free loopback port written to `--port-file`. Stops on SIGTERM.
//! `--now RFC3339` sets Phorge's clock (the tasks are filed ten minutes before it; default: now).

use std::path::PathBuf;

use clinic::triage::rules::Rules;
use clinic_tests::conduit_fake::{ConduitFake, TaskSpec};
use clinic_tests::triage_rig::seed;

fn arg(name: &str) -> Result<PathBuf, String> {
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == name {
            return args
                .next()
                .map(PathBuf::from)
                .ok_or(format!("{name} needs a value"));
        }
    }
    Err(format!(
        "usage: conduit-fake --rules FILE --tasks FILE --port-file FILE (missing {name})"
    ))
}

fn read(path: &PathBuf) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let rules = Rules::parse(&read(&arg("--rules")?)?).map_err(|e| e.to_string())?;
    let tasks: Vec<TaskSpec> =
        serde_json::from_str(&read(&arg("--tasks")?)?).map_err(|e| format!("tasks file: {e}"))?;
    let fake = ConduitFake::start().await;
    seed(&fake, &rules);
    let now = match arg("--now") {
        Ok(text) => text
            .to_string_lossy()
            .parse::<jiff::Timestamp>()
            .map_err(|e| format!("--now: {e}"))?,
        Err(_) => jiff::Timestamp::now(),
    };
    fake.set_now(now.as_second() - 600);
    for task in &tasks {
        fake.create_task_with_phids(task);
    }
    let port_file = arg("--port-file")?;
    std::fs::write(&port_file, fake.address().port().to_string())
        .map_err(|e| format!("cannot write {}: {e}", port_file.display()))?;
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| e.to_string())?;
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    for call in fake.calls().iter().filter(|c| c.method == "maniphest.edit") {
        eprintln!(
            "conduit-fake: maniphest.edit {}",
            call.params["objectIdentifier"]
        );
    }
    Ok(())
}
