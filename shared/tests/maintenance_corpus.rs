//! Every corpus case, parsed in-process and compared with its `.expected.json` by the rules of
//! `shared/tools/conformance.py`: maintenances as a multiset, circuits as sorted (id, impact) lists,
//! times and sequence as integers, strings exact except the summary (whitespace-normalised).

mod corpus_folder;

use serde_json::Value;

use clinic::maintenance::parse_notice;
use corpus_folder::{corpus_or_skip, indexed_mails};

const FIELDS: [&str; 12] = [
    "provider",
    "account",
    "maintenance_id",
    "circuits",
    "status",
    "start",
    "end",
    "stamp",
    "organizer",
    "uid",
    "sequence",
    "summary",
];

/// One maintenance in the comparable form conformance.py builds.
fn comparable(maintenance: &Value) -> Vec<(String, String)> {
    FIELDS
        .iter()
        .map(|&field| {
            let value = maintenance.get(field).cloned().unwrap_or(Value::Null);
            let text = match field {
                "summary" => value
                    .as_str()
                    .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
                    .unwrap_or_default(),
                "start" | "end" | "stamp" | "sequence" => match &value {
                    Value::String(s) => s.trim().to_string(),
                    other => other
                        .as_i64()
                        .map(|n| n.to_string())
                        .unwrap_or_else(|| other.to_string()),
                },
                "circuits" => {
                    let mut circuits: Vec<String> = value
                        .as_array()
                        .map(|list| {
                            list.iter()
                                .map(|c| {
                                    format!(
                                        "{}|{}",
                                        c["circuit_id"].as_str().unwrap_or(""),
                                        c["impact"].as_str().unwrap_or("")
                                    )
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    circuits.sort();
                    circuits.join("\n")
                }
                _ => value
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| value.to_string()),
            };
            (field.to_string(), text)
        })
        .collect()
}

fn multiset(list: &[Value]) -> Vec<Vec<(String, String)>> {
    let mut items: Vec<_> = list.iter().map(comparable).collect();
    items.sort();
    items
}

#[test]
fn every_scored_corpus_case_matches_its_expected_maintenances() {
    let Some(folder) = corpus_or_skip() else {
        return;
    };
    let mut failures = Vec::new();
    let mut scored = 0;
    for mail in indexed_mails(&folder) {
        let name = mail
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let expected_path = mail.with_file_name(name.replace(".eml", ".expected.json"));
        let Ok(expected) = std::fs::read_to_string(&expected_path) else {
            continue;
        };
        scored += 1;
        let expected: Vec<Value> =
            serde_json::from_str(&expected).expect("expected files are JSON lists");
        let raw = std::fs::read(&mail).expect("corpus mail is readable");
        match parse_notice(&raw) {
            Err(error) => failures.push(format!("{name}: error: {error}")),
            Ok(got) => {
                let got: Vec<Value> = got
                    .iter()
                    .map(|m| serde_json::to_value(m).expect("serialisable"))
                    .collect();
                let (want, have) = (multiset(&expected), multiset(&got));
                if want != have {
                    failures.push(format!("{name}:\n  expected {want:?}\n  got      {have:?}"));
                }
            }
        }
    }
    assert!(scored > 0, "the corpus index lists no scored case");
    assert!(
        failures.is_empty(),
        "{} of {scored} corpus cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
