//! The vendor maintenance calendar as an iCalendar (RFC 5545) feed: one event per maintenance with a
//! stable UID so an update replaces its event, marked free (TRANSP:TRANSPARENT), times in UTC.

use std::fmt::Write as _;

use super::Status;
use super::lifecycle::{MaintenanceRecord, impact_name, status_name};

/// Which maintenances the feed shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedOptions {
    /// Also show maintenances whose every circuit only loses redundancy (or is not affected).
    pub include_redundancy_only: bool,
    /// The events' UIDs end in it (`CLINIC_MAIL_DOMAIN`).
    pub uid_domain: crate::mail::MailDomain,
    /// The team's circuits (`CLINIC_CIRCUITS`): maintenances that together take a redundancy group
    /// down are marked, and shown even when each only reduces redundancy.
    pub circuits: Option<super::circuits::Circuits>,
}

fn stamp(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds)
        .map(|t| t.strftime("%Y%m%dT%H%M%SZ").to_string())
        .unwrap_or_else(|_| "19700101T000000Z".to_owned())
}

pub(crate) fn instant(at: jiff::Timestamp) -> String {
    at.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// TEXT values escape backslash, semicolon, comma and newline (RFC 5545 3.3.11).
pub(crate) fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Content lines longer than 75 octets are folded with CRLF and a space, never inside a character.
pub(crate) fn line(out: &mut String, content: &str) {
    let mut width = 0;
    for c in content.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
}

/// A UID that stays the same for the maintenance whatever its notices say, and is safe in any client.
pub fn event_uid(record: &MaintenanceRecord, domain: &crate::mail::MailDomain) -> String {
    let safe = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    format!(
        "maintenance-{}-{}@{}",
        safe(&record.provider),
        safe(&record.maintenance_id),
        domain.as_str()
    )
}

/// The event title: provider, circuits and impact.
pub fn title(record: &MaintenanceRecord) -> String {
    let circuits: Vec<&str> = record
        .circuits
        .iter()
        .map(|c| c.circuit_id.as_str())
        .collect();
    let circuits = match circuits.len() {
        0 => "no circuit named".to_owned(),
        1..=3 => circuits.join(", "),
        n => format!("{}, {} and {} more", circuits[0], circuits[1], n - 2),
    };
    let impact = record.impact().map(impact_name).unwrap_or("impact unknown");
    let cancelled = if record.status == Status::Cancelled {
        "CANCELLED: "
    } else {
        ""
    };
    // A generic reading is shown, but marked, until a person confirms it; a window without an end says so.
    let unverified = if record.unverified() {
        "[unverified] "
    } else {
        ""
    };
    let open = if record.open_ended {
        ", open-ended"
    } else {
        ""
    };
    format!(
        "{unverified}{cancelled}{}: {circuits} ({impact}{open})",
        record.provider
    )
}

/// Renders the feed. `generated` is DTSTAMP of every event (the feed's own time).
pub fn render(
    records: &[MaintenanceRecord],
    options: &FeedOptions,
    generated: jiff::Timestamp,
) -> String {
    let mut out = String::new();
    for l in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Clinic//Vendor maintenance//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:Vendor maintenance",
        "X-WR-TIMEZONE:UTC",
    ] {
        line(&mut out, l);
    }
    let outages = options
        .circuits
        .as_ref()
        .map(|c| super::circuits::outages(records, c))
        .unwrap_or_default();
    let part_of = |r: &MaintenanceRecord| -> Vec<&super::circuits::GroupOutage> {
        let name = format!("{}/{}", r.provider, r.maintenance_id);
        outages
            .iter()
            .filter(|o| o.maintenances.contains(&name))
            .collect()
    };
    let mut shown: Vec<&MaintenanceRecord> = records
        .iter()
        .filter(|r| {
            options.include_redundancy_only
                || !r.only_reduces_redundancy()
                || !part_of(r).is_empty()
        })
        .collect();
    shown.sort_by(|a, b| {
        (a.start, &a.provider, &a.maintenance_id).cmp(&(b.start, &b.provider, &b.maintenance_id))
    });
    for r in shown {
        line(&mut out, "BEGIN:VEVENT");
        line(
            &mut out,
            &format!("UID:{}", event_uid(r, &options.uid_domain)),
        );
        line(&mut out, &format!("DTSTAMP:{}", instant(generated)));
        line(
            &mut out,
            &format!("LAST-MODIFIED:{}", instant(r.updated_at)),
        );
        line(&mut out, &format!("DTSTART:{}", stamp(r.start)));
        line(&mut out, &format!("DTEND:{}", stamp(r.end.max(r.start))));
        // Each accepted notice bumps SEQUENCE, so clients replace the event rather than keep the old one.
        line(&mut out, &format!("SEQUENCE:{}", r.notices));
        let risks = part_of(r);
        let summary = match risks.first() {
            Some(o) => format!("OUTAGE RISK ({}): {}", o.group, title(r)),
            None => title(r),
        };
        line(&mut out, &format!("SUMMARY:{}", text(&summary)));
        let mut description = String::new();
        for o in &risks {
            let _ = writeln!(
                description,
                "Outage: with {}, every circuit of redundancy group {} at {} ({}) is down from {} to {} UTC",
                o.maintenances.join(" + "),
                o.group,
                o.site,
                o.circuits.join(", "),
                stamp(o.start),
                stamp(o.end)
            );
        }
        if let Some(ack) = &r.acknowledged {
            let _ = writeln!(
                description,
                "Acknowledged by {} at {}{}",
                ack.by,
                instant(ack.at),
                if ack.note.is_empty() {
                    String::new()
                } else {
                    format!(": {}", ack.note)
                }
            );
        }
        let _ = writeln!(description, "Provider: {}", r.provider);
        let _ = writeln!(description, "Maintenance: {}", r.maintenance_id);
        let _ = writeln!(description, "Account: {}", r.account);
        let _ = writeln!(description, "Status: {}", status_name(r.status));
        for c in &r.circuits {
            let _ = writeln!(
                description,
                "Circuit: {} ({})",
                c.circuit_id,
                impact_name(c.impact)
            );
        }
        if r.unverified() {
            let _ = writeln!(
                description,
                "Read without a template: check it against the mail, then `clinic maintenance confirm {}/{}`",
                r.provider, r.maintenance_id
            );
        }
        if let Some(c) = &r.confirmed {
            let _ = writeln!(description, "Confirmed by {} at {}", c.by, instant(c.at));
        }
        if r.open_ended {
            let _ = writeln!(description, "End: not given by the notice");
        }
        if !r.summary.is_empty() {
            let _ = writeln!(description, "\n{}", r.summary.trim());
        }
        let _ = write!(
            description,
            "\nOrganizer: {}; notice uid {} sequence {}",
            r.organizer, r.uid, r.sequence
        );
        line(&mut out, &format!("DESCRIPTION:{}", text(&description)));
        line(&mut out, "TRANSP:TRANSPARENT");
        let status = match r.status {
            Status::Cancelled => "CANCELLED",
            Status::Tentative => "TENTATIVE",
            _ => "CONFIRMED",
        };
        line(&mut out, &format!("STATUS:{status}"));
        line(&mut out, "CATEGORIES:Vendor maintenance");
        if r.unverified() {
            line(&mut out, "X-CLINIC-UNVERIFIED:TRUE");
        }
        if r.open_ended {
            line(&mut out, "X-CLINIC-OPEN-ENDED:TRUE");
        }
        line(&mut out, "END:VEVENT");
    }
    line(&mut out, "END:VCALENDAR");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::maintenance::lifecycle::NoticeSource;
    use crate::maintenance::{Circuit, Impact};

    fn record(id: &str, impact: Impact, status: Status) -> MaintenanceRecord {
        let at = jiff::Timestamp::from_second(1_800_000_000).unwrap();
        MaintenanceRecord {
            provider: "exampletransit".into(),
            maintenance_id: id.into(),
            account: "ACME".into(),
            circuits: vec![Circuit::new("IC-1001", impact)],
            status,
            start: 1_800_003_600,
            end: 1_800_018_000,
            stamp: 1_799_000_000,
            sequence: 1,
            organizer: "noc@exampletransit.net".into(),
            uid: "42".into(),
            summary: "Fibre splice; expect, a short; outage\nsecond line".into(),
            first_seen: at,
            updated_at: at,
            completed_at: None,
            source: NoticeSource::default(),
            notices: 2,
            acknowledged: None,
            reading: crate::maintenance::ReadingKind::Template,
            open_ended: false,
            confirmed: None,
        }
    }

    fn generated() -> jiff::Timestamp {
        jiff::Timestamp::from_second(1_800_000_100).unwrap()
    }

    #[test]
    fn an_event_is_free_in_utc_with_a_stable_uid_and_escaped_text() {
        let feed = render(
            &[record("M/1", Impact::Outage, Status::Confirmed)],
            &FeedOptions {
                include_redundancy_only: false,
                uid_domain: crate::mail::MailDomain::parse("clinic.example.org").unwrap(),
                circuits: None,
            },
            generated(),
        );
        assert!(feed.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(feed.ends_with("END:VCALENDAR\r\n"));
        assert!(feed.contains("UID:maintenance-exampletransit-M_1@clinic.example.org\r\n"));
        assert!(feed.contains("DTSTART:20270115T090000Z\r\n"), "{feed}");
        assert!(feed.contains("TRANSP:TRANSPARENT\r\n"));
        assert!(feed.contains("STATUS:CONFIRMED\r\n"));
        assert!(feed.contains("SEQUENCE:2\r\n"));
        assert!(feed.contains("SUMMARY:exampletransit: IC-1001 (OUTAGE)\r\n"));
        let unfolded = feed.replace("\r\n ", "");
        assert!(
            unfolded.contains("expect\\, a short\\; outage\\nsecond line"),
            "{unfolded}"
        );
        for l in feed.split("\r\n") {
            assert!(l.len() <= 75, "line too long: {l}");
        }
    }

    #[test]
    fn a_generic_reading_is_marked_unverified_until_confirmed_and_an_open_end_is_flagged() {
        let mut r = record("G-1", Impact::Outage, Status::Confirmed);
        r.reading = crate::maintenance::ReadingKind::Generic;
        r.open_ended = true;
        r.end = r.start;
        let options = FeedOptions {
            include_redundancy_only: false,
            uid_domain: crate::mail::MailDomain::parse("clinic.example.org").unwrap(),
            circuits: None,
        };
        let feed = render(std::slice::from_ref(&r), &options, generated()).replace("\r\n ", "");
        assert!(
            feed.contains("SUMMARY:[unverified] exampletransit: "),
            "{feed}"
        );
        assert!(feed.contains("(OUTAGE\\, open-ended)"), "{feed}");
        assert!(feed.contains("X-CLINIC-UNVERIFIED:TRUE\r\n"));
        assert!(feed.contains("X-CLINIC-OPEN-ENDED:TRUE\r\n"));
        r.confirmed = Some(crate::maintenance::lifecycle::Acknowledgement {
            by: "cli:akaur".into(),
            at: generated(),
            note: String::new(),
        });
        let feed = render(std::slice::from_ref(&r), &options, generated()).replace("\r\n ", "");
        assert!(!feed.contains("[unverified]"));
        assert!(!feed.contains("X-CLINIC-UNVERIFIED"));
        assert!(feed.contains("Confirmed by cli:akaur"));
    }

    #[test]
    fn a_cancelled_maintenance_becomes_a_cancelled_event() {
        let feed = render(
            &[record("M1", Impact::Outage, Status::Cancelled)],
            &FeedOptions {
                include_redundancy_only: false,
                uid_domain: crate::mail::MailDomain::parse("clinic.example.org").unwrap(),
                circuits: None,
            },
            generated(),
        );
        assert!(feed.contains("STATUS:CANCELLED\r\n"));
        assert!(feed.contains("SUMMARY:CANCELLED: exampletransit"));
    }

    #[test]
    fn redundancy_only_maintenances_are_left_out_unless_asked_for() {
        let records = [
            record("A", Impact::ReducedRedundancy, Status::Confirmed),
            record("B", Impact::Degraded, Status::Confirmed),
        ];
        let default = render(
            &records,
            &FeedOptions {
                include_redundancy_only: false,
                uid_domain: crate::mail::MailDomain::parse("clinic.example.org").unwrap(),
                circuits: None,
            },
            generated(),
        );
        assert_eq!(default.matches("BEGIN:VEVENT").count(), 1);
        assert!(default.contains("exampletransit-B@"));
        let all = render(
            &records,
            &FeedOptions {
                include_redundancy_only: true,
                uid_domain: crate::mail::MailDomain::parse("clinic.example.org").unwrap(),
                circuits: None,
            },
            generated(),
        );
        assert_eq!(all.matches("BEGIN:VEVENT").count(), 2);
    }

    #[test]
    fn folding_never_splits_a_character() {
        let mut r = record("M1", Impact::Outage, Status::Confirmed);
        r.summary = "é".repeat(200);
        let feed = render(
            &[r],
            &FeedOptions {
                include_redundancy_only: false,
                uid_domain: crate::mail::MailDomain::parse("clinic.example.org").unwrap(),
                circuits: None,
            },
            generated(),
        );
        assert!(std::str::from_utf8(feed.as_bytes()).is_ok());
        assert!(feed.split("\r\n").all(|l| l.len() <= 75));
    }

    #[test]
    fn maintenances_that_together_take_a_group_down_are_shown_and_marked_even_if_each_only_reduces_redundancy()
     {
        let mut first = record("M1", Impact::ReducedRedundancy, Status::Confirmed);
        first.circuits = vec![Circuit::new("IC-1001", Impact::ReducedRedundancy)];
        let mut second = record("M2", Impact::ReducedRedundancy, Status::Confirmed);
        second.circuits = vec![Circuit::new("IC-2002", Impact::ReducedRedundancy)];
        second.start += 3_600;
        second.end += 3_600;
        let records = [first, second];
        let mut options = FeedOptions {
            include_redundancy_only: false,
            uid_domain: crate::mail::MailDomain::parse("clinic.example.org").unwrap(),
            circuits: None,
        };
        let plain = render(&records, &options, generated());
        assert!(!plain.contains("BEGIN:VEVENT"), "{plain}");
        options.circuits = Some(
            crate::maintenance::circuits::Circuits::parse(
                "[[circuit]]\nid = \"IC-1001\"\nsite = \"ams1\"\nservice = \"transit\"\nredundancy_group = \"ams1-up\"\n\n\
                 [[circuit]]\nid = \"IC-2002\"\nsite = \"ams1\"\nservice = \"transit\"\nredundancy_group = \"ams1-up\"\n",
            )
            .unwrap(),
        );
        let feed = render(&records, &options, generated()).replace("\r\n ", "");
        assert_eq!(feed.matches("BEGIN:VEVENT").count(), 2, "{feed}");
        assert_eq!(
            feed.matches("SUMMARY:OUTAGE RISK (ams1-up): ").count(),
            2,
            "{feed}"
        );
        assert!(
            feed.contains("Outage: with exampletransit/M1 + exampletransit/M2\\, every circuit of redundancy group ams1-up at ams1 (IC-1001\\, IC-2002) is down from 20270115T100000Z to 20270115T130000Z UTC"),
            "{feed}"
        );
    }
}
