//! Windstream: an HTML notice whose heading names the status ("Completed Maintenance Notification"), with
//! the WMT ticket, event start and end in US zones ("03/20/24 02:00 ET"), an impact table and a circuit table.

use crate::maintenance::datetime::Reading;
use crate::maintenance::model::{Circuit, Draft, Impact, Status};
use crate::maintenance::notice::Notice;
use crate::maintenance::page::squash;

pub(super) fn read(notice: &Notice) -> Vec<Draft> {
    let reading = Reading::month_first();
    let mut draft = Draft {
        maintenance_id: super::field(notice, &["WMT"]),
        start: super::field(notice, &["Event Start Date & Time"]).and_then(|t| reading.read(&t)),
        end: super::field(notice, &["Event End Date & Time"]).and_then(|t| reading.read(&t)),
        ..Draft::default()
    };
    let Some(page) = notice
        .pages()
        .find(|p| p.field(&["WMT"]).is_some())
        .or_else(|| notice.pages().next())
    else {
        return vec![draft];
    };
    if let Some(at) = page
        .lines
        .iter()
        .position(|l| squash(&l.cells.join(" ")).ends_with("maintenancenotification"))
    {
        draft.status = Some(heading_status(&page.lines[at].cells.join(" ")));
        let summary: Vec<String> = page.lines[at + 1..]
            .iter()
            .map(|l| l.cells.join(" ").trim().to_string())
            .take_while(|l| !l.to_uppercase().starts_with("DESCRIPTION OF MAINTENANCE"))
            .collect();
        draft.summary = Some(summary.join("\n"));
    }
    // The impact table ("Impact Type: | Duration | ..." then "Outage | 360 minute(s) | ...") applies to all circuits.
    let impact = page
        .grids(&["Impact Type"])
        .iter()
        .find_map(|g| {
            g.rows
                .first()
                .and_then(|r| r.first())
                .map(|t| impact_type(t))
        })
        .unwrap_or(Impact::NoImpact);
    for grid in page.grids(&["Name", "Circuit ID"]) {
        let (Some(name_col), Some(id_col)) = (grid.column(&["Name"]), grid.column(&["Circuit ID"]))
        else {
            continue;
        };
        for row in &grid.rows {
            let Some(id) = row.get(id_col).map(|s| s.trim()).filter(|s| !s.is_empty()) else {
                continue;
            };
            draft.circuits.push(Circuit::new(id, impact));
            if let Some(name) = row
                .get(name_col)
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
            {
                draft.account = Some(name.to_string());
            }
        }
    }
    vec![draft]
}

fn heading_status(heading: &str) -> Status {
    let heading = heading.to_lowercase();
    if heading.contains("completed") {
        Status::Completed
    } else if heading.contains("postponed")
        || heading.contains("cancelled")
        || heading.contains("canceled")
    {
        Status::Cancelled
    } else if heading.contains("updated") {
        Status::ReScheduled
    } else {
        // Demand, Planned, Emergency.
        Status::Confirmed
    }
}

fn impact_type(text: &str) -> Impact {
    let text = text.to_lowercase();
    if text.contains("outage") || text.contains("down") {
        Impact::Outage
    } else if text.contains("degrad") || text.contains("latency") {
        Impact::Degraded
    } else if text.contains("hit") || text.contains("redundan") {
        Impact::ReducedRedundancy
    } else {
        Impact::NoImpact
    }
}
