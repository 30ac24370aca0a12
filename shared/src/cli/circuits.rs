//! `clinic maintenance circuits FILE` (check a circuits file) and the report of
//! `clinic maintenance outages`: what the stored maintenances mean for the circuits the file names.

use std::fmt::Write as _;
use std::path::Path;

use crate::maintenance::circuits::{Circuits, outages, unknown_circuits};
use crate::maintenance::lifecycle::MaintenanceRecord;
use crate::reviewed_file::ReviewedFile as _;

use super::error::CliError;

pub(super) fn load(path: &Path) -> Result<Circuits, CliError> {
    Circuits::load(path).map_err(|e| CliError::Usage(e.to_string()))
}

pub(super) fn check(path: &Path) -> Result<(), CliError> {
    let circuits = load(path)?;
    let groups: std::collections::BTreeSet<&str> = circuits
        .entries()
        .iter()
        .map(|e| e.redundancy_group.as_str())
        .collect();
    println!(
        "circuits file is valid: {} circuits in {} redundancy groups",
        circuits.entries().len(),
        groups.len()
    );
    for group in circuits.lone_groups() {
        println!("note: redundancy group {group:?} has one circuit: no redundancy to lose");
    }
    Ok(())
}

/// `clinic maintenance ack provider/id`: one conditional write with its audit entry.
pub(super) async fn acknowledge(maintenance: &str, note: &str) -> Result<(), CliError> {
    use crate::maintenance::ports::MaintenanceLedger as _;
    let note = note.trim();
    let named = maintenance.trim().split_once('/').filter(|(p, i)| {
        let fine = |s: &str| {
            !s.is_empty() && s.len() <= 200 && !s.chars().any(|c| c.is_control() || c == ' ')
        };
        fine(p) && fine(i)
    });
    let Some((provider, id)) = named else {
        return Err(CliError::Usage(format!(
            "not a maintenance: {maintenance:?} (give provider/id, as `clinic maintenance list` prints them)"
        )));
    };
    if note.len() > 2000 || note.chars().any(|c| c.is_control() && c != '\n') {
        return Err(CliError::Usage(
            "--note must be plain text of at most 2000 characters".into(),
        ));
    }
    let store = super::table::table_store().await?;
    let at = jiff::Timestamp::now();
    let by = super::operator::operator();
    let ack = crate::maintenance::lifecycle::Acknowledgement {
        by: by.clone(),
        at,
        note: note.to_owned(),
    };
    let audit = crate::audit::AuditEntry::new(
        at,
        by,
        "maintenance.ack",
        format!("maintenance/{provider}/{id}"),
        if note.is_empty() {
            "looked at it"
        } else {
            note
        },
        format!("cli:{}", uuid::Uuid::new_v4().simple()),
    );
    if store.acknowledge(provider, id, &ack, &audit).await? {
        println!("maintenance {provider}/{id} acknowledged");
        Ok(())
    } else {
        Err(CliError::Usage(format!(
            "no stored maintenance is {provider}/{id} (see `clinic maintenance list`)"
        )))
    }
}

fn when(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds)
        .map(|t| t.strftime("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// The outages and unknown circuits of `records`, as `clinic maintenance outages` prints them.
pub(super) fn report(
    records: &[MaintenanceRecord],
    circuits: &Circuits,
    from: jiff::civil::Date,
    to: jiff::civil::Date,
) -> String {
    let mut out = String::new();
    let down = outages(records, circuits);
    if down.is_empty() {
        let _ = writeln!(
            out,
            "no redundancy group loses every circuit from {from} to {to}"
        );
    }
    for o in &down {
        let _ = writeln!(
            out,
            "OUTAGE {} to {} UTC  group {} at {} ({}): {}{}",
            when(o.start),
            when(o.end),
            o.group,
            o.site,
            o.circuits.join(", "),
            o.maintenances.join(" + "),
            if o.unannounced {
                "; each notice says only reduced redundancy"
            } else {
                ""
            }
        );
    }
    for u in unknown_circuits(records, circuits) {
        let names: Vec<&str> = u.maintenances.iter().map(String::as_str).collect();
        let _ = writeln!(
            out,
            "unknown circuit {} of {} (in {}): add it to the circuits file",
            u.circuit_id,
            u.provider,
            names.join(", ")
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_names_the_outage_its_maintenances_and_each_unknown_circuit() {
        let circuits = Circuits::parse(
            "[[circuit]]\nid = \"A-1\"\nsite = \"ams1\"\nservice = \"transit\"\nredundancy_group = \"ams1-up\"\n\n\
             [[circuit]]\nid = \"B-1\"\nsite = \"ams1\"\nservice = \"transit\"\nredundancy_group = \"ams1-up\"\n",
        )
        .unwrap();
        let record = |provider: &str, id: &str, circuit: &str, start: i64, end: i64| {
            let mut r: MaintenanceRecord = serde_json::from_value(serde_json::json!({
                "provider": provider, "maintenance_id": id, "account": "", "circuits": [
                    { "circuit_id": circuit, "impact": "REDUCED-REDUNDANCY" }],
                "status": "CONFIRMED", "start": start, "end": end, "stamp": 0, "sequence": 1,
                "organizer": "", "uid": id, "summary": "",
                "first_seen": "2027-01-01T00:00:00Z", "updated_at": "2027-01-01T00:00:00Z",
                "completed_at": null, "source": { "message_id": null, "bucket": "", "key": "" },
                "notices": 1
            }))
            .unwrap();
            r.maintenance_id = id.into();
            r
        };
        let day = 1_800_000_000 - 1_800_000_000 % 86_400;
        let records = [
            record("alpha", "M1", "A-1", day + 3_600, day + 4 * 3_600),
            record("beta", "M2", "B-1", day + 2 * 3_600, day + 5 * 3_600),
            record("beta", "M3", "Z-9", day, day + 3_600),
        ];
        let date = jiff::Timestamp::from_second(day)
            .unwrap()
            .to_zoned(jiff::tz::TimeZone::UTC)
            .date();
        let text = report(&records, &circuits, date, date);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(lines[0].starts_with("OUTAGE "), "{text}");
        assert!(
            lines[0].contains("02:00 to ") && lines[0].contains(" 04:00 UTC  group ams1-up at ams1 (A-1, B-1): alpha/M1 + beta/M2; each notice says only reduced redundancy"),
            "{text}"
        );
        assert_eq!(
            lines[1],
            "unknown circuit Z-9 of beta (in beta/M3): add it to the circuits file"
        );
    }
}
