//! Telstra, in two templates. The classic one: "To:", "Change Reference:", "Maintenance Window: 01-Jun-2021
//! 15:59:00(UTC) to ...", "Maintenance Details:" then a title and a description, "Service(s) Impacted:".
//! The Telstra Connect one: "Attention <customer>", "Reference number", "Start time", "End time",
//! "Service/s under maintenance", each label above its value.

use crate::maintenance::datetime::{Reading, split_window};
use crate::maintenance::model::{Circuit, Draft, Impact, Status};
use crate::maintenance::notice::Notice;
use crate::maintenance::page::{Page, squash};

pub(super) fn read(notice: &Notice) -> Vec<Draft> {
    let Some(page) = notice
        .pages()
        .find(|p| p.field(&["Change Reference", "Reference number"]).is_some())
    else {
        return vec![Draft::default()];
    };
    let draft = if page.field(&["Change Reference"]).is_some() {
        classic(page)
    } else {
        connect(page)
    };
    vec![draft]
}

fn classic(page: &Page) -> Draft {
    let reading = Reading::month_first();
    let window = page.field(&["Maintenance Window"]).unwrap_or_default();
    let (start, end) =
        split_window(&window).map_or((None, None), |(s, e)| (reading.read(s), reading.read(e)));
    Draft {
        account: page.field(&["To"]),
        maintenance_id: page.field(&["Change Reference"]),
        start,
        end,
        circuits: circuits(page.field(&["Service(s) Impacted", "Services Impacted"])),
        summary: details(page, "maintenancedetails", "service(s)impacted").map(|(title, rest)| {
            if rest.is_empty() {
                title
            } else {
                format!("{title}. {}", rest.join("\n"))
            }
        }),
        status: Some(status(page)),
        ..Draft::default()
    }
}

fn connect(page: &Page) -> Draft {
    let reading = Reading::month_first();
    let account = page.rows().find_map(|row| {
        let rest = row.strip_prefix("Attention")?;
        (rest.starts_with(' ') || rest.starts_with(':'))
            .then(|| rest.trim_start_matches(':').trim().to_string())
    });
    Draft {
        // Read case-folded, as the reference library reads this template.
        account: account.map(|a| a.to_lowercase()),
        maintenance_id: page.field(&["Reference number"]),
        start: page.field(&["Start time"]).and_then(|t| reading.read(&t)),
        end: page.field(&["End time"]).and_then(|t| reading.read(&t)),
        circuits: circuits(page.field(&["Service/s under maintenance"])),
        // Joined the way the reference library joins them, so summaries compare equal.
        summary: details(page, "maintenancedetails", "referencenumber").map(|(title, rest)| {
            std::iter::once(title)
                .chain(rest)
                .collect::<Vec<_>>()
                .join(" . ")
        }),
        status: Some(status(page)),
        ..Draft::default()
    }
}

fn circuits(list: Option<String>) -> Vec<Circuit> {
    list.map(|ids| {
        super::split_ids(&ids)
            .into_iter()
            .map(|id| Circuit::new(id, Impact::Outage))
            .collect()
    })
    .unwrap_or_default()
}

/// The lines between the "Maintenance Details" heading and the next field: a title, then description lines.
fn details(page: &Page, heading: &str, next: &str) -> Option<(String, Vec<String>)> {
    let mut rows = page.rows().skip_while(|r| squash(r) != heading).skip(1);
    let mut texts = Vec::new();
    for row in rows.by_ref() {
        if squash(row).starts_with(next) {
            break;
        }
        texts.push(row.to_string());
    }
    let mut texts = texts.into_iter();
    let title = texts.next()?;
    Some((title, texts.collect()))
}

fn status(page: &Page) -> Status {
    let text = page.text().to_lowercase();
    if text.contains("has been withdrawn")
        || text.contains("has been cancelled")
        || text.contains("maintenance cancellation")
    {
        Status::Cancelled
    } else if text.contains("has been completed") || text.contains("successful") {
        Status::Completed
    } else if text.contains("has been rescheduled")
        || text.contains("has been amended")
        || text.contains("maintenance amendment")
    {
        Status::ReScheduled
    } else {
        // "has been scheduled", reminders, and the Telstra Connect "we'll soon be doing some network maintenance".
        Status::Confirmed
    }
}
