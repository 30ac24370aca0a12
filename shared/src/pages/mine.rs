//! *Mine*: one person's shifts, past (committed) and coming (committed and planned), then what the
//! brief says needs someone: tasks to triage, stale tasks, approvals, open incidents, the next
//! fortnight's maintenance as a timeline by day, and mail kept for review.

use std::fmt::Write as _;

use super::ahead::{People, name};
use super::now::readable;
use crate::ahead::AheadWeek;
use crate::brief::{Brief, Section, TaskLine};
use crate::mail::escape_html;
use crate::rotation::roster::IanaTimeZone;
use crate::shifts::ShiftRecord;

pub const PATH: &str = "/mine";
/// Past shifts listed, the latest first.
pub const PAST_SHIFTS: usize = 12;

/// What the page shows of one person.
pub struct Mine<'a> {
    pub person: &'a str,
    /// Their committed shifts that have started, the latest first.
    pub past: &'a [ShiftRecord],
    /// Their weeks ahead, with the rotation each belongs to.
    pub coming: &'a [(String, AheadWeek)],
    pub brief: &'a Brief,
    pub people: &'a People,
}

fn role(person: &str, primary: Option<&str>) -> &'static str {
    if primary == Some(person) {
        "on duty"
    } else {
        "backup"
    }
}

fn time(at: jiff::Timestamp, zone: Option<&IanaTimeZone>) -> String {
    format!(
        "<time datetime=\"{at}\">{}</time>",
        escape_html(&readable(at, zone))
    )
}

fn section_start(out: &mut String, id: &str, title: &str) {
    let _ = write!(
        out,
        "<section class=\"duty\" aria-labelledby=\"{id}\"><h2 id=\"{id}\">{title}</h2>"
    );
}

fn more<T>(out: &mut String, section: &Section<T>) {
    if section.total > section.items.len() {
        let _ = write!(
            out,
            "<p class=\"muted\">and {} more.</p>",
            section.total - section.items.len()
        );
    }
}

fn tasks(out: &mut String, id: &str, title: &str, section: &Section<TaskLine>) {
    section_start(out, id, title);
    if section.is_empty() {
        out.push_str("<p>None.</p></section>");
        return;
    }
    out.push_str("<ul>");
    for task in &section.items {
        let label = format!("{} {}", task.name, task.title);
        let link = match &task.url {
            Some(url) => format!(
                "<a href=\"{}\">{}</a>",
                escape_html(url),
                escape_html(&label)
            ),
            None => escape_html(&label),
        };
        let _ = write!(
            out,
            "<li>{link} <span class=\"muted\">({}, idle {} days)</span>",
            escape_html(&task.status),
            task.idle_days
        );
        if !task.pending_approvals.is_empty() {
            let _ = write!(
                out,
                " awaiting approval by {}",
                escape_html(&task.pending_approvals.join(", "))
            );
        }
        out.push_str("</li>");
    }
    out.push_str("</ul>");
    more(out, section);
    out.push_str("</section>");
}

fn shifts(out: &mut String, mine: &Mine<'_>, zone: Option<&IanaTimeZone>) {
    section_start(out, "coming", "Your coming shifts");
    if mine.coming.is_empty() {
        out.push_str("<p>None in the next twelve weeks.</p>");
    } else {
        out.push_str("<ol class=\"weeks\">");
        for (rotation, week) in mine.coming {
            let heading = format!(
                "{} {}, {}",
                escape_html(rotation),
                escape_html(&week.week),
                role(mine.person, week.primary.as_deref())
            );
            super::ahead::week(out, week, mine.people, zone, &heading);
        }
        out.push_str("</ol>");
    }
    out.push_str("</section>");
    section_start(out, "past", "Your past shifts");
    if mine.past.is_empty() {
        out.push_str("<p>None committed yet.</p>");
    } else {
        out.push_str("<ol>");
        for shift in mine.past {
            let _ = write!(
                out,
                "<li>{} {}, {}: {} to {}</li>",
                escape_html(&shift.rotation),
                escape_html(&shift.week),
                role(mine.person, shift.primary.as_deref()),
                time(shift.start_utc, zone),
                time(shift.end_utc, zone)
            );
        }
        out.push_str("</ol>");
    }
    out.push_str("</section>");
}

fn incidents(out: &mut String, brief: &Brief, zone: Option<&IanaTimeZone>) {
    section_start(out, "incidents", "Open incidents");
    if brief.open_incidents.is_empty() {
        out.push_str("<p>None.</p></section>");
        return;
    }
    out.push_str("<ul>");
    for incident in &brief.open_incidents.items {
        let _ = write!(
            out,
            "<li>#{} {} <span class=\"muted\">({}, since {})</span></li>",
            escape_html(&incident.number),
            escape_html(&incident.name),
            escape_html(incident.phase.as_str()),
            time(incident.since, zone)
        );
    }
    out.push_str("</ul>");
    more(out, &brief.open_incidents);
    out.push_str("</section>");
}

/// The maintenances by the day they start in the reader's zone, in order.
fn maintenance(out: &mut String, brief: &Brief, zone: Option<&IanaTimeZone>) {
    let title = format!("Maintenance in the next {} days", brief.maintenance_days);
    section_start(out, "maintenance", &title);
    if brief.maintenance.is_empty() {
        out.push_str("<p>None announced.</p></section>");
        return;
    }
    let tz = zone.map_or(jiff::tz::TimeZone::UTC, |z| z.zone().clone());
    let mut items: Vec<_> = brief.maintenance.items.iter().collect();
    items.sort_by_key(|m| m.start);
    let mut day = None;
    out.push_str("<ol class=\"timeline\">");
    for m in items {
        let date = m.start.to_zoned(tz.clone()).date();
        if day != Some(date) {
            if day.is_some() {
                out.push_str("</ul></li>");
            }
            day = Some(date);
            let _ = write!(
                out,
                "<li><h3><time datetime=\"{date}\">{}</time></h3><ul>",
                date.strftime("%A %-d %B")
            );
        }
        let _ = write!(
            out,
            "<li>{} to {}: {} {} <span class=\"muted\">({})</span>",
            time(m.start, zone),
            if m.open_ended {
                "no end given".to_owned()
            } else {
                time(m.end, zone)
            },
            escape_html(&m.provider),
            escape_html(&m.summary),
            escape_html(m.status)
        );
        if !m.circuits.is_empty() {
            let _ = write!(out, "; circuits {}", escape_html(&m.circuits.join(", ")));
        }
        if m.unverified {
            out.push_str(" <a href=\"/maintenance\">unverified: confirm it</a>");
        }
        out.push_str("</li>");
    }
    out.push_str("</ul></li></ol>");
    more(out, &brief.maintenance);
    out.push_str("</section>");
}

fn review(out: &mut String, brief: &Brief, zone: Option<&IanaTimeZone>) {
    section_start(out, "review", "Mail to review");
    if brief.mail_review.is_empty() {
        out.push_str("<p>None.</p></section>");
        return;
    }
    out.push_str("<ul>");
    for mail in &brief.mail_review.items {
        let _ = write!(
            out,
            "<li>{} from {}: {} <span class=\"muted\">({})</span></li>",
            time(mail.received_at, zone),
            escape_html(mail.from.as_deref().unwrap_or("an unknown sender")),
            escape_html(mail.subject.as_deref().unwrap_or("(no subject)")),
            escape_html(&mail.reason)
        );
    }
    out.push_str("</ul>");
    more(out, &brief.mail_review);
    out.push_str("</section>");
}

/// The page's main content.
pub fn main(mine: &Mine<'_>, now: jiff::Timestamp, zone: Option<&IanaTimeZone>) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<p class=\"note\">As of {} for {}. Times are in {}.</p>",
        time(now, zone),
        name(mine.people, Some(mine.person)),
        escape_html(zone.map_or("UTC", |z| z.name()))
    );
    shifts(&mut out, mine, zone);
    let brief = mine.brief;
    tasks(&mut out, "triage", "Tasks to triage", &brief.needs_triage);
    let stale = format!("Stale tasks (idle over {} days)", brief.stale_after_days);
    tasks(&mut out, "stale", &stale, &brief.stale);
    tasks(&mut out, "approvals", "Approvals", &brief.access_requests);
    incidents(&mut out, brief, zone);
    maintenance(&mut out, brief, zone);
    review(&mut out, brief, zone);
    out.push_str(&format!(
        "<p><a href=\"{}\">All rotations ahead</a></p>",
        super::ahead::PATH
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::brief::{MaintenanceLine, TaskLine};

    fn at(second: i64) -> jiff::Timestamp {
        jiff::Timestamp::from_second(second).unwrap()
    }

    fn empty<T>() -> Section<T> {
        Section {
            total: 0,
            items: Vec::new(),
        }
    }

    fn brief() -> Brief {
        let task = TaskLine {
            phid: "PHID-TASK-1".into(),
            name: "T7".into(),
            title: "<script>alert(1)</script>".into(),
            status: "open".into(),
            last_activity: at(1_800_000_000),
            idle_days: 3,
            url: Some("https://phorge.example.org/T7?a=1&b=2".into()),
            pending_approvals: vec!["bruno".into()],
            needs_triage: true,
        };
        let maintenance = |id: &str, start: i64| MaintenanceLine {
            provider: "acme".into(),
            maintenance_id: id.into(),
            status: "scheduled",
            start: at(start),
            end: at(start + 3600),
            circuits: vec!["C1 (OUTAGE)".into()],
            summary: format!("work {id}"),
            acknowledged: None,
            unverified: id == "m2",
            open_ended: false,
        };
        Brief {
            at: at(1_800_000_000),
            notice: None,
            duty: Vec::new(),
            needs_triage: Section {
                total: 30,
                items: vec![task.clone()],
            },
            stale_after_days: 14,
            stale: empty(),
            access_requests: Section {
                total: 1,
                items: vec![task],
            },
            open_incidents: empty(),
            statuspage_after_resolution: empty(),
            held_incidents: empty(),
            maintenance_days: 14,
            // Out of order, two on one day: the timeline sorts and groups them.
            maintenance: Section {
                total: 3,
                items: vec![
                    maintenance("m3", 1_800_200_000),
                    maintenance("m1", 1_800_010_000),
                    maintenance("m2", 1_800_020_000),
                ],
            },
            maintenance_outages: None,
            mail_review: empty(),
        }
    }

    fn shift(week: &str, primary: &str) -> ShiftRecord {
        ShiftRecord {
            rotation: "clinic".into(),
            week: week.into(),
            primary: Some(primary.into()),
            backup: Some("asha".into()),
            team: None,
            start_utc: at(1_799_000_000),
            end_utc: at(1_799_600_000),
            relaxed: Vec::new(),
            unstaffed_reason: None,
            overridden: None,
            committed_at: at(1_799_000_000),
            cause: "test".into(),
            victorops_overrides: Vec::new(),
        }
    }

    #[test]
    fn the_page_lists_my_shifts_tasks_with_phorge_links_and_a_timeline_by_day_escaped() {
        let brief = brief();
        let past = vec![shift("2027-W01", "asha"), shift("2026-W50", "bruno")];
        let coming = vec![(
            "clinic".to_owned(),
            AheadWeek {
                week: "2027-W05".into(),
                start: at(1_801_000_000),
                end: at(1_801_600_000),
                primary: Some("asha".into()),
                backup: None,
                committed: false,
                overridden: None,
                unstaffed_reason: None,
                why: None,
            },
        )];
        let people = People::new();
        let mine = Mine {
            person: "asha",
            past: &past,
            coming: &coming,
            brief: &brief,
            people: &people,
        };
        let html = main(&mine, at(1_800_000_000), None);
        assert!(
            html.contains("clinic 2027-W05, on duty <span class=\"mark planned\">Planned</span>"),
            "{html}"
        );
        assert!(
            html.contains("<li>clinic 2027-W01, on duty: <time"),
            "{html}"
        );
        assert!(
            html.contains("<li>clinic 2026-W50, backup: <time"),
            "{html}"
        );
        assert!(
            html.contains("<a href=\"https://phorge.example.org/T7?a=1&amp;b=2\">T7 &lt;script&gt;alert(1)&lt;/script&gt;</a>"),
            "{html}"
        );
        assert!(!html.contains("<script>"));
        assert!(html.contains("awaiting approval by bruno"), "{html}");
        assert!(html.contains("and 29 more."), "{html}");
        // Two days, the first with m1 then m2, the second with m3.
        let day1 = html.find("Friday 15 January").expect("first day");
        let day2 = html.find("Sunday 17 January").expect("second day");
        let (m1, m2, m3) = (
            html.find("work m1").unwrap(),
            html.find("work m2").unwrap(),
            html.find("work m3").unwrap(),
        );
        assert!(day1 < m1 && m1 < m2 && m2 < day2 && day2 < m3, "{html}");
        assert_eq!(html.matches("<h3><time datetime=").count(), 2, "{html}");
        assert!(html.contains("unverified: confirm it"), "{html}");
        assert!(
            html.contains("<h2 id=\"review\">Mail to review</h2><p>None.</p>"),
            "{html}"
        );
    }
}
