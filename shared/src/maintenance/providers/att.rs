//! AT&T: the event is described in the body ("Event ID: ...", "Start Time: ..., End Time: ...") and the
//! affected circuits with the customer name come in an XLSX attachment whose column names vary by the
//! AT&T business unit that sent it.

use crate::maintenance::datetime::Reading;
use crate::maintenance::model::{Circuit, Draft, Impact, Status};
use crate::maintenance::notice::Notice;
use crate::maintenance::sheet::Sheet;

pub(super) fn read(notice: &Notice) -> Vec<Draft> {
    let reading = Reading::month_first();
    let (start, end) = match super::field(notice, &["Start Time"]) {
        Some(window) => {
            let (start, end) = window
                .split_once("End Time:")
                .map_or((window.as_str(), ""), |(s, e)| (s, e));
            (
                reading.read(start.trim().trim_end_matches(',')),
                reading.read(end),
            )
        }
        None => (None, None),
    };
    let end = end.or_else(|| super::field(notice, &["End Time"]).and_then(|t| reading.read(&t)));
    let summary = super::field(notice, &["Summary"]);
    let impact = super::field(notice, &["Customer Impact Description"]);
    let description = super::field(notice, &["Description"]);
    let summary = match (summary, impact, description) {
        (Some(s), Some(i), Some(d)) => Some(format!("{s}: {i} {d}")),
        (Some(s), _, _) => Some(s),
        (None, _, d) => d,
    };
    let mut draft = Draft {
        maintenance_id: super::field(notice, &["Event ID"]),
        start,
        end,
        summary,
        status: Some(Status::Confirmed),
        ..Draft::default()
    };
    for sheet in &notice.sheets {
        if let Some((account, circuits)) = circuit_sheet(sheet) {
            draft.account.get_or_insert(account);
            draft.circuits.extend(circuits);
        }
    }
    vec![draft]
}

/// Account name and circuits from the first worksheet: a header row, then one row per circuit.
fn circuit_sheet(sheet: &Sheet) -> Option<(String, Vec<Circuit>)> {
    let mut rows = sheet.rows();
    let first = rows.next()?;
    let header: Vec<&str> = (0..sheet.width).map(|c| first.get(c)).collect();
    let column = |names: &[&str]| {
        header
            .iter()
            .position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)))
    };
    // Each business unit pairs its own customer column with its own circuit column.
    let (account_col, circuit_col, lec) = if let Some(a) = column(&["Customer"]) {
        (a, column(&["Circuit/Asset"])?, true)
    } else if let Some(a) = column(&["Customer Name"]) {
        (a, column(&["Circuit ID"])?, false)
    } else {
        (
            column(&["Customer Names"])?,
            column(&["Customer Circuit ID"])?,
            false,
        )
    };
    let mut account = None;
    let mut circuits = Vec::new();
    for row in rows {
        let id = row.get(circuit_col);
        if id.trim().is_empty() {
            continue;
        }
        account.get_or_insert_with(|| row.get(account_col).to_owned());
        let id = if lec {
            lec_circuit_id(id)
        } else {
            id.trim().to_string()
        };
        circuits.push(Circuit::new(id, Impact::Outage));
    }
    Some((account?, circuits))
}

/// LEC circuit ids in the "Circuit/Asset" column are padded with zeros and followed by notes; AT&T's own
/// id is the first word without leading zeros, and trailing zeros stand for its "ATI" suffix.
fn lec_circuit_id(raw: &str) -> String {
    let first = raw.split_whitespace().next().unwrap_or("");
    let unpadded = first.trim_start_matches('0');
    let trimmed = unpadded.trim_end_matches('0');
    if trimmed.len() < unpadded.len() {
        format!("{trimmed}ATI")
    } else {
        unpadded.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lec_ids_lose_padding_and_trailing_zeros_become_ati() {
        assert_eq!(
            lec_circuit_id("23/HCGS/123456/SC note"),
            "23/HCGS/123456/SC"
        );
        assert_eq!(lec_circuit_id("0012ABC000"), "12ABCATI");
    }
}
