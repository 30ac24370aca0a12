use super::feed::{DutyEvent, FeedLayout, Firmness, render};
use super::service::{parse_alarm, parse_feed_path, token_hash};
use crate::mail::MailDomain;

fn event(week: &str, start: &str, firmness: Firmness) -> DutyEvent {
    DutyEvent {
        rotation: "sre-clinic".to_owned(),
        week: week.to_owned(),
        primary: Some("akaur".to_owned()),
        backup: None,
        start: start.parse().unwrap(),
        end: start.parse::<jiff::Timestamp>().unwrap() + jiff::SignedDuration::from_hours(120),
        firmness,
        overridden: None,
        unstaffed_reason: Some("a reason; with, commas".to_owned()),
    }
}

#[test]
fn only_a_feed_path_of_64_lower_case_hex_digits_names_a_token() {
    let token = "ab".repeat(32);
    assert_eq!(
        parse_feed_path(&format!("/feeds/{token}.ics")),
        Some(token.as_str())
    );
    for bad in [
        format!("/feeds/{}.ics", "AB".repeat(32)),
        format!("/feeds/{}.ics", "ab".repeat(31)),
        format!("/feeds/{token}"),
        format!("/feeds/{token}.ics/x"),
        "/feeds/.ics".to_owned(),
        format!("/feeds/../{token}.ics"),
    ] {
        assert_eq!(parse_feed_path(&bad), None, "{bad}");
    }
    assert_eq!(token_hash("abc").len(), 64);
    assert_ne!(token_hash(&token), token);
}

#[test]
fn an_alarm_is_none_or_whole_minutes_up_to_a_week() {
    assert_eq!(parse_alarm("").unwrap(), None);
    assert_eq!(parse_alarm("30").unwrap(), Some(30));
    assert!(parse_alarm("-5").is_err());
    assert!(parse_alarm("10081").is_err());
    assert!(parse_alarm("1e3").is_err());
}

#[test]
fn committed_weeks_are_confirmed_planned_ones_tentative_and_each_carries_the_alarm() {
    let feed = render(
        &[
            event("2027-W03", "2027-01-18T00:00:00Z", Firmness::Planned),
            event("2027-W02", "2027-01-11T00:00:00Z", Firmness::Committed),
        ],
        &[],
        &FeedLayout {
            name: "Clinic duty: my shifts",
            alarm_minutes: Some(45),
            reader: Some("akaur"),
        },
        "2027-01-12T00:00:00Z".parse().unwrap(),
        &MailDomain::parse("clinic.example.org").unwrap(),
    );
    let unfolded = feed.replace("\r\n ", "");
    let confirmed = unfolded.find("STATUS:CONFIRMED").unwrap();
    let tentative = unfolded.find("STATUS:TENTATIVE").unwrap();
    assert!(confirmed < tentative, "events in time order");
    assert!(unfolded.contains("UID:duty-sre-clinic-2027-W02@clinic.example.org\r\n"));
    assert!(unfolded.contains("SEQUENCE:1\r\n") && unfolded.contains("SEQUENCE:0\r\n"));
    assert_eq!(unfolded.matches("TRIGGER:-PT45M\r\n").count(), 2);
    assert!(unfolded.contains("SUMMARY:sre-clinic: you are on duty (planned)\r\n"));
    assert!(unfolded.contains("a reason\\; with\\, commas"));
    assert!(feed.split("\r\n").all(|l| l.len() <= 75));
}
