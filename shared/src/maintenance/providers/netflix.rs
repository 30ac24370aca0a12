//! Netflix Open Connect (AS2906): a plain-text notice with the start time, an expected downtime and the
//! peer's session addresses one per line. Netflix gives no ticket; the id is derived from the address
//! lines and the window exactly as the reference library derives it, so both name the maintenance alike.

use std::sync::LazyLock;

use regex_lite::Regex;

use super::aws::hex_sha256;
use crate::maintenance::datetime::Reading;
use crate::maintenance::model::{Circuit, Draft, Impact, Status};
use crate::maintenance::notice::Notice;

static ACCOUNT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\((AS\d+)\),\s*$").expect("valid regex"));
static START: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(\d{4}-\d{2}-\d{2} \d{2}:\d{2}(?::\d{2})?(?:[+-]\d{2}:?\d{2})?)(?: UTC)?")
        .expect("valid regex")
});
static DOWNTIME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)downtime will be approximately (\d+) (minute|hour)s?").expect("valid regex")
});
static ADDRESS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-fA-F]*:[0-9a-fA-F]*:[0-9a-fA-F:]*)$")
        .expect("valid regex")
});

pub(super) fn read(notice: &Notice) -> Vec<Draft> {
    let text = if notice.plain.is_empty() {
        notice.body_text().to_string()
    } else {
        notice.plain.join("\n")
    };
    let mut draft = Draft {
        status: Some(Status::Confirmed),
        ..Draft::default()
    };
    let mut address_lines: Vec<&str> = Vec::new();
    for raw in text.split('\n') {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let line = raw.trim();
        if draft.account.is_none() {
            draft.account = ACCOUNT.captures(raw).map(|c| c[1].to_string());
        }
        if draft.summary.is_none() && line.contains(" maintenance in ") {
            draft.summary = Some(line.to_string());
            draft.start = START
                .captures(line)
                .and_then(|c| Reading::month_first().read(&c[1]));
        }
        if draft.end.is_none()
            && let (Some(start), Some(downtime)) = (draft.start, DOWNTIME.captures(line))
        {
            let amount: i64 = downtime[1].parse().unwrap_or(0);
            let unit = if downtime[2].eq_ignore_ascii_case("hour") {
                3600
            } else {
                60
            };
            draft.end = amount.checked_mul(unit).and_then(|d| start.checked_add(d));
        }
        if ADDRESS.is_match(line) {
            draft.circuits.push(Circuit::new(line, Impact::Outage));
            address_lines.push(raw);
        }
    }
    if let (Some(start), Some(end)) = (draft.start, draft.end) {
        let mut seed = String::new();
        for line in &address_lines {
            seed.push_str(line);
            seed.push('/');
        }
        seed.push_str(&format!("{start}/{end}"));
        draft.maintenance_id = Some(hex_sha256(&seed));
    }
    vec![draft]
}
