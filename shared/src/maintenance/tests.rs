//! Whole-notice behaviour on small mails written for these tests (not taken from any provider): the BCOP
//! path, forwarded notices, recognition by wording, time zones across DST, and every kind of error.

use super::*;

fn crlf(text: &str) -> Vec<u8> {
    text.replace("\r\n", "\n")
        .replace('\n', "\r\n")
        .into_bytes()
}

const BCOP_FROM_UNKNOWN_SENDER: &str = "From: Change Desk <changes@fibre-north.example>
To: noc@ourcorp.example
Subject: Planned work PW-778 on your wavelength
Date: Mon, 04 Mar 2024 09:15:00 +0000
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary=\"outer\"

--outer
Content-Type: text/plain; charset=utf-8

Details are in the attached calendar entry.
--outer
Content-Type: text/calendar; charset=utf-8; method=PUBLISH
Content-Disposition: attachment; filename=\"pw-778.ics\"

BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Fibre North//Change Desk//EN
BEGIN:VEVENT
UID:pw-778@fibre-north.example
SEQUENCE:2
DTSTAMP:20240304T091500Z
DTSTART;TZID=Europe/Berlin:20240330T230000
DTEND;TZID=Europe/Berlin:20240331T050000
SUMMARY:Wavelength re-splice\\, Hamburg
ORGANIZER;CN=\"Fibre North NOC\":mailto:noc@fibre-north.example
X-MAINTNOTE-PROVIDER:fibre-north.example
X-MAINTNOTE-ACCOUNT:OURCORP-17
X-MAINTNOTE-MAINTENANCE-ID:PW-778
X-MAINTNOTE-OBJECT-ID;X-MAINTNOTE-OBJECT-IMPACT=OUTAGE:WAVE-HH-01
X-MAINTNOTE-OBJECT-ID:WAVE-HH-02
X-MAINTNOTE-IMPACT:REDUCED-REDUNDANCY
X-MAINTNOTE-STATUS:CONFIRMED
END:VEVENT
END:VCALENDAR
--outer--
";

#[test]
fn a_bcop_calendar_from_an_unknown_sender_is_read_as_a_maintenance_note() {
    let maintenances = parse_notice(&crlf(BCOP_FROM_UNKNOWN_SENDER)).expect("a BCOP notice parses");
    assert_eq!(
        maintenances,
        vec![Maintenance {
            account: "OURCORP-17".into(),
            circuits: vec![
                Circuit::new("WAVE-HH-01", Impact::Outage),
                Circuit::new("WAVE-HH-02", Impact::ReducedRedundancy),
            ],
            // 23:00 CET on 30 March to 05:00 CEST on 31 March 2024: five hours, not six.
            start: 1_711_836_000,
            end: 1_711_854_000,
            maintenance_id: "PW-778".into(),
            open_ended: false,
            reading: crate::maintenance::ReadingKind::Template,
            organizer: "mailto:noc@fibre-north.example".into(),
            provider: "fibre-north.example".into(),
            sequence: 2,
            stamp: 1_709_543_700,
            status: Status::Confirmed,
            summary: "Wavelength re-splice, Hamburg".into(),
            uid: "pw-778@fibre-north.example".into(),
        }]
    );
    assert_eq!(
        detect_provider(&crlf(BCOP_FROM_UNKNOWN_SENDER)),
        Some(ProviderId::Generic)
    );
}

const INLINE_FORWARD: &str = "From: Dana Ops <dana@ourcorp.example>
To: maintenance@ourcorp.example
Subject: Fwd: ***Ourcorp***ZAYO TTN-0009876543 Planned MAINTENANCE NOTIFICATION***
Date: Fri, 02 Feb 2024 08:00:00 +0000
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

FYI, see below.

---------- Forwarded message ---------
From: MR Zayo <mr@zayo.com>
Date: Thu, 1 Feb 2024 at 17:02
Subject: ***Ourcorp***ZAYO TTN-0009876543 Planned MAINTENANCE NOTIFICATION***
To: <maintenance@ourcorp.example>

Zayo Maintenance Notification
Maintenance Ticket #: TTN-0009876543
Urgency: Planned
Date Notice Sent: 01-Feb-2024
Customer: Ourcorp
Maintenance Window
1st Activity Date
10-Feb-2024 00:01 to 10-Feb-2024 04:00 ( Mountain )
10-Feb-2024 07:01 to 10-Feb-2024 11:00 ( GMT )
Reason for Maintenance: Splice case replacement on the Denver ring.
Circuit(s) Affected:
Circuit Id\tExpected Impact\tA Location Address\tZ Location Address\tLegacy Circuit Id
/ABCD/000123/ /ZYO /\tHard Down - up to 4 hours\t1 Main St Denver, CO\t2 Main St Denver, CO
";

#[test]
fn a_notice_forwarded_inline_is_read_by_the_template_of_its_original_sender() {
    let reading = read_notice(&crlf(INLINE_FORWARD));
    assert_eq!(reading.provider, Some(ProviderId::Zayo));
    let maintenances = reading
        .maintenances
        .expect("the forwarded Zayo notice parses");
    assert_eq!(maintenances.len(), 1);
    let m = &maintenances[0];
    assert_eq!(m.maintenance_id, "TTN-0009876543");
    assert_eq!(m.account, "Ourcorp");
    assert_eq!((m.start, m.end), (1_707_548_460, 1_707_562_800));
    assert_eq!(m.stamp, 1_706_745_600);
    assert_eq!(
        m.circuits,
        vec![Circuit::new("/ABCD/000123/ /ZYO /", Impact::Outage)]
    );
    assert_eq!(m.organizer, "mr@zayo.com");
    assert_eq!(m.summary, "Splice case replacement on the Denver ring.");
}

const ATTACHED_ORIGINAL: &str = "From: Dana Ops <dana@ourcorp.example>
To: maintenance@ourcorp.example
Subject: Fwd: Windstream (Demand Notification WMT#: 998877)
Date: Sat, 02 Mar 2024 10:00:00 +0000
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary=\"fwd\"

--fwd
Content-Type: text/plain; charset=utf-8

Forwarding the original as an attachment.
--fwd
Content-Type: message/rfc822

From: wci.maintenance.notifications@windstream.com
To: maintenance@ourcorp.example
Subject: Windstream (Demand Notification WMT#: 998877)
Date: Fri, 01 Mar 2024 12:00:00 +0000
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8

<html><body><h1>Planned Maintenance Notification</h1>
<div>Windstream will replace an amplifier shelf. Service impact is expected during the window below.</div>
<table><tr><td>WMT:</td><td>998877</td></tr>
<tr><td>Event Start Date &amp; Time:</td><td>03/10/24 00:30 ET</td></tr>
<tr><td>Event End Date &amp; Time:</td><td>03/10/24 04:30 ET</td></tr></table>
<table><tr><td>Impact Type:</td><td>Duration</td></tr><tr><td>Outage</td><td>60 minute(s)</td></tr></table>
<table><tr><td>Name</td><td>Account</td><td>Circuit ID</td></tr>
<tr><td>OURCORP</td><td>*****4321</td><td>WS/XYZ/4321/ /WXN /</td></tr></table>
</body></html>
--fwd--
";

#[test]
fn a_notice_attached_as_a_message_is_read_as_the_original() {
    let reading = read_notice(&crlf(ATTACHED_ORIGINAL));
    assert_eq!(reading.provider, Some(ProviderId::Windstream));
    let m = &reading
        .maintenances
        .expect("the attached Windstream notice parses")[0];
    assert_eq!(m.maintenance_id, "998877");
    assert_eq!(m.account, "OURCORP");
    assert_eq!(
        m.circuits,
        vec![Circuit::new("WS/XYZ/4321/ /WXN /", Impact::Outage)]
    );
    // The original's own Date header is the notice time, not the forward's.
    assert_eq!(m.stamp, 1_709_294_400);
}

#[test]
fn eastern_local_times_are_converted_across_the_spring_dst_change() {
    let m = &parse_notice(&crlf(ATTACHED_ORIGINAL)).expect("parses")[0];
    // 00:30 EST (UTC-5) and 04:30 EDT (UTC-4) on 10 March 2024: three hours apart, not four.
    assert_eq!((m.start, m.end), (1_710_048_600, 1_710_059_400));
    assert_eq!(m.end - m.start, 3 * 3600);
}

const ANONYMISED_SENDER: &str = "From: Maintenance Relay <relay@ourcorp.example>
To: noc@ourcorp.example
Subject: [ EXTERNAL ] MAINTENANCE ALERT: CRQ1-55555555 14/09/2024 22:00:00 GMT - 15/09/2024 04:00:00 GMT is about to START
Date: Sat, 14 Sep 2024 21:45:00 +0000
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary=\"b1\"

--b1
Content-Type: text/plain; charset=utf-8

The planned works announced under reference CRQ1-55555555 start shortly.
The list of services is attached; questions via the Colt Online portal or PlannedWorks@colt.net.
--b1
Content-Type: text/csv; charset=utf-8; name=\"services.csv\"
Content-Disposition: attachment; filename=\"services.csv\"

OCN,Legal Customer,Circuit ID,Service
OCN: 424242,OURCORP LTD,C-7654321,ETHERNET 1G
OCN: 424242,OURCORP LTD,C-7654322,ETHERNET 1G
--b1--
";

#[test]
fn an_anonymised_sender_is_recognised_by_the_template_wording() {
    let reading = read_notice(&crlf(ANONYMISED_SENDER));
    assert_eq!(reading.provider, Some(ProviderId::Colt));
    let m = &reading.maintenances.expect("the Colt alert parses")[0];
    assert_eq!(m.maintenance_id, "CRQ1-55555555");
    assert_eq!(m.status, Status::InProcess);
    assert_eq!(m.account, "424242");
    assert_eq!((m.start, m.end), (1_726_351_200, 1_726_372_800));
    assert_eq!(m.circuits.len(), 2);
    assert_eq!(m.organizer, "PlannedWorks@colt.net");
}

#[test]
fn a_notice_over_the_size_limit_is_refused_before_parsing() {
    let huge = vec![b'a'; MAX_NOTICE_BYTES + 1];
    let error = parse_notice(&huge).expect_err("too large");
    assert!(matches!(error, NoticeError::TooLarge { .. }));
    assert!(error.to_string().contains("limit"));
}

#[test]
fn bytes_that_are_not_an_email_are_reported_as_such() {
    let error = parse_notice(b"just a shopping list\nmilk\neggs\n").expect_err("not mail");
    assert!(matches!(error, NoticeError::NotAnEmail { .. }), "{error}");
    assert!(matches!(
        parse_notice(b""),
        Err(NoticeError::NotAnEmail { .. })
    ));
}

#[test]
fn a_mail_from_nobody_known_about_nothing_known_is_unrecognised() {
    let mail = crlf(
        "From: Sam <sam@friends.example>\nSubject: Lunch?\nDate: Mon, 01 Jul 2024 10:00:00 +0000\n\nNoon at the usual place?\n",
    );
    let reading = read_notice(&mail);
    assert_eq!(reading.provider, None);
    let error = reading.maintenances.expect_err("nothing to parse");
    assert!(matches!(error, NoticeError::Unrecognised { .. }), "{error}");
    assert!(error.to_string().contains("sam@friends.example"));
}

#[test]
fn a_recognised_notice_without_a_window_names_the_missing_field() {
    let mail = crlf(
        "From: MR Zayo <mr@zayo.com>\nSubject: ***Ourcorp***ZAYO TTN-0001112223 Planned MAINTENANCE NOTIFICATION***\n\
         Date: Mon, 01 Jul 2024 10:00:00 +0000\n\nZayo Maintenance Notification\nMaintenance Ticket #: TTN-0001112223\n\
         Customer: Ourcorp\nThe dates will follow in a separate notice.\n",
    );
    let error = parse_notice(&mail).expect_err("no window");
    assert!(
        matches!(
            error,
            NoticeError::MissingField {
                provider: ProviderId::Zayo,
                field: Field::Start
            }
        ),
        "{error}"
    );
    assert_eq!(
        error.to_string(),
        "recognised as a notice from zayo, but its start time could not be found"
    );
}

#[test]
fn a_bcop_note_with_an_unknown_status_is_reported_as_unreadable() {
    let mail = BCOP_FROM_UNKNOWN_SENDER.replace(
        "X-MAINTNOTE-STATUS:CONFIRMED",
        "X-MAINTNOTE-STATUS:POSTPONED",
    );
    let error = parse_notice(&crlf(&mail)).expect_err("unknown status");
    assert!(
        matches!(
            error,
            NoticeError::InvalidField {
                provider: ProviderId::Generic,
                field: Field::Status,
                ..
            }
        ),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .contains("\"POSTPONED\" is not a BCOP status"),
        "{error}"
    );
}

#[test]
fn the_cli_prints_one_list_for_one_file_and_a_map_for_several() {
    let dir = std::env::temp_dir().join(format!("maintenance-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let good = dir.join("good.eml");
    let bad = dir.join("bad.eml");
    let missing = dir.join("missing.eml");
    std::fs::write(&good, crlf(BCOP_FROM_UNKNOWN_SENDER)).expect("write");
    std::fs::write(&bad, b"not a mail at all").expect("write");

    let (out, code) = crate::cli::maintenance_parse::parse_files_cli(std::slice::from_ref(&good));
    assert_eq!(code, 0);
    let list: Vec<Maintenance> = serde_json::from_str(&out).expect("a JSON list");
    assert_eq!(list[0].maintenance_id, "PW-778");

    let (out, code) = crate::cli::maintenance_parse::parse_files_cli(std::slice::from_ref(&bad));
    assert_eq!((out.as_str(), code), ("", 1));

    let (out, code) = crate::cli::maintenance_parse::parse_files_cli(&[good.clone(), bad.clone()]);
    assert_eq!(
        code, 0,
        "a notice that does not parse is data, not a failure"
    );
    let map: serde_json::Value = serde_json::from_str(&out).expect("a JSON object");
    assert!(map[good.to_string_lossy().as_ref()].is_array());
    assert!(
        map[bad.to_string_lossy().as_ref()]["error"]
            .as_str()
            .is_some_and(|e| e.contains("not an e-mail"))
    );

    let (out, code) = crate::cli::maintenance_parse::parse_files_cli(&[good, missing.clone()]);
    assert_eq!(code, 1, "an unreadable file fails the run");
    let map: serde_json::Value = serde_json::from_str(&out).expect("a JSON object");
    assert!(
        map[missing.to_string_lossy().as_ref()]["error"]
            .as_str()
            .is_some_and(|e| e.contains("cannot read"))
    );
    let _ = std::fs::remove_dir_all(&dir);
}
