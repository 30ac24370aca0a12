//! Telecom Italia Sparkle: a two-column HTML table. One notice may cover several tickets ("1111111 /
//! 22222 / 33333"), each with its own Start/End rows in the same order (Day 1, Day 2, BACKUP ...).

use crate::maintenance::datetime::Reading;
use crate::maintenance::model::{Circuit, Draft, Impact, Status};
use crate::maintenance::notice::Notice;
use crate::maintenance::page::squash;

pub(super) fn read(notice: &Notice) -> Vec<Draft> {
    let reading = Reading::month_first();
    let mut tickets: Vec<String> = Vec::new();
    let mut starts: Vec<i64> = Vec::new();
    let mut ends: Vec<i64> = Vec::new();
    let mut circuits: Vec<Circuit> = Vec::new();
    let mut summary = None;
    // Table rows with their full cell text: the circuits sit in a table nested in the value cell.
    let rows = notice
        .html
        .iter()
        .flat_map(|p| p.tables.iter().map(move |t| (p, t)))
        .flat_map(|(p, t)| t.rows.iter().map(move |r| (p, r)))
        .filter(|(_, r)| r.len() >= 2);
    for (page, row) in rows {
        let key = squash(&page.cell_text(&row[0]));
        let value = page.cell_text(&row[1]);
        let value = value.trim();
        if key.starts_with("sparkleticketnumber") {
            tickets = value
                .split('/')
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .collect();
        } else if key.starts_with("startdate/time") {
            starts.extend(reading.read(value));
        } else if key.starts_with("enddate/time") {
            ends.extend(reading.read(value));
        } else if key.starts_with("circuitsinvolved") {
            circuits = super::split_ids(value)
                .into_iter()
                .map(|id| Circuit::new(id, Impact::Outage))
                .collect();
        } else if key.starts_with("descriptionofwork") {
            summary = Some(value.to_string());
        }
    }
    if tickets.is_empty() {
        tickets.push(String::new());
    }
    let status = super::status_in_words(&notice.subject)
        .filter(|s| {
            matches!(
                s,
                Status::Cancelled | Status::Completed | Status::ReScheduled
            )
        })
        .unwrap_or(Status::Confirmed);
    tickets
        .into_iter()
        .enumerate()
        .map(|(i, ticket)| Draft {
            maintenance_id: Some(ticket),
            start: starts.get(i).copied(),
            end: ends.get(i).copied(),
            circuits: circuits.clone(),
            summary: summary.clone(),
            status: Some(status),
            // Sparkle does not name the customer account.
            account: Some("Not Available".to_string()),
            ..Draft::default()
        })
        .collect()
}
