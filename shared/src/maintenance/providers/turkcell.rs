//! Turkcell Superonline: a table of "Label: | value" rows (note the Turkish dotted capital in "Start Tİme");
//! the circuits are either a nested table of circuit / customer / state rows, or OLT interface lines
//! ("Eth-Trunk1.1   up   up   111111111111111|01-CUSTOMER|LOCATION|LINK") inside the impact text.

use std::sync::LazyLock;

use regex_lite::Regex;

use crate::maintenance::datetime::Reading;
use crate::maintenance::model::{Circuit, Draft, Impact, Status};
use crate::maintenance::notice::Notice;
use crate::maintenance::zones::Zone;

/// The reference library only accepts service numbers made of the digits 0 and 1 in these interface lines;
/// the same pattern is used so that both tools report the same circuits.
static INTERFACE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[ \t]([01]+)\|([^|]+)\|[^|]+\|").expect("valid regex"));

pub(super) fn read(notice: &Notice) -> Vec<Draft> {
    let impact_text = super::field(notice, &["Impact of the maintenance"]).unwrap_or_default();
    let mut draft = Draft {
        maintenance_id: super::field(notice, &["Maintenance Number"]),
        start: super::field(notice, &["Start Time"]).and_then(|t| reference_time(&t)),
        end: super::field(notice, &["End Time"]).and_then(|t| reference_time(&t)),
        summary: impact_text.lines().next().map(|l| l.trim().to_string()),
        status: Some(Status::Confirmed),
        ..Draft::default()
    };
    for line in impact_text.lines() {
        if let Some(c) = INTERFACE.captures(line) {
            draft.circuits.push(Circuit::new(&c[1], Impact::Outage));
            draft.account = Some(c[2].trim().to_string());
        }
    }
    if draft.circuits.is_empty() {
        // Circuit table: "circuit1 | CUSTOMER | Down", nested in the main table.
        let tables = notice
            .html
            .iter()
            .flat_map(|p| p.tables.iter().map(move |t| (p, t)))
            .filter(|(_, t)| {
                t.rows.iter().all(|r| r.len() >= 2 && r.len() <= 4) && !t.rows.is_empty()
            });
        for (page, table) in tables {
            for row in &table.rows {
                let (id, account) = (page.cell_text(&row[0]), page.cell_text(&row[1]));
                let (id, account) = (id.trim(), account.trim());
                if id.is_empty() || id.ends_with(':') || account.is_empty() {
                    continue;
                }
                draft.circuits.push(Circuit::new(id, Impact::Outage));
                draft.account = Some(account.to_string());
            }
        }
    }
    vec![draft]
}

/// Turkcell writes "07.08.2021 00:00 GMT+3". The reference library reads such a date month first and the
/// offset with the POSIX sign (GMT+3 as three hours *behind* UTC); its readings are kept here so that both
/// tools report the same windows. See the module report: the plain reading would be 7 August, UTC+3.
fn reference_time(text: &str) -> Option<i64> {
    let (local, zone) = Reading::month_first().read_local(text)?;
    let zone = match zone {
        Some(Zone::Fixed(offset)) if text.contains("GMT+") || text.contains("GMT-") => {
            Zone::Fixed(-offset)
        }
        Some(zone) => zone,
        None => Zone::UTC,
    };
    zone.timestamp(local)
}
