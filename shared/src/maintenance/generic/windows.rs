//! The windows a page labels: start and end labels paired in reading order, one-value windows
//! ("A to B UTC"), and tables with start and end columns. The zone comes from the value, else the label,
//! else the sender's country; day-or-month order from the notice's own unambiguous dates.

use jiff::civil::DateTime;

use super::super::datetime::{DayMonth, Reading, split_window};
use super::super::notice::{Notice, domain_of};
use super::super::page::Page;
use super::super::zones::{Zone, zone_named};
use super::labels::{Kind, kind, labelled};

/// A window as read; `end` is `None` when the notice leaves it open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Window {
    pub start: i64,
    pub end: Option<i64>,
}

#[derive(Debug, Default)]
pub(super) struct Found {
    pub primary: Vec<Window>,
    pub backup: Vec<Window>,
}

/// The reading conventions the notice as a whole suggests.
pub(super) struct Context {
    order: DayMonth,
    zone: Zone,
}

/// The longest window believed: anything longer is a contract term or a campaign, not a maintenance.
const LONGEST: i64 = 31 * 24 * 3600;

impl Context {
    pub fn of(notice: &Notice, pages: &[Page]) -> Context {
        let mut text = notice.body_text().to_string();
        for page in pages
            .iter()
            .skip(notice.html.len() + notice.plain_pages.len())
        {
            text.push_str(&page.text());
        }
        Context {
            order: order_in(&text),
            zone: notice
                .senders
                .first()
                .and_then(|s| domain_of(s))
                .and_then(|d| country_zone(&d))
                .unwrap_or(Zone::UTC),
        }
    }

    fn reading(&self, zone: Option<Zone>) -> Reading {
        let reading = match self.order {
            DayMonth::DayFirst => Reading::day_first(),
            DayMonth::MonthFirst => Reading::month_first(),
        };
        reading.zone(zone.unwrap_or_else(|| self.zone.clone()))
    }
}

/// Day first unless the notice writes a date only month-first can read (05/13/2026) or uses US zones.
fn order_in(text: &str) -> DayMonth {
    let bytes = text.as_bytes();
    let (mut day_first, mut month_first) = (false, false);
    let mut at = 0;
    while at < bytes.len() {
        if !bytes[at].is_ascii_digit() || (at > 0 && bytes[at - 1].is_ascii_digit()) {
            at += 1;
            continue;
        }
        let number = |from: usize| -> (u32, usize) {
            let mut end = from;
            while end < bytes.len() && bytes[end].is_ascii_digit() && end - from < 4 {
                end += 1;
            }
            (text[from..end].parse().unwrap_or(0), end)
        };
        let (a, after_a) = number(at);
        if after_a - at <= 2
            && let Some(&sep) = bytes.get(after_a)
            && matches!(sep, b'/' | b'.' | b'-')
            && bytes.get(after_a + 1).is_some_and(u8::is_ascii_digit)
        {
            let (b, after_b) = number(after_a + 1);
            if after_b - after_a - 1 <= 2 && bytes.get(after_b) == Some(&sep) {
                if sep == b'.' || a > 12 {
                    day_first = true;
                } else if b > 12 {
                    month_first = true;
                }
            }
            at = after_b;
            continue;
        }
        at = after_a;
    }
    let upper = text.to_ascii_uppercase();
    let us_zone = [
        " EST", " EDT", " CST", " CDT", " PST", " PDT", " MST", "(EST", "(CST", "(PST", "EASTERN",
        "PACIFIC",
    ]
    .iter()
    .any(|z| upper.contains(z));
    if !day_first && (month_first || us_zone) {
        DayMonth::MonthFirst
    } else {
        DayMonth::DayFirst
    }
}

/// The zone of a sender's country-code domain; `None` for generic ones (.com, .net).
fn country_zone(domain: &str) -> Option<Zone> {
    let tld = domain.rsplit('.').next()?;
    let region = match tld {
        "de" => "Europe/Berlin",
        "at" => "Europe/Vienna",
        "ch" => "Europe/Zurich",
        "fr" => "Europe/Paris",
        "uk" => "Europe/London",
        "ie" => "Europe/Dublin",
        "nl" => "Europe/Amsterdam",
        "be" => "Europe/Brussels",
        "it" => "Europe/Rome",
        "es" => "Europe/Madrid",
        "pt" => "Europe/Lisbon",
        "se" => "Europe/Stockholm",
        "no" => "Europe/Oslo",
        "dk" => "Europe/Copenhagen",
        "fi" => "Europe/Helsinki",
        "pl" => "Europe/Warsaw",
        "cz" => "Europe/Prague",
        "tr" => "Europe/Istanbul",
        "jp" => "Asia/Tokyo",
        "sg" => "Asia/Singapore",
        "hk" => "Asia/Hong_Kong",
        "in" => "Asia/Kolkata",
        "au" => "Australia/Sydney",
        "nz" => "Pacific/Auckland",
        "br" => "America/Sao_Paulo",
        "za" => "Africa/Johannesburg",
        "us" => "America/New_York",
        "ca" => "America/Toronto",
        _ => return None,
    };
    Some(Zone::region(region))
}

/// The zone a label names: "Start Time (EST)", "Planned Start (GMT+1)", "Ende UTC".
fn label_zone(label: &str) -> Option<Zone> {
    if let Some((_, rest)) = label.split_once('(')
        && let Some((inside, _)) = rest.split_once(')')
        && let Some(zone) = zone_named(inside)
    {
        return Some(zone);
    }
    label
        .split(|c: char| c.is_whitespace() || c == '/' || c == ',')
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric() && c != '+' && c != '-'))
        .filter(|w| {
            w.len() >= 2
                && w.chars()
                    .all(|c| c.is_ascii_uppercase() || "+-0123456789:".contains(c))
        })
        .find_map(zone_named)
}

/// Whether a label names, in brackets, a zone Clinic does not know ("Start Time (XYZ)"): its times
/// are not read at all rather than read in a guessed zone.
pub(super) fn names_unknown_zone(label: &str) -> bool {
    let Some((_, rest)) = label.split_once('(') else {
        return false;
    };
    let Some((inside, _)) = rest.split_once(')') else {
        return false;
    };
    let inside = inside.trim();
    let looks_like_zone = (2..=5).contains(&inside.len())
        && inside.chars().all(|c| c.is_ascii_uppercase())
        || inside.starts_with("UTC")
        || inside.starts_with("GMT");
    looks_like_zone && zone_named(inside).is_none()
}

/// Whether a text holds a time of day ("16:00", "4:00 pm"): a window is never a bare date.
fn has_clock(text: &str) -> bool {
    let b = text.as_bytes();
    (1..b.len().saturating_sub(2)).any(|i| {
        b[i] == b':'
            && b[i - 1].is_ascii_digit()
            && b[i + 1].is_ascii_digit()
            && b[i + 2].is_ascii_digit()
    })
}

/// Whether an end value says the end is not known.
fn says_open(value: &str) -> bool {
    let v = value.to_lowercase();
    [
        "tbd",
        "tbc",
        "to be confirmed",
        "to be determined",
        "until further notice",
        "open",
        "unknown",
        "n/a",
    ]
    .iter()
    .any(|w| v.trim() == *w || v.contains("until further notice") || v.starts_with(w))
}

fn local(context: &Context, value: &str, zone: Option<&Zone>) -> Option<(DateTime, Option<Zone>)> {
    if !has_clock(value) {
        return None;
    }
    let (at, named) = context.reading(zone.cloned()).read_local(value)?;
    Some((at, named))
}

fn instant(context: &Context, at: DateTime, zone: Option<Zone>) -> Option<i64> {
    zone.unwrap_or_else(|| context.zone.clone()).timestamp(at)
}

/// One value holding both ends: "05/05/2026 20:00 to 06/05/2026 04:00 UTC" or "07.05.2026 22:00 - 02:00 CET".
fn range(context: &Context, value: &str, label_zone: Option<&Zone>) -> Option<Window> {
    let (a, b) = split_window(value)?;
    let (start, start_zone) = local(context, a, label_zone)?;
    let (end, end_zone) = match local(context, b, label_zone) {
        Some(found) => found,
        None if has_clock(b) => {
            // Only a time after the separator: the end is on the start's date, or the next day.
            let date = start.date().strftime("%Y-%m-%d").to_string();
            let (end, zone) = local(context, &format!("{date} {b}"), label_zone)?;
            let end = if end <= start {
                end.checked_add(jiff::Span::new().days(1)).ok()?
            } else {
                end
            };
            (end, zone)
        }
        None => return None,
    };
    let zone = start_zone.or(end_zone.clone()).or(label_zone.cloned());
    let end_zone = end_zone.or(zone.clone());
    Some(Window {
        start: instant(context, start, zone)?,
        end: Some(instant(context, end, end_zone)?),
    })
}

fn single(context: &Context, value: &str, label_zone: Option<&Zone>) -> Option<i64> {
    let (at, zone) = local(context, value, label_zone)?;
    instant(context, at, zone.or(label_zone.cloned()))
}

/// The windows labelled on one page.
pub(super) fn in_page(page: &Page, context: &Context) -> Found {
    let mut found = Found::default();
    let mut pending: Option<(i64, bool)> = None;
    let push = |found: &mut Found, window: Window, backup: bool| {
        let sane = window
            .end
            .is_none_or(|e| e >= window.start && e - window.start <= LONGEST)
            && (946_684_800..4_102_444_800).contains(&window.start);
        let list = if backup {
            &mut found.backup
        } else {
            &mut found.primary
        };
        if sane && !list.contains(&window) {
            list.push(window);
        }
    };
    for item in labelled(page) {
        let Some((kind, backup)) = kind(&item.label) else {
            continue;
        };
        if names_unknown_zone(&item.label) {
            continue;
        }
        let zone = label_zone(&item.label);
        match kind {
            Kind::Window => {
                if let Some(window) = range(context, &item.value, zone.as_ref()) {
                    if let Some((start, b)) = pending.take() {
                        push(&mut found, Window { start, end: None }, b);
                    }
                    push(&mut found, window, backup);
                } else if let Some(start) = single(context, &item.value, zone.as_ref()) {
                    // "Start/End Date" with one time in it is the start.
                    if let Some((s, b)) = pending.replace((start, backup)) {
                        push(
                            &mut found,
                            Window {
                                start: s,
                                end: None,
                            },
                            b,
                        );
                    }
                }
            }
            Kind::Start => {
                if let Some(window) = range(context, &item.value, zone.as_ref()) {
                    push(&mut found, window, backup);
                } else if let Some(start) = single(context, &item.value, zone.as_ref())
                    && let Some((s, b)) = pending.replace((start, backup))
                {
                    push(
                        &mut found,
                        Window {
                            start: s,
                            end: None,
                        },
                        b,
                    );
                }
            }
            Kind::End => {
                let Some((start, b)) = pending else {
                    continue;
                };
                if let Some(end) = single(context, &item.value, zone.as_ref()) {
                    pending = None;
                    push(
                        &mut found,
                        Window {
                            start,
                            end: Some(end),
                        },
                        b,
                    );
                } else if says_open(&item.value) {
                    pending = None;
                    push(&mut found, Window { start, end: None }, b);
                }
            }
        }
    }
    if let Some((start, b)) = pending {
        push(&mut found, Window { start, end: None }, b);
    }
    for window in table_windows(page, context) {
        push(&mut found, window, false);
    }
    found
}

/// Rows of a table whose header has a start (or window) column, and maybe an end column.
fn table_windows(page: &Page, context: &Context) -> Vec<Window> {
    let mut out = Vec::new();
    let mut index = 0;
    while index < page.lines.len() {
        let header = &page.lines[index];
        index += 1;
        if header.cells.len() < 2 || header.cells.iter().any(|c| has_clock(c)) {
            continue;
        }
        let column = |want: Kind| {
            header
                .cells
                .iter()
                .position(|c| kind(c).is_some_and(|(k, backup)| k == want && !backup))
        };
        let (start_col, end_col, window_col) =
            (column(Kind::Start), column(Kind::End), column(Kind::Window));
        if start_col.is_none() && window_col.is_none() {
            continue;
        }
        if [start_col, end_col, window_col]
            .into_iter()
            .flatten()
            .any(|c| names_unknown_zone(&header.cells[c]))
        {
            continue;
        }
        let zone_of = |col: Option<usize>| col.and_then(|c| label_zone(&header.cells[c]));
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
            let cell = |col: Option<usize>| col.and_then(|c| row.cells.get(c)).map(String::as_str);
            let window = match (cell(start_col), cell(window_col)) {
                (Some(start), _) => {
                    single(context, start, zone_of(start_col).as_ref()).map(|start| Window {
                        start,
                        end: cell(end_col)
                            .and_then(|e| single(context, e, zone_of(end_col).as_ref())),
                    })
                }
                (None, Some(both)) => range(context, both, zone_of(window_col).as_ref()),
                (None, None) => None,
            };
            out.extend(window);
        }
    }
    out
}

pub(super) fn utc(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds)
        .map(|t| t.strftime("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// A start as digits, for a maintenance id when the notice gives no reference.
pub(super) fn compact(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds)
        .map(|t| t.strftime("%Y%m%d%H%M").to_string())
        .unwrap_or_default()
}
