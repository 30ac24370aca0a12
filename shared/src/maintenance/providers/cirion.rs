//! Cirion (formerly Lumen's Latin American business, on a fork of Lumen's notice system): the change
//! ("CHG" and seven digits) on a line of its own, the state in a sentence ("This maintenance is
//! scheduled / implemented / closed"), one Start/End table per window with the times in Greenwich Mean
//! Time, and a customer table whose Alt Circuit ID (Cirion's service id) is preferred to the Circuit ID.
//! Only circuits marked as an outage are reported, as for Lumen.

use std::sync::LazyLock;

use regex_lite::Regex;

use crate::maintenance::datetime::Reading;
use crate::maintenance::model::{Circuit, Draft, Impact, Status};
use crate::maintenance::notice::Notice;
use crate::maintenance::page::Page;

static CHANGE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\bCHG\d{7,}\b").expect("valid regex"));

pub(super) fn read(notice: &Notice) -> Vec<Draft> {
    let Some(page) = notice.html.first().or_else(|| notice.pages().next()) else {
        return vec![Draft::default()];
    };
    let mut base = Draft::default();
    for row in page.rows() {
        let lower = row.to_lowercase();
        if base.maintenance_id.is_none()
            && let Some(change) = CHANGE.find(row)
        {
            base.maintenance_id = Some(change.as_str().to_string());
        }
        if lower.contains("this maintenance is scheduled") {
            base.status = Some(Status::Confirmed);
        } else if lower.contains("this maintenance is implement") {
            base.status = Some(Status::InProcess);
        } else if lower.contains("this maintenance is closed") {
            base.status = Some(Status::Completed);
        } else if lower.contains("this maintenance is cancel") {
            base.status = Some(Status::Cancelled);
        }
    }
    read_services(page, &mut base);
    let windows = windows(page);
    if windows.is_empty() {
        return vec![base];
    }
    windows
        .into_iter()
        .map(|(start, end)| Draft {
            start: Some(start),
            end: Some(end),
            ..base.clone()
        })
        .collect()
}

fn read_services(page: &Page, draft: &mut Draft) {
    for grid in page.grids(&["Customer Name"]) {
        // Cirion's table has eight columns; the positions stand in when a header is worded differently.
        let positional = grid.headers.len() == 8;
        let id_col = grid.column(&["Circuit ID"]).or(positional.then_some(1));
        let alt_col = grid.column(&["Alt Circuit ID"]).or(positional.then_some(2));
        let impact_col = grid
            .column(&["Impact Type", "Impact"])
            .or(positional.then_some(6));
        for row in &grid.rows {
            if draft.account.is_none() {
                draft.account = row
                    .first()
                    .map(|a| a.trim().to_string())
                    .filter(|a| !a.is_empty());
            }
            let usable = |id: &&String| !matches!(id.trim(), "" | "_" | "N/A");
            let id = alt_col
                .and_then(|c| row.get(c))
                .filter(usable)
                .or_else(|| id_col.and_then(|c| row.get(c)).filter(usable));
            let outage = impact_col
                .and_then(|c| row.get(c))
                .is_some_and(|i| i.to_lowercase().contains("outage"));
            if let (Some(id), true) = (id, outage) {
                draft.circuits.push(Circuit::new(id.trim(), Impact::Outage));
            }
        }
    }
}

/// One window per Start/End table: its first row with both times in Greenwich Mean Time.
fn windows(page: &Page) -> Vec<(i64, i64)> {
    let reading = Reading::month_first();
    page.grids(&["Start", "End"])
        .iter()
        .filter_map(|grid| {
            grid.rows.iter().find_map(|row| {
                let gmt: Vec<&str> = row
                    .iter()
                    .filter(|c| c.contains("Greenwich Mean Time"))
                    .map(|c| c.split("(Greenwich Mean Time)").next().unwrap_or(c))
                    .collect();
                let [start, end, ..] = gmt.as_slice() else {
                    return None;
                };
                Some((reading.read(start)?, reading.read(end)?))
            })
        })
        .collect()
}
