//! *Maintenance*: the vendor maintenances of the coming days still unverified (read without a
//! template, not yet confirmed by a person), each with a "Confirm as read" button, and the other mail
//! waiting on the review list. The button posts to [`CONFIRM_PATH`].

use std::fmt::Write as _;

use super::now::readable;
use crate::mail::escape_html;
use crate::maintenance::ingest::review_id_of;
use crate::maintenance::lifecycle::{MaintenanceRecord, ReviewItem, impact_name, status_name};
use crate::rotation::roster::IanaTimeZone;

pub const PATH: &str = "/maintenance";
pub const CONFIRM_PATH: &str = "/maintenance/confirm";
/// How far ahead the page looks for unverified maintenances.
pub const AHEAD_DAYS: i64 = 30;

/// What the last button press did, shown once above the lists (after the redirect).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    Confirmed(String),
    AlreadyConfirmed(String),
}

impl Notice {
    /// The query string of the redirect that shows it.
    pub fn query(&self) -> String {
        let (kind, which) = match self {
            Notice::Confirmed(m) => ("confirmed", m),
            Notice::AlreadyConfirmed(m) => ("already", m),
        };
        form_urlencoded::Serializer::new(String::new())
            .append_pair(kind, which)
            .finish()
    }

    /// Read back from the redirect's query (`None` for anything else).
    pub fn from_query(query: &str) -> Option<Notice> {
        form_urlencoded::parse(query.as_bytes()).find_map(|(k, v)| match k.as_ref() {
            "confirmed" => Some(Notice::Confirmed(v.into_owned())),
            "already" => Some(Notice::AlreadyConfirmed(v.into_owned())),
            _ => None,
        })
    }

    fn html(&self) -> String {
        match self {
            Notice::Confirmed(m) => format!(
                "Maintenance {} is confirmed as read; it is no longer marked unverified.",
                escape_html(m)
            ),
            Notice::AlreadyConfirmed(m) => format!(
                "Maintenance {} was confirmed already: nothing changed.",
                escape_html(m)
            ),
        }
    }
}

/// What the page shows.
pub struct MaintenanceList<'a> {
    pub unverified: &'a [MaintenanceRecord],
    pub reviews: &'a [ReviewItem],
    pub notice: Option<&'a Notice>,
    pub csrf: &'a str,
    pub now: jiff::Timestamp,
    pub zone: Option<&'a IanaTimeZone>,
}

fn when(at: i64, zone: Option<&IanaTimeZone>) -> String {
    match jiff::Timestamp::from_second(at) {
        Ok(t) => format!(
            "<time datetime=\"{t}\">{}</time>",
            escape_html(&readable(t, zone))
        ),
        Err(_) => escape_html(&at.to_string()),
    }
}

fn maintenance(out: &mut String, record: &MaintenanceRecord, list: &MaintenanceList<'_>) {
    let name = format!("{}/{}", record.provider, record.maintenance_id);
    let heading = format!("m-{}", hex::encode(name.as_bytes()));
    let window = if record.open_ended {
        format!("from {}, end not given", when(record.start, list.zone))
    } else {
        format!(
            "{} to {}",
            when(record.start, list.zone),
            when(record.end, list.zone)
        )
    };
    let circuits = if record.circuits.is_empty() {
        "none named".to_owned()
    } else {
        record
            .circuits
            .iter()
            .map(|c| format!("{} ({})", escape_html(&c.circuit_id), impact_name(c.impact)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = write!(
        out,
        "<section class=\"duty\" aria-labelledby=\"{heading}\"><h2 id=\"{heading}\">{}</h2>\
         <dl><dt>Provider</dt><dd>{}</dd><dt>Id</dt><dd>{}</dd><dt>Window</dt><dd>{window}</dd>\
         <dt>Status</dt><dd>{}</dd><dt>Circuits</dt><dd>{circuits}</dd>\
         <dt>Summary</dt><dd>{}</dd></dl>\
         <form method=\"post\" action=\"{CONFIRM_PATH}\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
         <input type=\"hidden\" name=\"maintenance\" value=\"{}\">\
         <p><button type=\"submit\" aria-describedby=\"{heading}\">Confirm as read</button></p></form>\
         </section>",
        escape_html(&name),
        escape_html(&record.provider),
        escape_html(&record.maintenance_id),
        status_name(record.status),
        escape_html(&record.summary),
        escape_html(list.csrf),
        escape_html(&name),
    );
}

/// The page's main content.
pub fn main(list: &MaintenanceList<'_>) -> String {
    let mut out = String::new();
    if let Some(notice) = list.notice {
        let _ = write!(
            out,
            "<p class=\"note\" role=\"status\">{}</p>",
            notice.html()
        );
    }
    let _ = write!(
        out,
        "<p>Maintenances read without a template, in the coming {AHEAD_DAYS} days, until a person \
         checks them against their mail. As of <time datetime=\"{}\">{}</time>; times are in {}.</p>",
        list.now,
        escape_html(&readable(list.now, list.zone)),
        escape_html(list.zone.map_or("UTC", |z| z.name())),
    );
    out.push_str("<h2>Unverified</h2>");
    if list.unverified.is_empty() {
        out.push_str("<p>Nothing to confirm.</p>");
    }
    for record in list.unverified {
        maintenance(&mut out, record, list);
    }
    // A listed maintenance's own mail is on the review list too: it is shown once, above.
    let listed: Vec<String> = list
        .unverified
        .iter()
        .map(|r| review_id_of(&r.source))
        .collect();
    let others: Vec<&ReviewItem> = list
        .reviews
        .iter()
        .filter(|r| !listed.contains(&r.id))
        .collect();
    out.push_str("<h2>Other mail to review</h2>");
    if others.is_empty() {
        out.push_str("<p>No other mail waits for review.</p>");
        return out;
    }
    out.push_str(
        "<p>Mail Clinic could not read, or read a maintenance from that is not in the coming days; \
         <code>clinic maintenance reviewed ID</code> takes one off the list.</p><ul class=\"reviews\">",
    );
    for item in others {
        let _ = write!(
            out,
            "<li><strong>{}</strong> from {}, received <time datetime=\"{}\">{}</time>: {} \
             <span class=\"muted\">(id {})</span></li>",
            escape_html(item.subject.as_deref().unwrap_or("(no subject)")),
            escape_html(item.from.as_deref().unwrap_or("(unknown sender)")),
            item.received_at,
            escape_html(&readable(item.received_at, list.zone)),
            escape_html(&item.reason),
            escape_html(&item.id),
        );
    }
    out.push_str("</ul>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::maintenance::lifecycle::NoticeSource;
    use crate::maintenance::{Circuit, Impact, ReadingKind, Status};

    fn record(id: &str) -> MaintenanceRecord {
        let at = jiff::Timestamp::from_second(1_800_000_000).unwrap();
        MaintenanceRecord {
            provider: "nordlicht<netz>".into(),
            maintenance_id: id.into(),
            account: String::new(),
            circuits: vec![Circuit::new("NLN-HAM-0091", Impact::Outage)],
            status: Status::Confirmed,
            start: 1_800_864_000,
            end: 1_800_864_000,
            stamp: 1,
            sequence: 0,
            organizer: String::new(),
            uid: String::new(),
            summary: "fibre <work>".into(),
            first_seen: at,
            updated_at: at,
            completed_at: None,
            source: NoticeSource {
                message_id: None,
                bucket: "b".into(),
                key: format!("inbound/{id}"),
            },
            notices: 1,
            acknowledged: None,
            reading: ReadingKind::Generic,
            open_ended: true,
            confirmed: None,
        }
    }

    fn review(id: &str, subject: &str) -> ReviewItem {
        ReviewItem {
            id: id.into(),
            received_at: jiff::Timestamp::from_second(1_800_000_000).unwrap(),
            reason: "no template".into(),
            bucket: "b".into(),
            key: "k".into(),
            message_id: None,
            from: Some("noc@example.net".into()),
            subject: Some(subject.into()),
            size: 10,
        }
    }

    #[test]
    fn each_unverified_maintenance_has_its_button_and_its_own_mail_is_not_listed_twice() {
        let records = vec![record("NLN-1")];
        let own = review(&review_id_of(&records[0].source), "own mail");
        let reviews = vec![own, review("r2", "an <unreadable> mail")];
        let zone = IanaTimeZone::parse("Europe/Berlin").unwrap();
        let notice = Notice::Confirmed("a/b".into());
        let html = main(&MaintenanceList {
            unverified: &records,
            reviews: &reviews,
            notice: Some(&notice),
            csrf: "tok\"en",
            now: jiff::Timestamp::from_second(1_800_000_000).unwrap(),
            zone: Some(&zone),
        });
        assert!(html.contains("action=\"/maintenance/confirm\""), "{html}");
        assert!(
            html.contains("name=\"maintenance\" value=\"nordlicht&lt;netz&gt;/NLN-1\""),
            "{html}"
        );
        assert!(
            html.contains("name=\"csrf\" value=\"tok&quot;en\""),
            "{html}"
        );
        assert!(html.contains("Confirm as read"));
        assert!(html.contains("NLN-HAM-0091 (OUTAGE)"));
        assert!(html.contains("end not given"));
        assert!(html.contains("Monday 25 January 2027, 09:00 CET"), "{html}");
        assert!(html.contains("fibre &lt;work&gt;") && !html.contains("<work>"));
        assert!(html.contains("role=\"status\">Maintenance a/b is confirmed as read"));
        assert!(!html.contains("own mail"), "{html}");
        assert!(html.contains("an &lt;unreadable&gt; mail"));
    }

    #[test]
    fn an_empty_list_says_so_and_a_notice_survives_its_redirect() {
        let html = main(&MaintenanceList {
            unverified: &[],
            reviews: &[],
            notice: None,
            csrf: "t",
            now: jiff::Timestamp::from_second(1_800_000_000).unwrap(),
            zone: None,
        });
        assert!(html.contains("Nothing to confirm.") && html.contains("No other mail waits"));
        assert!(!html.contains("<form"));
        for notice in [
            Notice::Confirmed("x/y z&w".into()),
            Notice::AlreadyConfirmed("p/q".into()),
        ] {
            assert_eq!(Notice::from_query(&notice.query()), Some(notice));
        }
        assert_eq!(Notice::from_query("tz=UTC"), None);
    }
}
