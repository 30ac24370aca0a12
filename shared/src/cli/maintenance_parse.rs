//! `clinic maintenance parse FILE.eml...`: one file prints its JSON list (or fails with exit 1 and the
//! reason on stderr); several files print one JSON object mapping each path, as given, to its list or to
//! `{"error": "..."}`. With several files a notice that cannot be parsed is data, not a tool failure, so
//! the exit code is 0 unless a file could not be read at all (then 1, and its entry says why). That is
//! the machine contract (the conformance tool's), used with `--json` or whenever stdout is not a
//! terminal. On a terminal the same results are printed for a person: times as dates in UTC, each
//! failure on stderr after `clinic:`, and exit status 1 when any file failed.

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};

use crate::maintenance::{MAX_NOTICE_BYTES, parse_notice};

/// Runs the command on `paths`; returns what to print on stdout and the exit code. Error messages of the
/// single-file form are written to stderr here, as the command contract says.
pub fn parse_files_cli(paths: &[PathBuf]) -> (String, i32) {
    match paths {
        [] => {
            eprintln!("clinic: usage: clinic maintenance parse FILE.eml...");
            (String::new(), 2)
        }
        [path] => match read_file(path)
            .map_err(|e| e.to_string())
            .and_then(|raw| parse_notice(&raw).map_err(|e| e.to_string()))
        {
            Ok(maintenances) => (to_json(&maintenances), 0),
            Err(reason) => {
                eprintln!("clinic: {}: {reason}", path.display());
                (String::new(), 1)
            }
        },
        _ => {
            let entries = parse_all(paths);
            let unreadable = entries.iter().any(|(_, _, readable)| !readable);
            let results: BTreeMap<String, Value> = entries
                .into_iter()
                .map(|(path, entry, _)| (path, entry))
                .collect();
            (to_json(&results), i32::from(unreadable))
        }
    }
}

/// The results for a person: one block per file, times in UTC; failures go to stderr.
pub fn parse_files_human(paths: &[PathBuf]) -> (String, i32) {
    let mut out = String::new();
    let mut failed = 0;
    for path in paths {
        let result = read_file(path)
            .map_err(|e| e.to_string())
            .and_then(|raw| parse_notice(&raw).map_err(|e| e.to_string()));
        match result {
            Ok(maintenances) => {
                out.push_str(&format!(
                    "{}: {} maintenance{}\n",
                    path.display(),
                    maintenances.len(),
                    if maintenances.len() == 1 { "" } else { "s" }
                ));
                for m in &maintenances {
                    out.push_str(&describe_maintenance(m));
                }
            }
            Err(reason) => {
                failed += 1;
                eprintln!("clinic: {}: {reason}", path.display());
            }
        }
    }
    if failed > 0 && paths.len() > 1 {
        eprintln!(
            "clinic: {failed} of {} files could not be parsed",
            paths.len()
        );
    }
    (out, i32::from(failed > 0))
}

fn describe_maintenance(m: &crate::maintenance::Maintenance) -> String {
    let circuits: Vec<String> = m
        .circuits
        .iter()
        .map(|c| format!("{} ({})", c.circuit_id, word(&c.impact)))
        .collect();
    let end = if m.open_ended {
        "an end not given (open-ended)".to_owned()
    } else {
        utc(m.end)
    };
    let reading = if m.reading.is_template() {
        ""
    } else {
        " (generic reading: unverified)"
    };
    format!(
        "  {} {} [{}] {} to {}{reading}\n    circuits: {}\n",
        m.provider,
        m.maintenance_id,
        word(&m.status),
        utc(m.start),
        end,
        if circuits.is_empty() {
            "none named".to_owned()
        } else {
            circuits.join(", ")
        }
    )
}

/// A value's serialised name (`CONFIRMED`, `OUTAGE`), as the JSON output spells it.
fn word<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(text)) => text,
        Ok(other) => other.to_string(),
        Err(_) => "?".to_owned(),
    }
}

/// Unix seconds as a person reads them.
fn utc(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds)
        .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|_| format!("{seconds} (not a time)"))
}

/// Each path with its JSON entry and whether the file could be read. Files are independent, so they are
/// shared out over the available cores (at most four threads), each thread taking the next unparsed file.
fn parse_all(paths: &[PathBuf]) -> Vec<(String, Value, bool)> {
    let threads = std::env::var("CLINIC_PARSE_THREADS")
        .ok()
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, 4)
        .min(paths.len());
    if threads <= 1 {
        return paths.iter().map(parse_one).collect();
    }
    let next = AtomicUsize::new(0);
    let done: Vec<(String, Value, bool)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    while let Some(path) = paths.get(next.fetch_add(1, Ordering::Relaxed)) {
                        mine.push(parse_one(path));
                    }
                    mine
                })
            })
            .collect();
        // A worker can only fail by panicking; the files it had are then reported below rather than lost.
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_default())
            .collect()
    });
    let mut entries = done;
    for path in paths {
        let name = path.to_string_lossy();
        if !entries.iter().any(|(n, _, _)| *n == name) {
            entries.push((
                name.into_owned(),
                json!({ "error": "internal error while parsing this file" }),
                true,
            ));
        }
    }
    entries
}

fn parse_one(path: &PathBuf) -> (String, Value, bool) {
    let name = path.to_string_lossy().into_owned();
    match read_file(path) {
        Err(error) => (name, json!({ "error": error.to_string() }), false),
        Ok(raw) => {
            let entry = match parse_notice(&raw) {
                Ok(maintenances) => serde_json::to_value(maintenances).unwrap_or(Value::Null),
                Err(error) => json!({ "error": error.to_string() }),
            };
            (name, entry, true)
        }
    }
}

#[derive(Debug, thiserror::Error)]
enum FileError {
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
    #[error("the file is {size} bytes, more than the {limit}-byte limit; it was not read")]
    TooLarge { size: u64, limit: usize },
}

/// Reads a file, refusing one over the notice size limit before reading it.
fn read_file(path: &PathBuf) -> Result<Vec<u8>, FileError> {
    let size = fs::metadata(path)?.len();
    if size > MAX_NOTICE_BYTES as u64 {
        return Err(FileError::TooLarge {
            size,
            limit: MAX_NOTICE_BYTES,
        });
    }
    Ok(fs::read(path)?)
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_else(|_| "null".to_string());
    text.push('\n');
    text
}
