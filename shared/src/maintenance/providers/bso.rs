//! BSO: an HTML notice whose heading ("Maintenance Update_", "Maintenance End_") gives the status and whose
//! detail block may list several timeslots (primary and backup), each with per-circuit impact rows.

use crate::maintenance::datetime::Reading;
use crate::maintenance::model::{Circuit, Draft, Impact, Status};
use crate::maintenance::notice::Notice;
use crate::maintenance::page::squash;

pub(super) fn read(notice: &Notice) -> Vec<Draft> {
    let reading = Reading::month_first();
    let mut draft = Draft {
        // BSO does not name the customer account.
        account: Some("Customer info unavailable".to_string()),
        maintenance_id: super::field(notice, &["Maintenance ID"]),
        ..Draft::default()
    };
    for page in notice.pages() {
        let lines = &page.lines;
        for (index, line) in lines.iter().enumerate() {
            let first = line
                .cells
                .iter()
                .find(|c| !c.is_empty())
                .map(String::as_str)
                .unwrap_or("");
            let key = squash(first);
            if draft.status.is_none()
                && key.starts_with("maintenance")
                && first.trim_end().ends_with('_')
            {
                draft.status = Some(heading_status(first));
            } else if key == "maintenancereason" && draft.summary.is_none() {
                draft.summary = lines[index + 1..]
                    .iter()
                    .flat_map(|l| l.cells.iter())
                    .find(|c| !c.trim().is_empty())
                    .map(|c| c.trim().to_string());
            } else if key.starts_with("timeslotstarttime") || key.starts_with("timeslotendtime") {
                let value = line.cells.iter().skip(1).find(|c| !c.trim().is_empty());
                let Some(at) = value.and_then(|v| reading.read(v)) else {
                    continue;
                };
                // Several timeslots make one window from the earliest start to the latest end.
                if key.starts_with("timeslotstart") {
                    draft.start = Some(draft.start.map_or(at, |s| s.min(at)));
                } else {
                    draft.end = Some(draft.end.map_or(at, |e| e.max(at)));
                }
            } else if key.starts_with("expectedimpactlevel") {
                for row in &lines[index + 1..] {
                    let cells: Vec<&String> =
                        row.cells.iter().filter(|c| !c.trim().is_empty()).collect();
                    if cells.len() != 2 || squash(cells[0]).starts_with("timeslot") {
                        break;
                    }
                    let circuit = Circuit::new(cells[0].trim(), impact_level(cells[1]));
                    if !draft
                        .circuits
                        .iter()
                        .any(|c| c.circuit_id == circuit.circuit_id)
                    {
                        draft.circuits.push(circuit);
                    }
                }
            }
        }
        if draft.start.is_some() {
            break;
        }
    }
    vec![draft]
}

fn heading_status(heading: &str) -> Status {
    let heading = heading.to_lowercase();
    if heading.contains("update") {
        Status::ReScheduled
    } else if heading.contains("end") || heading.contains("complete") {
        Status::Completed
    } else if heading.contains("cancel") {
        Status::Cancelled
    } else {
        // "Maintenance_", "Maintenance Reminder_", "Maintenance Start_".
        Status::Confirmed
    }
}

fn impact_level(text: &str) -> Impact {
    let text = text.to_lowercase();
    if text.contains("switch hit") {
        Impact::ReducedRedundancy
    } else if text.contains("at risk only") || text.contains("no impact") {
        Impact::NoImpact
    } else {
        // "Hard Down" and anything unexplained.
        Impact::Outage
    }
}
