//! The template-free reading: a mail no template reads, or that its provider's template no longer reads,
//! but that says it is a maintenance and labels its window ("Planned Start Time: 07.05.2026 16:00 GMT",
//! "Start Time (EST)", "Outage Window: A to B UTC", a table with Start and End columns, a CSV attachment).
//! It is deliberately narrow: a mail must announce a maintenance in its subject or wording, must not read
//! as an invoice, an incident report or an auto-reply, and must label a window with times of day; anything
//! less is left to the review list. What it reads is marked `reading: generic` for a person to confirm.

mod fields;
mod gate;
mod labels;
mod windows;

use super::model::{Draft, Status, status_stated};
use super::notice::{Notice, domain_of};
use super::page::Page;

pub(crate) use gate::announces_maintenance;

/// Drafts of the maintenances a notice announces by its labelled windows; empty when the notice does not
/// read as a maintenance notice or labels no window.
pub(crate) fn read(notice: &Notice) -> Vec<Draft> {
    if !announces_maintenance(notice) {
        return Vec::new();
    }
    let sources = sources(notice);
    let context = windows::Context::of(notice, &sources);
    let Some(found) = sources
        .iter()
        .map(|p| windows::in_page(p, &context))
        .find(|w| !w.primary.is_empty())
    else {
        return Vec::new();
    };
    let status = status_of(notice, &sources);
    let impact = fields::impact(notice, &sources);
    let circuits = fields::circuits(&sources);
    let organisation = organisation(notice);
    let reference = fields::reference(notice, &sources);
    let account = fields::account(notice, &sources).unwrap_or_default();
    let mut summary = notice.subject.trim().to_string();
    for backup in &found.backup {
        summary.push_str(&format!(
            "\nBackup window: {} to {} UTC",
            windows::utc(backup.start),
            backup
                .end
                .map_or_else(|| "open end".to_string(), windows::utc)
        ));
    }
    found
        .primary
        .iter()
        .map(|window| Draft {
            provider: Some(organisation.clone()),
            account: Some(account.clone()),
            maintenance_id: Some(
                reference.clone().unwrap_or_else(|| {
                    format!("{organisation}-{}", windows::compact(window.start))
                }),
            ),
            circuits: circuits
                .iter()
                .map(|id| super::model::Circuit::new(id.clone(), impact))
                .collect(),
            status: Some(status),
            start: Some(window.start),
            end: window.end,
            open_ended: window.end.is_none(),
            organizer: notice.from.clone(),
            summary: Some(summary.clone()),
            ..Draft::default()
        })
        .collect()
}

/// Where windows may be labelled: the bodies (HTML first), then CSV and XLSX attachments as tables.
fn sources(notice: &Notice) -> Vec<Page> {
    let mut pages: Vec<Page> = notice.pages().cloned().collect();
    for csv in &notice.csv {
        let csv = csv.trim_start_matches('\u{feff}');
        let delimiter = [';', '\t', ',']
            .into_iter()
            .find(|d| csv.lines().next().is_some_and(|l| l.contains(*d)))
            .unwrap_or(',');
        let tabbed: String = csv
            .lines()
            .map(|l| {
                l.split(delimiter)
                    .map(|c| c.trim().trim_matches('"'))
                    .collect::<Vec<_>>()
                    .join("\t")
            })
            .collect::<Vec<_>>()
            .join("\n");
        pages.push(Page::from_plain(&tabbed));
    }
    for sheet in &notice.sheets {
        let tabbed: String = sheet
            .rows()
            .map(|row| {
                (0..sheet.width)
                    .map(|c| row.get(c).replace(['\t', '\n'], " "))
                    .collect::<Vec<_>>()
                    .join("\t")
            })
            .collect::<Vec<_>>()
            .join("\n");
        pages.push(Page::from_plain(&tabbed));
    }
    pages
}

/// The status the subject, a labelled status field or a plain sentence of the body states; scheduled
/// when none does.
fn status_of(notice: &Notice, pages: &[Page]) -> Status {
    if let Some(status) = status_stated(&notice.subject) {
        return status;
    }
    if let Some(value) = pages
        .iter()
        .find_map(|p| p.field(&["Status", "Maintenance Status", "Notification Status"]))
        && let Some(status) = Status::from_bcop(&value).or_else(|| status_stated(&value))
    {
        return status;
    }
    let body = notice.body_text().to_lowercase();
    let said = |phrases: &[&str]| phrases.iter().any(|p| body.contains(p));
    if said(&[
        "has been cancelled",
        "has been canceled",
        "is cancelled",
        "is canceled",
    ]) {
        Status::Cancelled
    } else if said(&[
        "has been completed",
        "was completed",
        "has been successfully completed",
    ]) {
        Status::Completed
    } else if said(&["has been rescheduled", "has been postponed"]) {
        Status::ReScheduled
    } else if said(&["is now in progress", "is in progress", "has started"]) {
        Status::InProcess
    } else {
        Status::Confirmed
    }
}

/// The sender's organisation as a provider name: the registrable part of the From domain
/// (`noc@ops.nordlicht-netz.de` → `nordlicht-netz`), "unknown" without one.
pub(crate) fn organisation(notice: &Notice) -> String {
    let Some(domain) = notice.senders.first().and_then(|s| domain_of(s)) else {
        return "unknown".to_string();
    };
    let labels: Vec<&str> = domain.split('.').filter(|l| !l.is_empty()).collect();
    // Second-level registries ("co.uk", "com.au", "net.br") push the name one label further left.
    let second_level = ["co", "com", "net", "org", "ac", "gov", "ne", "or"];
    let name = match labels.as_slice() {
        [] => None,
        [only] => Some(*only),
        [.., name, sld, _tld] if second_level.contains(sld) && labels.len() >= 3 => Some(*name),
        [.., name, _tld] => Some(*name),
    };
    name.map(|n| {
        n.chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect::<String>()
            .to_ascii_lowercase()
    })
    .filter(|n| !n.is_empty())
    .unwrap_or_else(|| "unknown".to_string())
}

#[cfg(test)]
mod tests;
