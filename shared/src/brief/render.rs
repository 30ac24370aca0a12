//! The brief as a person reads it: text and HTML saying the same, every section present (with
//! "nothing" when empty), times in UTC and in the reader's zone, dates as YYYY-MM-DD.

use std::fmt::Write as _;

use super::{
    Brief, DutyWeek, IncidentLine, MaintenanceLine, OutageLine, PersonCard, ReviewLine, Section,
    TaskLine,
};
use crate::rotation::roster::IanaTimeZone;

const TIME: &str = "%Y-%m-%d %H:%M";

/// The reader's zone; `None` is UTC.
pub type Zone<'a> = Option<&'a IanaTimeZone>;

/// An instant in UTC, and in `zone` unless that is UTC.
pub fn when(at: jiff::Timestamp, zone: Zone<'_>) -> String {
    let utc = format!("{} UTC", at.strftime(TIME));
    let Some(zone) = zone.filter(|z| !is_utc(z)) else {
        return utc;
    };
    let local = at.to_zoned(zone.zone().clone());
    format!("{utc} ({} {})", local.strftime(TIME), local.strftime("%Z"))
}

/// A window: both ends in UTC, and in `zone` unless that is UTC.
pub fn window(start: jiff::Timestamp, end: jiff::Timestamp, zone: Zone<'_>) -> String {
    let utc = format!("{} to {} UTC", start.strftime(TIME), end.strftime(TIME));
    let Some(zone) = zone.filter(|z| !is_utc(z)) else {
        return utc;
    };
    let (s, e) = (
        start.to_zoned(zone.zone().clone()),
        end.to_zoned(zone.zone().clone()),
    );
    format!(
        "{utc} ({} to {} {})",
        s.strftime(TIME),
        e.strftime(TIME),
        e.strftime("%Z")
    )
}

fn is_utc(zone: &IanaTimeZone) -> bool {
    matches!(
        zone.name(),
        "UTC" | "Etc/UTC" | "Etc/Universal" | "Universal" | "Zulu"
    )
}

fn person(card: Option<&PersonCard>, id: Option<&str>) -> String {
    match (card, id) {
        (Some(p), _) => format!("{} <{}> ({}, {})", p.name, p.email, p.team, p.timezone),
        (None, Some(id)) => format!("{id} (no longer on the roster)"),
        (None, None) => "nobody".to_owned(),
    }
}

/// One section: its heading with the count, and its lines (or "nothing").
struct Part {
    heading: String,
    lines: Vec<Line>,
    more: usize,
}

/// A line of a section and the details under it.
struct Line {
    text: String,
    details: Vec<String>,
    link: Option<String>,
}

impl Line {
    fn new(text: String) -> Self {
        Self {
            text,
            details: Vec::new(),
            link: None,
        }
    }
}

fn part<T>(heading: String, section: &Section<T>, line: impl Fn(&T) -> Line) -> Part {
    Part {
        heading: format!("{heading} ({})", section.total),
        lines: section.items.iter().map(line).collect(),
        more: section.total.saturating_sub(section.items.len()),
    }
}

fn task(t: &TaskLine, zone: Zone<'_>) -> Line {
    let mut line = Line::new(format!("{} {} [{}]", t.name, t.title, t.status));
    line.details.push(format!(
        "last touched by a person {} ({} days ago)",
        when(t.last_activity, zone),
        t.idle_days
    ));
    if !t.pending_approvals.is_empty() {
        line.details
            .push(format!("waiting for: {}", t.pending_approvals.join("; ")));
    }
    line.link = t.url.clone();
    line
}

fn incident(i: &IncidentLine, zone: Zone<'_>) -> Line {
    let name = if i.name.is_empty() {
        &i.entity_id
    } else {
        &i.name
    };
    let mut line = Line::new(format!(
        "#{} {} ({}) [{}]",
        i.number, name, i.routing_key, i.phase
    ));
    line.details.push(format!("since {}", when(i.since, zone)));
    if let Some(by) = &i.acked_by {
        line.details.push(format!("acknowledged by {by}"));
    }
    if let Some(at) = i.resolved_at {
        line.details.push(format!(
            "resolved in VictorOps {}{}",
            when(at, zone),
            i.resolved_by
                .as_deref()
                .map(|b| format!(" by {b}"))
                .unwrap_or_default()
        ));
    }
    if let Some(held) = &i.held_by {
        line.details
            .push(format!("held back from Statuspage: {held}"));
    }
    if let Some(id) = &i.statuspage_id {
        line.details.push(format!(
            "Statuspage incident {id}: {}",
            i.statuspage_status.as_deref().unwrap_or("status unknown")
        ));
    }
    line
}

fn maintenance(m: &MaintenanceLine, zone: Zone<'_>) -> Line {
    let circuits = if m.circuits.is_empty() {
        "no circuit named".to_owned()
    } else {
        m.circuits.join(", ")
    };
    let mut line = Line::new(format!(
        "{} {}: {circuits} [{}]",
        m.provider, m.maintenance_id, m.status
    ));
    line.details.push(if m.open_ended {
        format!("{} (no end given)", window(m.start, m.end, zone))
    } else {
        window(m.start, m.end, zone)
    });
    if m.unverified {
        line.details.push(format!(
            "unverified (read without a template): check the mail, then `clinic maintenance confirm {}/{}`",
            m.provider, m.maintenance_id
        ));
    }
    if let Some(ack) = &m.acknowledged {
        let note = if ack.note.trim().is_empty() {
            String::new()
        } else {
            let note: String = ack.note.trim().chars().take(160).collect();
            format!(": {}", note.replace(['\n', '\r'], " "))
        };
        line.details.push(format!(
            "acknowledged by {} {}{note}",
            ack.by,
            when(ack.at, zone)
        ));
    }
    if !m.summary.trim().is_empty() {
        let summary: String = m.summary.trim().chars().take(160).collect();
        line.details.push(summary.replace(['\n', '\r'], " "));
    }
    line
}

fn outage(o: &OutageLine, zone: Zone<'_>) -> Line {
    let mut line = Line::new(format!(
        "{} at {}: every circuit down ({})",
        o.group,
        o.site,
        o.circuits.join(", ")
    ));
    line.details.push(window(o.start, o.end, zone));
    line.details.push(format!(
        "maintenances {}{}",
        o.maintenances.join(" + "),
        if o.unannounced {
            "; each notice says only reduced redundancy"
        } else {
            ""
        }
    ));
    line
}

fn review(r: &ReviewLine, zone: Zone<'_>) -> Line {
    let mut line = Line::new(format!(
        "{} from {} {:?}",
        when(r.received_at, zone),
        r.from.as_deref().unwrap_or("an unknown sender"),
        r.subject.as_deref().unwrap_or("")
    ));
    line.details.push(format!("{} ({})", r.reason, r.object));
    line
}

fn duty_line(label: &str, week: Option<&DutyWeek>, zone: Zone<'_>) -> Line {
    let Some(w) = week else {
        return Line::new(format!("{label}: not handed off yet"));
    };
    let who = match (&w.on_duty, &w.on_duty_id, &w.unstaffed_reason) {
        (None, None, Some(reason)) => format!("UNSTAFFED: {reason}"),
        (card, id, _) => person(card.as_ref(), id.as_deref()),
    };
    let mut line = Line::new(format!("{label} {}: {who}", w.week));
    line.details.push(window(w.start, w.end, zone));
    if let Some(backup) = &w.backup {
        line.details
            .push(format!("backup: {}", person(Some(backup), None)));
    }
    if let Some(reason) = &w.override_reason {
        line.details.push(format!("override: {reason}"));
    }
    line
}

fn parts(brief: &Brief, zone: Zone<'_>) -> Vec<Part> {
    let mut duty = Part {
        heading: "Who is on duty".to_owned(),
        lines: Vec::new(),
        more: 0,
    };
    for rotation in &brief.duty {
        let current_label = match &rotation.current {
            Some(w) if w.end <= brief.at => "Last shift",
            _ => "This week",
        };
        let mut current = duty_line(current_label, rotation.current.as_ref(), zone);
        current.text = format!("{}: {}", rotation.rotation, current.text);
        duty.lines.push(current);
        let mut next = duty_line("Next week", rotation.next.as_ref(), zone);
        next.text = format!("{}: {}", rotation.rotation, next.text);
        duty.lines.push(next);
    }
    let mut parts = vec![
        duty,
        part(
            "Phabricator tasks that need triage".into(),
            &brief.needs_triage,
            |t| task(t, zone),
        ),
        part(
            format!(
                "Phabricator tasks nobody touched for more than {} days",
                brief.stale_after_days
            ),
            &brief.stale,
            |t| task(t, zone),
        ),
        part(
            "Access requests waiting for approvals".into(),
            &brief.access_requests,
            |t| task(t, zone),
        ),
        part(
            "VictorOps incidents open".into(),
            &brief.open_incidents,
            |i| incident(i, zone),
        ),
        part(
            "Statuspage incidents still open after VictorOps resolved them".into(),
            &brief.statuspage_after_resolution,
            |i| incident(i, zone),
        ),
        part(
            format!(
                "Incidents held back from Statuspage by planned downtime (the last {} days)",
                super::HELD_DAYS
            ),
            &brief.held_incidents,
            |i| incident(i, zone),
        ),
        part(
            format!(
                "Vendor maintenance affecting service in the next {} days",
                brief.maintenance_days
            ),
            &brief.maintenance,
            |m| maintenance(m, zone),
        ),
    ];
    if let Some(outages) = &brief.maintenance_outages {
        parts.push(part(
            "Redundancy groups the coming maintenances take down together".into(),
            outages,
            |o| outage(o, zone),
        ));
    }
    parts.push(part(
        "Mail that needs review".into(),
        &brief.mail_review,
        |r| review(r, zone),
    ));
    parts
}

fn title(brief: &Brief, zone: Zone<'_>) -> String {
    format!("Clinic brief, {}", when(brief.at, zone))
}

/// The brief as plain text: the title, the notice standing (if any), the sections.
pub fn text(brief: &Brief, zone: Zone<'_>) -> String {
    let mut out = format!("{}\n", title(brief, zone));
    if let Some(notice) = &brief.notice {
        let _ = write!(out, "\n{}\n", notice.line);
    }
    for part in parts(brief, zone) {
        let _ = write!(out, "\n{}\n", part.heading);
        if part.lines.is_empty() {
            out.push_str("  nothing\n");
        }
        for line in &part.lines {
            let _ = writeln!(out, "  - {}", line.text);
            for detail in &line.details {
                let _ = writeln!(out, "      {detail}");
            }
            if let Some(link) = &line.link {
                let _ = writeln!(out, "      {link}");
            }
        }
        if part.more > 0 {
            let _ = writeln!(out, "  … and {} more", part.more);
        }
    }
    out
}

/// HTML text: `&`, `<`, `>` and quotes escaped.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The brief as an HTML fragment (headings and lists), to put into a mail or a page.
pub fn html_fragment(brief: &Brief, zone: Zone<'_>) -> String {
    let mut out = format!("<h2>{}</h2>", escape(&title(brief, zone)));
    if let Some(notice) = &brief.notice {
        out.push_str(&notice_html(notice));
    }
    for part in parts(brief, zone) {
        let _ = write!(out, "<h3>{}</h3>", escape(&part.heading));
        if part.lines.is_empty() {
            out.push_str("<p><em>nothing</em></p>");
            continue;
        }
        out.push_str("<ul>");
        for line in &part.lines {
            let text = match &line.link {
                // Only http(s) links: the base comes from configuration, the rest is a task number.
                Some(link) if link.starts_with("https://") || link.starts_with("http://") => {
                    format!("<a href=\"{}\">{}</a>", escape(link), escape(&line.text))
                }
                _ => escape(&line.text),
            };
            let _ = write!(out, "<li>{text}");
            if !line.details.is_empty() {
                out.push_str("<br><small>");
                let details: Vec<String> = line.details.iter().map(|d| escape(d)).collect();
                out.push_str(&details.join("<br>"));
                out.push_str("</small>");
            }
            out.push_str("</li>");
        }
        out.push_str("</ul>");
        if part.more > 0 {
            let _ = write!(out, "<p>… and {} more</p>", part.more);
        }
    }
    out
}

/// The brief as a whole HTML page (the status endpoint's answer to a browser).
pub fn html_page(brief: &Brief, zone: Zone<'_>) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\
         <meta name=\"viewport\" content=\"width=device-width\"></head><body>{}\
         <p><small>Read-only; built by Clinic from its table. JSON: send <code>Accept: application/json</code>.\
         </small></p></body></html>",
        escape(&title(brief, zone)),
        html_fragment(brief, zone)
    )
}

/// The notice standing as one paragraph: an alert is announced (`role="alert"`), a notice is
/// polite (`role="status"`); the task linked when its link is http(s).
pub fn notice_html(notice: &super::NoticeLine) -> String {
    let (class, role) = match notice.level {
        crate::notices::Level::Alert => ("notice-alert", "alert"),
        crate::notices::Level::Notice => ("notice-notice", "status"),
    };
    let text = match &notice.link {
        Some(link) if link.starts_with("https://") || link.starts_with("http://") => {
            let task = notice
                .notice
                .task
                .map(|t| t.to_string())
                .unwrap_or_default();
            // The line ends in the link; show the task id linked instead of the bare URL.
            let head = notice
                .line
                .strip_suffix(link.as_str())
                .unwrap_or(&notice.line);
            format!(
                "{}<a href=\"{}\">{}</a>",
                escape(head),
                escape(link),
                escape(&task)
            )
        }
        _ => escape(&notice.line),
    };
    format!("<p class=\"{class}\" role=\"{role}\"><strong>{text}</strong></p>")
}
