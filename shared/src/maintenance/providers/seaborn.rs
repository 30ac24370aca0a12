//! Seaborn Networks, in two layouts. Type 1: subject "[Customer] <ticket> <date>", body "DESCRIPTION:",
//! "SCHEDULE" followed by "start - end", "AFFECTED CIRCUIT:". Type 2: subject "[## <account> ##] ...
//! TT#<ticket>", body "Seaborn Ticket number:", "Start date/time:", "Finish date/time:", "Circuit impacted:".

use std::sync::LazyLock;

use regex_lite::Regex;

use crate::maintenance::datetime::{Reading, split_window};
use crate::maintenance::model::{Circuit, Draft, Impact, Status};
use crate::maintenance::notice::Notice;
use crate::maintenance::page::squash;

static ACCOUNT_NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\[##\s*(\d+)\s*##\]").expect("valid regex"));
static ACCOUNT_AND_TICKET: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\[([^\[\]#]+)\]\s*(\d+)\b").expect("valid regex"));

pub(super) fn read(notice: &Notice) -> Vec<Draft> {
    let reading = Reading::month_first();
    let mut draft = Draft {
        maintenance_id: super::field(
            notice,
            &["Seaborn Ticket number", "Seaborn Ticket", "Ticket number"],
        ),
        summary: super::field(notice, &["Description"]),
        start: super::field(notice, &["Start date/time", "Start date"])
            .and_then(|t| reading.read(&t)),
        end: super::field(
            notice,
            &["Finish date/time", "Finish date", "End date/time"],
        )
        .and_then(|t| reading.read(&t)),
        account: ACCOUNT_NUMBER
            .captures(&notice.subject)
            .map(|c| c[1].to_string()),
        ..Draft::default()
    };
    let circuit = super::field(
        notice,
        &[
            "Circuit impacted",
            "Circuits impacted",
            "Affected Circuit",
            "Affected Circuits",
        ],
    );
    draft.circuits = circuit
        .map(|ids| {
            super::split_ids(&ids)
                .into_iter()
                .map(|id| Circuit::new(id, Impact::Outage))
                .collect()
        })
        .unwrap_or_default();
    let text = notice.body_text().to_lowercase();
    draft.status = Some(if text.contains("been rescheduled") {
        Status::ReScheduled
    } else if text.contains("been cancelled") || text.contains("been canceled") {
        Status::Cancelled
    } else if text.contains("been completed") {
        Status::Completed
    } else {
        Status::Confirmed
    });
    if draft.account.is_none()
        && let Some(c) = ACCOUNT_AND_TICKET.captures(&notice.subject)
    {
        draft.account = Some(c[1].trim().to_string());
        draft.maintenance_id.get_or_insert_with(|| c[2].to_string());
    }
    if draft.start.is_none() {
        // Type 1: the window is on the line after "SCHEDULE".
        for page in notice.pages() {
            let Some(at) = page.lines.iter().position(|l| {
                l.cells
                    .first()
                    .is_some_and(|c| squash(c).starts_with("schedule"))
            }) else {
                continue;
            };
            let Some(window) = page.lines.get(at + 1).map(|l| l.cells.join(" ")) else {
                continue;
            };
            if let Some((start, end)) = split_window(&window) {
                draft.start = reading.read(start);
                draft.end = reading.read(end);
                break;
            }
        }
    }
    vec![draft]
}
