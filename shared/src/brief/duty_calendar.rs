//! The rotation as an iCalendar feed (who is on duty when), beside the vendor maintenance calendar
//! and written with the same iCalendar code: one free event per committed shift, times in UTC, a
//! stable UID per rotation and week so an override replaces its event.

use super::{BriefSource, PersonCard};
use crate::mail::MailDomain;
use crate::maintenance::calendar_feed::{instant, line, text};
use crate::shifts::ShiftRecord;
use crate::store::StoreError;

/// Committed shifts this many weeks back are in the feed (the next week is the last one committed).
pub const WEEKS_BACK: usize = 26;

fn uid(shift: &ShiftRecord, domain: &MailDomain) -> String {
    duty_uid(&shift.rotation, &shift.week, domain)
}

/// The UID of a rotation's week in every duty feed (the team's, a person's, this one), so a
/// calendar subscribed to several shows one event.
pub(crate) fn duty_uid(rotation: &str, week: &str, domain: &MailDomain) -> String {
    let safe: String = format!("{rotation}-{week}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    // Prefixed, so no maintenance event (the other feed on the same domain) can share a UID.
    format!("duty-{safe}@{}", domain.as_str())
}

/// A person as the feeds name them: name, team and zone, or the id the roster no longer has.
pub(crate) fn who(id: Option<&String>, people: &[PersonCard]) -> Option<String> {
    let id = id?;
    Some(
        people
            .iter()
            .find(|p| p.id == *id)
            .map(|p| format!("{} ({}, {})", p.name, p.team, p.timezone))
            .unwrap_or_else(|| id.clone()),
    )
}

/// Renders the feed of `shifts`; `generated` is each event's DTSTAMP; UIDs end in `domain`.
pub fn render(
    shifts: &[ShiftRecord],
    people: &[PersonCard],
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
        "X-WR-CALNAME:Clinic duty",
        "X-WR-TIMEZONE:UTC",
    ] {
        line(&mut out, l);
    }
    let mut sorted: Vec<&ShiftRecord> = shifts.iter().collect();
    sorted.sort_by(|a, b| (a.start_utc, &a.rotation).cmp(&(b.start_utc, &b.rotation)));
    for shift in sorted {
        let primary = who(shift.primary.as_ref(), people);
        let summary = match &primary {
            Some(name) => format!("{}: {name} on duty", shift.rotation),
            None => format!("{}: UNSTAFFED", shift.rotation),
        };
        let mut description = format!("Rotation {}, week {}.", shift.rotation, shift.week);
        if let Some(backup) = who(shift.backup.as_ref(), people) {
            description.push_str(&format!("\nBackup: {backup}."));
        }
        if let Some(reason) = &shift.unstaffed_reason {
            description.push_str(&format!("\nNobody could be planned: {reason}."));
        }
        if let Some(reason) = &shift.overridden {
            description.push_str(&format!("\nOverride: {reason}."));
        }
        line(&mut out, "BEGIN:VEVENT");
        line(&mut out, &format!("UID:{}", uid(shift, domain)));
        line(&mut out, &format!("DTSTAMP:{}", instant(generated)));
        line(
            &mut out,
            &format!("LAST-MODIFIED:{}", instant(shift.committed_at)),
        );
        line(&mut out, &format!("DTSTART:{}", instant(shift.start_utc)));
        line(
            &mut out,
            &format!("DTEND:{}", instant(shift.end_utc.max(shift.start_utc))),
        );
        // An override rewrites a committed week: a higher SEQUENCE makes clients replace the event.
        let sequence = u8::from(shift.overridden.is_some());
        line(&mut out, &format!("SEQUENCE:{sequence}"));
        line(&mut out, &format!("SUMMARY:{}", text(&summary)));
        line(&mut out, &format!("DESCRIPTION:{}", text(&description)));
        line(&mut out, "TRANSP:TRANSPARENT");
        line(&mut out, "STATUS:CONFIRMED");
        line(&mut out, "CATEGORIES:Clinic duty");
        line(&mut out, "END:VEVENT");
    }
    line(&mut out, "END:VCALENDAR");
    out
}

/// The feed at `now`: every rotation's committed shifts of the last [`WEEKS_BACK`] weeks and the
/// coming one (one Query for the people, one per rotation).
pub async fn build(
    source: &dyn BriefSource,
    now: jiff::Timestamp,
    domain: &MailDomain,
) -> Result<String, StoreError> {
    let people = source.people().await?;
    let (first, last) = super::weeks_around(now, WEEKS_BACK);
    let mut shifts = Vec::new();
    for rotation in super::rotations_of(&people) {
        shifts.extend(source.shifts_between(rotation, first, last).await?);
    }
    Ok(render(&shifts, &people, now, domain))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::brief::tests::{person, shift};

    #[test]
    fn each_shift_is_a_free_event_with_a_stable_uid_and_the_person_by_name() {
        let people = vec![person("akaur", "Asha Kaur", "Asia/Kolkata")];
        let feed = render(
            &[
                shift(
                    "2027-W02",
                    None,
                    "2027-01-10T18:30:00Z",
                    "2027-01-15T18:30:00Z",
                ),
                shift(
                    "2027-W01",
                    Some("akaur"),
                    "2027-01-03T18:30:00Z",
                    "2027-01-08T18:30:00Z",
                ),
            ],
            &people,
            "2027-01-05T00:00:00Z".parse().unwrap(),
            &MailDomain::parse("clinic.example.org").unwrap(),
        );
        assert!(feed.starts_with("BEGIN:VCALENDAR\r\n"));
        assert!(feed.ends_with("END:VCALENDAR\r\n"));
        assert_eq!(feed.matches("BEGIN:VEVENT").count(), 2);
        assert!(feed.contains("UID:duty-sre-clinic-2027-W01@clinic.example.org\r\n"));
        assert!(feed.contains("DTSTART:20270103T183000Z\r\n"), "{feed}");
        let first = feed.find("2027-W01@").unwrap();
        let second = feed.find("2027-W02@").unwrap();
        assert!(first < second, "events are in time order");
        let unfolded = feed.replace("\r\n ", "");
        assert!(
            unfolded.contains("SUMMARY:sre-clinic: Asha Kaur (sre-infra\\, Asia/Kolkata) on duty")
        );
        assert!(unfolded.contains("SUMMARY:sre-clinic: UNSTAFFED"));
        assert!(unfolded.contains("Nobody could be planned: everyone is away."));
        assert!(feed.contains("TRANSP:TRANSPARENT\r\n"));
        assert!(feed.split("\r\n").all(|l| l.len() <= 75));
    }
}
