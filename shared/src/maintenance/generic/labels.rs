//! Labelled values of a page, in reading order: "Label: value" in a line or cell, "Label" and value in
//! neighbouring cells, "Label:" with the value on the line below; and what kind of label each one is.

use super::super::page::Page;

/// One labelled value, with where it stands on the page (for keeping a start with its end).
#[derive(Debug, Clone)]
pub(super) struct Labelled {
    pub label: String,
    pub value: String,
}

/// Every labelled value of a page in reading order.
pub(super) fn labelled(page: &Page) -> Vec<Labelled> {
    let mut out = Vec::new();
    let lines: Vec<Vec<&str>> = page
        .lines
        .iter()
        .map(|l| l.cells.iter().map(String::as_str).collect())
        .collect();
    for (index, cells) in lines.iter().enumerate() {
        for (at, cell) in cells.iter().enumerate() {
            let rows: Vec<&str> = cell
                .lines()
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .collect();
            for (r, row) in rows.iter().enumerate() {
                if let Some((label, value)) = split_label(row) {
                    let value = if !value.is_empty() {
                        Some(value.to_string())
                    } else if let Some(below) = rows.get(r + 1) {
                        Some(below.to_string())
                    } else if let Some(next) = cells.get(at + 1..).and_then(|c| {
                        c.iter()
                            .map(|c| c.trim())
                            .find(|c| !c.is_empty() && *c != ":")
                    }) {
                        Some(next.to_string())
                    } else {
                        lines.get(index + 1).and_then(|l| {
                            (l.len() == 1 && split_label(l[0]).is_none())
                                .then(|| l[0].trim().to_string())
                        })
                    };
                    if let Some(value) = value {
                        out.push(Labelled {
                            label: label.to_string(),
                            value,
                        });
                    }
                } else if at == 0 && rows.len() == 1 && cells.len() == 2 && is_label_text(row) {
                    // A two-cell row: label | value.
                    let value = cells[1].trim();
                    if !value.is_empty() {
                        out.push(Labelled {
                            label: row.to_string(),
                            value: value.to_string(),
                        });
                    }
                }
            }
        }
    }
    out
}

/// "Label: value" → (label, value); the colon must follow a label, not sit inside a time ("16:00").
pub(super) fn split_label(row: &str) -> Option<(&str, &str)> {
    let (label, value) = row.split_once(':')?;
    let label = label.trim();
    if !is_label_text(label) {
        return None;
    }
    Some((label, value.trim()))
}

/// Text short enough and wordy enough to be a label: starts with a letter or a bracket, few digits.
fn is_label_text(text: &str) -> bool {
    let text = text.trim();
    let first = text.chars().next();
    text.len() <= 80
        && first.is_some_and(|c| c.is_alphabetic() || c == '(' || c == '*' || c == '-')
        && text.chars().filter(char::is_ascii_digit).count() <= 2
        && text.chars().filter(|c| c.is_alphabetic()).count() >= 2
}

/// What a label says its value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Start,
    End,
    /// Both ends in one value ("Outage Window", "Start/End Date").
    Window,
}

/// The words of a label, lower case, letters only ("Start Time (EST)" → start, time, est).
pub(super) fn words(label: &str) -> Vec<String> {
    label
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

const START: &[&str] = &[
    "start",
    "starts",
    "begin",
    "begins",
    "beginning",
    "from",
    "commence",
    "commencement",
    "beginn",
    "début",
    "debut",
    "inicio",
    "início",
    "anfang",
    "von",
    "inizio",
    "aanvang",
    "starttid",
];
const END: &[&str] = &[
    "end",
    "ends",
    "finish",
    "until",
    "to",
    "ende",
    "fin",
    "bis",
    "completion",
    "fine",
    "einde",
    "sluttid",
    "término",
    "termino",
];
const WINDOW: &[&str] = &[
    "window",
    "windows",
    "timeframe",
    "schedule",
    "period",
    "zeitraum",
    "zeitfenster",
    "fenêtre",
    "ventana",
    "finestra",
    "venster",
    "duration",
];
/// Labels that hold dates but never a maintenance window (forwarded headers, paperwork).
const NEVER: &[&str] = &[
    "sent",
    "received",
    "invoice",
    "due",
    "payment",
    "issued",
    "report",
    "reported",
    "incident",
    "detected",
    "resolved",
    "created",
    "birth",
    "expiry",
    "expires",
    "order",
    "delivery",
    "billing",
    "subscription",
    "renewal",
    "webinar",
    "event",
    "registration",
    "last",
    "updated",
    "modified",
];
const BACKUP: &[&str] = &[
    "backup",
    "back",
    "fallback",
    "alternate",
    "alternative",
    "contingency",
    "ersatz",
    "secours",
    "reserve",
    "respaldo",
];

/// The kind of a window label, and whether it names a backup window; `None` for any other label.
pub(super) fn kind(label: &str) -> Option<(Kind, bool)> {
    let words = words(label);
    let has = |set: &[&str]| words.iter().any(|w| set.contains(&w.as_str()));
    if has(NEVER) {
        return None;
    }
    let backup = has(BACKUP);
    let start = has(START);
    // "to" and "from" only count next to a word of time ("From date", "To time"), never alone.
    let timed = words.iter().any(|w| {
        [
            "time", "date", "datum", "zeit", "heure", "hora", "ora", "tijd", "day", "utc", "gmt",
        ]
        .contains(&w.as_str())
    }) || has(&[
        "start", "end", "begin", "beginn", "ende", "finish", "inicio", "début", "debut", "fin",
    ]);
    let end = words
        .iter()
        .any(|w| END.contains(&w.as_str()) && (w != "to" && w != "until" || timed));
    let start = start && (timed || !words.iter().all(|w| w == "from"));
    let window = has(WINDOW);
    let kind = match (start, end, window) {
        (true, true, _) => Kind::Window,
        (true, false, _) => Kind::Start,
        (false, true, false) => Kind::End,
        (false, true, true) => Kind::End,
        (false, false, true) => Kind::Window,
        (false, false, false) => return None,
    };
    Some((kind, backup))
}
