//! A duty calendar as iCalendar text, written with the maintenance feed's iCalendar code (escaping,
//! folding, UTC instants): committed weeks `CONFIRMED`, planned ones `TENTATIVE`, one UID per rotation
//! and week — the existing rotation feed's — so a planned event becomes its committed one in place.

use crate::brief::PersonCard;
use crate::brief::duty_calendar::who;
use crate::mail::MailDomain;
use crate::maintenance::calendar_feed::{instant, line, text};

/// Whether a week is committed (the weekly job wrote it) or only planned so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Firmness {
    Committed,
    Planned,
}

/// One shift as the feed shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DutyEvent {
    pub rotation: String,
    pub week: String,
    pub primary: Option<String>,
    pub backup: Option<String>,
    pub start: jiff::Timestamp,
    pub end: jiff::Timestamp,
    pub firmness: Firmness,
    pub overridden: Option<String>,
    pub unstaffed_reason: Option<String>,
}

/// What the calendar is called and whether each event carries an alarm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedLayout<'a> {
    pub name: &'a str,
    pub alarm_minutes: Option<u16>,
    /// A personal feed says "you"; the person's id.
    pub reader: Option<&'a str>,
}

pub fn uid(rotation: &str, week: &str, domain: &MailDomain) -> String {
    crate::brief::duty_calendar::duty_uid(rotation, week, domain)
}

/// SEQUENCE rises as a week firms up: planned 0, committed 1, overridden after commit 2.
fn sequence(event: &DutyEvent) -> u8 {
    match (event.firmness, event.overridden.is_some()) {
        (Firmness::Planned, _) => 0,
        (Firmness::Committed, false) => 1,
        (Firmness::Committed, true) => 2,
    }
}

fn summary(event: &DutyEvent, people: &[PersonCard], reader: Option<&str>) -> String {
    let planned = if event.firmness == Firmness::Planned {
        " (planned)"
    } else {
        ""
    };
    if let Some(me) = reader {
        if event.primary.as_deref() == Some(me) {
            return format!("{}: you are on duty{planned}", event.rotation);
        }
        if event.backup.as_deref() == Some(me) {
            return format!("{}: you are backup{planned}", event.rotation);
        }
    }
    match who(event.primary.as_ref(), people) {
        Some(name) => format!("{}: {name} on duty{planned}", event.rotation),
        None => format!("{}: UNSTAFFED{planned}", event.rotation),
    }
}

/// Renders `events` (in time order); `generated` is every event's DTSTAMP.
pub fn render(
    events: &[DutyEvent],
    people: &[PersonCard],
    layout: &FeedLayout<'_>,
    generated: jiff::Timestamp,
    domain: &MailDomain,
) -> String {
    let mut out = String::new();
    for l in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Clinic//Clinic duty rotation//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ] {
        line(&mut out, l);
    }
    line(&mut out, &format!("X-WR-CALNAME:{}", text(layout.name)));
    line(&mut out, "X-WR-TIMEZONE:UTC");
    let mut sorted: Vec<&DutyEvent> = events.iter().collect();
    sorted.sort_by(|a, b| (a.start, &a.rotation).cmp(&(b.start, &b.rotation)));
    for event in sorted {
        let mut description = format!("Rotation {}, week {}.", event.rotation, event.week);
        if event.firmness == Firmness::Planned {
            description.push_str(
                "\nPlanned, not committed: each weekly run plans this week again until it commits it.",
            );
        }
        if let Some(backup) = who(event.backup.as_ref(), people) {
            description.push_str(&format!("\nBackup: {backup}."));
        }
        if let Some(reason) = &event.unstaffed_reason {
            description.push_str(&format!("\nNobody could be planned: {reason}."));
        }
        if let Some(reason) = &event.overridden {
            description.push_str(&format!("\nOverride: {reason}."));
        }
        let status = match event.firmness {
            Firmness::Committed => "CONFIRMED",
            Firmness::Planned => "TENTATIVE",
        };
        line(&mut out, "BEGIN:VEVENT");
        line(
            &mut out,
            &format!("UID:{}", uid(&event.rotation, &event.week, domain)),
        );
        line(&mut out, &format!("DTSTAMP:{}", instant(generated)));
        line(&mut out, &format!("DTSTART:{}", instant(event.start)));
        line(
            &mut out,
            &format!("DTEND:{}", instant(event.end.max(event.start))),
        );
        line(&mut out, &format!("SEQUENCE:{}", sequence(event)));
        line(
            &mut out,
            &format!("SUMMARY:{}", text(&summary(event, people, layout.reader))),
        );
        line(&mut out, &format!("DESCRIPTION:{}", text(&description)));
        line(&mut out, "TRANSP:TRANSPARENT");
        line(&mut out, &format!("STATUS:{status}"));
        line(&mut out, "CATEGORIES:Clinic duty");
        if let Some(minutes) = layout.alarm_minutes {
            line(&mut out, "BEGIN:VALARM");
            line(&mut out, "ACTION:DISPLAY");
            line(
                &mut out,
                &format!(
                    "DESCRIPTION:{}",
                    text(&format!("{} duty starts", event.rotation))
                ),
            );
            line(&mut out, &format!("TRIGGER:-PT{minutes}M"));
            line(&mut out, "END:VALARM");
        }
        line(&mut out, "END:VEVENT");
    }
    line(&mut out, "END:VCALENDAR");
    out
}
