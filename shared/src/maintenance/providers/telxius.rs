//! Telxius: the subject is "[UPDATE] SCHEDULED Maintenance Notification: ID - Customer" (the tag, if any,
//! telling the status); the HTML body gives "Notification number:", "Description:", a "Schedule:" list
//! with one "start - end" window per item (a backup window marked in brackets) and a table whose "CRT"
//! column lists the affected circuits. Each window is a maintenance; the second and later get "-2", "-3".

use std::sync::LazyLock;

use regex_lite::Regex;

use crate::maintenance::datetime::{Reading, split_window};
use crate::maintenance::model::{Circuit, Draft, Impact, Status};
use crate::maintenance::notice::Notice;
use crate::maintenance::page::{Page, squash};

static SUBJECT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:\[([A-Za-z]+)\]\s*)?(?:EMERGENCY )?SCHEDULED Maintenance Notification: ([A-Z0-9]+) - (.*)",
    )
    .expect("valid regex")
});

pub(super) fn read(notice: &Notice) -> Vec<Draft> {
    let subject = notice.subject.replace(['\r', '\n'], "");
    let mut base = Draft::default();
    if let Some(c) = SUBJECT.captures(&subject) {
        base.maintenance_id = Some(c[2].to_string());
        base.account = Some(c[3].trim().to_string());
        base.status = Some(match c.get(1).map(|t| t.as_str().to_ascii_uppercase()) {
            Some(tag) if tag == "UPDATE" => Status::ReScheduled,
            Some(tag) if tag == "START" => Status::InProcess,
            Some(tag) if tag == "COMPLETED" => Status::Completed,
            Some(tag) if tag.starts_with("CANCEL") => Status::Cancelled,
            _ => Status::Confirmed,
        });
    }
    if let Some(number) = super::field(notice, &["Notification number"]) {
        base.maintenance_id = Some(number);
    }
    base.summary = super::field(notice, &["Description"]);
    let mut windows = Vec::new();
    for page in notice.pages() {
        windows = schedule(page);
        for grid in page.grids(&["CRT"]) {
            let Some(column) = grid.column(&["CRT"]) else {
                continue;
            };
            for row in &grid.rows {
                if let Some(id) = row.get(column).map(|c| c.trim()).filter(|c| !c.is_empty()) {
                    base.circuits.push(Circuit::new(id, Impact::Outage));
                }
            }
        }
        if !windows.is_empty() {
            break;
        }
    }
    if windows.is_empty() {
        return vec![base];
    }
    windows
        .into_iter()
        .enumerate()
        .map(|(index, (start, end))| Draft {
            maintenance_id: match (index, &base.maintenance_id) {
                (0, id) => id.clone(),
                (n, Some(id)) => Some(format!("{id}-{}", n + 1)),
                (_, None) => None,
            },
            start,
            end,
            ..base.clone()
        })
        .collect()
}

/// The windows listed under the "Schedule:" label, one per line, until a line that is not a window.
fn schedule(page: &Page) -> Vec<(Option<i64>, Option<i64>)> {
    let reading = Reading::month_first();
    let rows: Vec<&str> = page.rows().collect();
    let Some(at) = rows.iter().position(|r| squash(r).starts_with("schedule")) else {
        return Vec::new();
    };
    rows[at + 1..]
        .iter()
        .map_while(|row| {
            // "(Backup Window)" and similar notes follow the window.
            let window = row.split('(').next().unwrap_or(row).trim();
            let (start, end) = split_window(window)?;
            let (start, end) = (reading.read(start), reading.read(end));
            (start.is_some() || end.is_some()).then_some((start, end))
        })
        .collect()
}
