//! *Now*: who is on duty in each rotation this week and who is next, with backups, in the reader's
//! zone. The duty is the brief's (`brief::duty`), the same the status endpoint and the handoff show.

use std::fmt::Write as _;

use crate::brief::{DutyWeek, PersonCard, RotationDuty};
use crate::mail::escape_html;
use crate::rotation::roster::IanaTimeZone;

/// An instant as a person reads it (the form is the roster's, which the mails share).
pub use crate::rotation::roster::readable;

fn who(card: Option<&PersonCard>, id: Option<&str>) -> String {
    match (card, id) {
        (Some(p), _) => format!(
            "{} <span class=\"muted\">({}, {})</span>",
            escape_html(&p.name),
            escape_html(&p.team),
            escape_html(&p.timezone)
        ),
        (None, Some(id)) => format!("{} (no longer on the roster)", escape_html(id)),
        (None, None) => "nobody".to_owned(),
    }
}

fn week(out: &mut String, label: &str, week: Option<&DutyWeek>, zone: Option<&IanaTimeZone>) {
    let _ = write!(out, "<h3>{label}</h3>");
    let Some(w) = week else {
        out.push_str("<p>No week committed yet.</p>");
        return;
    };
    let _ = write!(
        out,
        "<dl><dt>On duty</dt><dd>{}</dd><dt>Backup</dt><dd>{}</dd>\
         <dt>From</dt><dd><time datetime=\"{}\">{}</time></dd>\
         <dt>Until</dt><dd><time datetime=\"{}\">{}</time></dd><dt>Week</dt><dd>{}</dd>",
        who(w.on_duty.as_ref(), w.on_duty_id.as_deref()),
        who(w.backup.as_ref(), None),
        w.start,
        escape_html(&readable(w.start, zone)),
        w.end,
        escape_html(&readable(w.end, zone)),
        escape_html(&w.week),
    );
    if let Some(reason) = &w.override_reason {
        let _ = write!(out, "<dt>Changed</dt><dd>{}</dd>", escape_html(reason));
    }
    if let Some(reason) = &w.unstaffed_reason {
        let _ = write!(out, "<dt>Unstaffed</dt><dd>{}</dd>", escape_html(reason));
    }
    out.push_str("</dl>");
}

/// The page's main content.
pub fn main(duty: &[RotationDuty], now: jiff::Timestamp, zone: Option<&IanaTimeZone>) -> String {
    let mut out = String::new();
    let zone_name = zone.map_or("UTC", |z| z.name());
    let _ = write!(
        out,
        "<p class=\"note\">As of <time datetime=\"{now}\">{}</time>. Times are in {}.</p>",
        escape_html(&readable(now, zone)),
        escape_html(zone_name)
    );
    if duty.is_empty() {
        out.push_str("<p>No rotation has been planned yet.</p>");
    }
    for rotation in duty {
        let id = format!("rotation-{}", escape_html(&rotation.rotation));
        let _ = write!(
            out,
            "<section class=\"duty\" aria-labelledby=\"{id}\"><h2 id=\"{id}\">{}</h2>",
            escape_html(&rotation.rotation)
        );
        week(&mut out, "This week", rotation.current.as_ref(), zone);
        week(&mut out, "Next", rotation.next.as_ref(), zone);
        out.push_str("</section>");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(name: &str) -> PersonCard {
        PersonCard {
            id: name.to_lowercase(),
            name: name.into(),
            email: format!("{}@example.net", name.to_lowercase()),
            team: "traffic".into(),
            timezone: "Europe/London".into(),
            rotations: vec!["sre-clinic".into()],
        }
    }

    fn at(second: i64) -> jiff::Timestamp {
        jiff::Timestamp::from_second(second).unwrap()
    }

    #[test]
    fn the_page_names_this_weeks_person_backup_and_next_in_the_readers_zone_escaped() {
        let duty = vec![RotationDuty {
            rotation: "sre<clinic>".into(),
            current: Some(DutyWeek {
                week: "2027-W02".into(),
                start: at(1_799_654_400),
                end: at(1_800_086_400),
                on_duty: Some(card("Asha")),
                backup: Some(card("Bruno")),
                on_duty_id: None,
                unstaffed_reason: None,
                override_reason: Some("at a <conference>".into()),
            }),
            next: None,
        }];
        let zone = IanaTimeZone::parse("Asia/Tokyo").unwrap();
        let html = main(&duty, at(1_799_700_000), Some(&zone));
        assert!(
            html.contains("<h2 id=\"rotation-sre&lt;clinic&gt;\">sre&lt;clinic&gt;</h2>"),
            "{html}"
        );
        assert!(html.contains("Asha"), "{html}");
        assert!(html.contains("<dt>Backup</dt><dd>Bruno"), "{html}");
        assert!(html.contains("at a &lt;conference&gt;"), "{html}");
        assert!(html.contains("No week committed yet."), "{html}");
        assert!(html.contains("Times are in Asia/Tokyo"), "{html}");
        assert!(html.contains("JST"), "{html}");
        assert!(!html.contains("<conference>"));
    }

    #[test]
    fn a_time_reads_as_a_weekday_date_and_clock_time() {
        assert_eq!(
            readable(at(1_800_000_000), None),
            "Friday 15 January 2027, 08:00 UTC"
        );
    }
}
