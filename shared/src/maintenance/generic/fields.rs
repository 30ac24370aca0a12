//! The other fields of a generic reading: the reference (a labelled field or the subject), the circuit
//! and service ids (labelled lists and table columns), the impact (a labelled field or the wording) and
//! the account.

use super::super::model::Impact;
use super::super::notice::Notice;
use super::super::page::Page;
use super::labels::{labelled, split_label, words};

/// Label words of a reference field ("Reference", "Ticket No.", "Change ID", "Referenz").
const REFERENCE: &[&str] = &[
    "reference",
    "ref",
    "ticket",
    "change",
    "case",
    "maintenance",
    "notification",
    "work",
    "event",
    "referenz",
    "référence",
    "referencia",
    "riferimento",
    "ticketnummer",
    "vorgang",
    "numéro",
];

/// Whether a token can be an id: letters, digits and `-_/#.`, at least one digit, not a date or a time.
fn id_like(token: &str) -> bool {
    let token = token.trim_matches(|c: char| "[]()<>,;:\"'".contains(c));
    let digits = token.chars().filter(char::is_ascii_digit).count();
    token.len() >= 4
        && token.len() <= 64
        && digits >= 1
        && token.chars().all(|c| c.is_alphanumeric() || "-_/#.".contains(c))
        && !token.contains(':')
        // 2026, 07.05.2026, 05/05/2026, 2026-05-07: dates, not references.
        && !(token.chars().all(|c| c.is_ascii_digit() || "./-".contains(c))
            && (token.len() == 4 || token.matches(['.', '/', '-']).count() == 2))
}

fn clean(token: &str) -> String {
    token
        .trim_matches(|c: char| "[]()<>,;:\"'#".contains(c))
        .trim_end_matches('.')
        .to_string()
}

/// The maintenance's reference: a labelled field, else an id-like token of the subject (after "Ref",
/// "Ticket" or "#" if there is one, in brackets next, any other last).
pub(super) fn reference(notice: &Notice, pages: &[Page]) -> Option<String> {
    for page in pages {
        for item in labelled(page) {
            let label_words = words(&item.label);
            let is_reference = label_words.iter().any(|w| REFERENCE.contains(&w.as_str()))
                && label_words.iter().any(|w| {
                    [
                        "reference",
                        "ref",
                        "id",
                        "number",
                        "no",
                        "nr",
                        "ticket",
                        "referenz",
                        "référence",
                        "ticketnummer",
                        "case",
                        "order",
                    ]
                    .contains(&w.as_str())
                })
                && !label_words.iter().any(|w| {
                    [
                        "customer", "circuit", "service", "your", "account", "invoice",
                    ]
                    .contains(&w.as_str())
                });
            if is_reference && let Some(token) = item.value.split_whitespace().find(|t| id_like(t))
            {
                return Some(clean(token));
            }
        }
    }
    let subject = &notice.subject;
    let tokens: Vec<&str> = subject.split_whitespace().collect();
    for (at, token) in tokens.iter().enumerate() {
        let lower = token.to_lowercase();
        let lower = lower.trim_end_matches([':', '.']);
        if ["ref", "reference", "ticket", "id", "no", "nr", "referenz"].contains(&lower)
            && let Some(next) = tokens.get(at + 1).filter(|t| id_like(t))
        {
            return Some(clean(next));
        }
        if let Some(rest) = token.strip_prefix('#').filter(|r| id_like(r)) {
            return Some(clean(rest));
        }
    }
    if let Some(inside) = subject
        .split('[')
        .skip(1)
        .filter_map(|s| s.split_once(']'))
        .map(|(i, _)| i.trim())
        .find(|i| id_like(i) && !i.contains(' '))
    {
        return Some(clean(inside));
    }
    tokens
        .iter()
        .find(|t| id_like(t) && !t.contains('/'))
        .map(|t| clean(t))
}

/// Label words of a circuit list ("Affected circuits", "Service ID(s)", "Circuit Reference", "Leitungs-ID").
fn is_circuit_label(label: &str) -> bool {
    let w = words(label);
    let has = |set: &[&str]| w.iter().any(|x| set.contains(&x.as_str()));
    (has(&[
        "circuit",
        "circuits",
        "cid",
        "leitung",
        "leitungen",
        "circuito",
        "circuitos",
        "liaison",
        "lien",
    ]) || (has(&["service", "services", "dienst", "servicio"])
        && has(&[
            "id",
            "ids",
            "affected",
            "reference",
            "references",
            "number",
            "numbers",
            "betroffene",
        ])))
        && !has(&[
            "impact",
            "type",
            "description",
            "status",
            "start",
            "end",
            "time",
        ])
}

fn ids_in(value: &str) -> Vec<String> {
    value
        .split([',', ';', '\n'])
        .flat_map(|part| {
            let part = part.trim().trim_start_matches(['-', '*', '•', '·']).trim();
            // "IC-1001 (London - Paris)" → the id before its description.
            let part = part.split(" (").next().unwrap_or(part).trim();
            if part.split_whitespace().count() > 3 {
                None
            } else {
                Some(part.to_string())
            }
        })
        .filter(|p| p.chars().any(|c| c.is_ascii_digit()) && p.len() <= 64 && !p.contains(": "))
        .collect()
}

/// The circuit and service ids the notice lists, in order, without repeats.
pub(super) fn circuits(pages: &[Page]) -> Vec<String> {
    for page in pages {
        let mut found: Vec<String> = Vec::new();
        let add = |ids: Vec<String>, found: &mut Vec<String>| {
            for id in ids {
                if !found.contains(&id) {
                    found.push(id);
                }
            }
        };
        // Labelled: "Circuit ID: A, B" or "Affected circuits:" with one id per line below.
        let rows: Vec<&str> = page.rows().collect();
        for (at, row) in rows.iter().enumerate() {
            let Some((label, value)) = split_label(row) else {
                continue;
            };
            if !is_circuit_label(label) {
                continue;
            }
            if !value.is_empty() {
                add(ids_in(value), &mut found);
                continue;
            }
            let below: Vec<String> = rows[at + 1..]
                .iter()
                .take_while(|r| split_label(r).is_none())
                .take(200)
                .map(|r| ids_in(r))
                .take_while(|ids| !ids.is_empty())
                .flatten()
                .collect();
            add(below, &mut found);
        }
        // Label and value in neighbouring cells ("Circuit ID | TWN-1").
        for item in labelled(page) {
            if is_circuit_label(&item.label) && !item.label.contains(':') {
                add(ids_in(&item.value), &mut found);
            }
        }
        // Tables: every row's cell under a circuit column.
        let mut index = 0;
        while index < page.lines.len() {
            let header = &page.lines[index];
            index += 1;
            let Some(col) = (header.cells.len() >= 2)
                .then(|| {
                    header
                        .cells
                        .iter()
                        .position(|c| is_circuit_label(c) && split_label(c).is_none())
                })
                .flatten()
            else {
                continue;
            };
            while let Some(row) = page.lines.get(index) {
                let same = match (header.table, row.table) {
                    (Some(a), Some(b)) => a == b,
                    (None, None) => row.cells.len() >= 2,
                    _ => false,
                };
                if !same {
                    break;
                }
                index += 1;
                if let Some(cell) = row.cells.get(col) {
                    add(ids_in(cell), &mut found);
                }
            }
        }
        if !found.is_empty() {
            return found;
        }
    }
    Vec::new()
}

/// The impact a text describes, `None` when it names none.
pub(super) fn impact_in(text: &str) -> Option<Impact> {
    let t = text.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| t.contains(w));
    if has(&[
        "no impact",
        "no service impact",
        "not service affecting",
        "non-service affecting",
        "non service affecting",
        "keine auswirkung",
        "aucun impact",
        "sin impacto",
    ]) {
        Some(Impact::NoImpact)
    } else if has(&[
        "reduced redundancy",
        "loss of redundancy",
        "redundancy will be",
        "reduced resilience",
        "without redundancy",
        "at risk",
    ]) {
        Some(Impact::ReducedRedundancy)
    } else if has(&[
        "switch hit",
        "flap",
        "brief interruption",
        "short interruption",
        "degrad",
        "intermittent",
        "reduced capacity",
        "micro-interruption",
    ]) {
        Some(Impact::Degraded)
    } else if has(&[
        "outage",
        "loss of service",
        "service interruption",
        "interruption",
        "downtime",
        "down time",
        "unavailable",
        "service affecting",
        "unterbrechung",
        "coupure",
        "corte",
    ]) {
        Some(Impact::Outage)
    } else {
        None
    }
}

/// The impact of the notice's circuits: a labelled impact field, else the wording; an outage when the
/// notice does not say (the safe assumption, as the reference library makes it).
pub(super) fn impact(notice: &Notice, pages: &[Page]) -> Impact {
    let labelled_impact = pages.iter().find_map(|p| {
        labelled(p).into_iter().find_map(|item| {
            let w = words(&item.label);
            w.iter()
                .any(|x| {
                    [
                        "impact",
                        "auswirkung",
                        "impacto",
                        "effect",
                        "outage",
                        "downtime",
                        "expected",
                    ]
                    .contains(&x.as_str())
                })
                .then(|| impact_in(&format!("{} {}", item.label, item.value)))
                .flatten()
        })
    });
    labelled_impact
        .or_else(|| impact_in(&notice.subject))
        .or_else(|| impact_in(notice.body_text()))
        .unwrap_or(Impact::Outage)
}

/// The account: a labelled customer or account field, else the addressee of "Dear X,".
pub(super) fn account(_notice: &Notice, pages: &[Page]) -> Option<String> {
    pages.iter().find_map(|p| {
        p.field(&[
            "Customer",
            "Customer Name",
            "Account",
            "Account Name",
            "Account Number",
            "Kunde",
            "Client",
        ])
        .filter(|v| !v.is_empty() && v.len() <= 120)
    })
}
