//! Crown Castle Fiber: an HTML notice with a "time zone grid" (the window in several US zones and GMT,
//! month-first dates) and a circuit grid with a per-circuit impact.

use crate::maintenance::datetime::Reading;
use crate::maintenance::model::{Circuit, Draft, Impact, Status};
use crate::maintenance::notice::Notice;
use crate::maintenance::zones::zone_named;

pub(super) fn read(notice: &Notice) -> Vec<Draft> {
    let mut draft = Draft {
        account: super::salutation(notice),
        maintenance_id: super::field(notice, &["Ticket Number"]),
        summary: super::field(notice, &["Work Description", "Description"]),
        status: Some(status(notice)),
        ..Draft::default()
    };
    for page in notice.pages() {
        for grid in page.grids(&["Scheduled Start Date & Time", "Time Zone"]) {
            // Prefer the GMT row; otherwise convert the first row whose zone is known.
            let mut rows: Vec<&Vec<String>> = grid.rows.iter().filter(|r| r.len() >= 5).collect();
            rows.sort_by_key(|r| !r[4].trim().eq_ignore_ascii_case("GMT"));
            for row in rows {
                let Some(zone) = zone_named(row[4].trim()) else {
                    continue;
                };
                let reading = Reading::month_first().zone(zone);
                let start = reading.read(&format!("{} {}", row[0], row[1]));
                let end = reading.read(&format!("{} {}", row[2], row[3]));
                if start.is_some() && end.is_some() {
                    draft.start = start;
                    draft.end = end;
                    break;
                }
            }
        }
        for grid in page.grids(&["Circuit ID", "Impact"]) {
            let (Some(id_col), Some(impact_col)) =
                (grid.column(&["Circuit ID"]), grid.column(&["Impact"]))
            else {
                continue;
            };
            for row in &grid.rows {
                let Some(id) = row.get(id_col).map(|s| s.trim()).filter(|s| !s.is_empty()) else {
                    continue;
                };
                let impact = match row.get(impact_col).map(|s| s.trim().to_lowercase()) {
                    Some(i) if i == "none" || i.contains("no impact") => Impact::NoImpact,
                    _ => Impact::Outage,
                };
                draft.circuits.push(Circuit::new(id, impact));
            }
        }
        if draft.start.is_some() {
            break;
        }
    }
    vec![draft]
}

fn status(notice: &Notice) -> Status {
    let text = notice.body_text().to_lowercase();
    if text.contains("has been completed") {
        return Status::Completed;
    }
    let headline = notice
        .pages()
        .find_map(|p| p.lines.first().map(|l| l.cells.join(" ")))
        .unwrap_or_default()
        .to_lowercase();
    if headline.contains("cancel") {
        Status::Cancelled
    } else if headline.contains("reschedul") {
        Status::ReScheduled
    } else {
        super::status_in_words(&notice.subject)
            .filter(|s| *s != Status::Confirmed)
            .unwrap_or(Status::Confirmed)
    }
}
