//! What a maintenance means for us, end to end on the local stack: two vendors' notices that each
//! only reduce redundancy, on the two paths of one redundancy group at overlapping times, are an
//! outage, and the person on clinic duty is mailed of it once (SES on moto, through a fault proxy).

use std::collections::HashMap;
use std::sync::Arc;

use aws_sdk_dynamodb::types::AttributeValue;
use clinic::adapters::dynamo::DynamoStore;
use clinic::adapters::s3::S3Objects;
use clinic::adapters::ses::SesMailer;
use clinic::audit::AuditEntry;
use clinic::clock::ManualClock;
use clinic::mail::EmailAddress;
use clinic::maintenance::calendar_feed::FeedOptions;
use clinic::maintenance::circuits::Circuits;
use clinic::maintenance::ingest::{CalendarTarget, IngestReport, MailIngest};
use clinic::maintenance::outage_mail::OutageMail;
use clinic::shifts::{ShiftLedger, ShiftRecord};
use clinic_tests::fault_proxy::{Fault, FaultProxy, Matcher, Times};
use clinic_tests::{
    endpoint, fresh_store, received_mail, sdk_config, sdk_config_for, unique_table, verified_sender,
};

const SENDER: &str = "clinic@outage-tests.example.org";
const NOW: &str = "2027-03-01T09:00:00Z";

const CIRCUITS: &str = r#"
[[circuit]]
id = "HT-LIS-MAD-07"
site = "lis1"
service = "wave Lisbon-Madrid (second path)"
redundancy_group = "lis1-mad1"

[[circuit]]
id = "NWF-LIS-MAD-01"
site = "lis1"
service = "wave Lisbon-Madrid"
redundancy_group = "lis1-mad1"
"#;

struct Setup {
    s3: aws_sdk_s3::Client,
    bucket: String,
    job: MailIngest<DynamoStore>,
    ses_proxy: FaultProxy,
    duty: String,
}

fn t(s: &str) -> jiff::Timestamp {
    s.parse().unwrap()
}

/// A fresh table with `duty@<domain>` on duty in `sre-clinic` the week of [`NOW`], and the job
/// with the circuits above and its SES client behind a fault proxy.
async fn setup(domain: &str) -> Setup {
    let store = fresh_store("outage").await;
    let person = HashMap::from([
        ("PK".to_owned(), AttributeValue::S("PERSON#duty".into())),
        ("SK".to_owned(), AttributeValue::S("PROFILE".into())),
        ("id".to_owned(), AttributeValue::S("duty".into())),
        ("name".to_owned(), AttributeValue::S("Dana Duty".into())),
        (
            "email".to_owned(),
            AttributeValue::S(format!("duty@{domain}")),
        ),
    ]);
    store.put_all(vec![person]).await.expect("person");
    let shift = ShiftRecord {
        rotation: "sre-clinic".into(),
        week: "2027-W09".into(),
        primary: Some("duty".into()),
        backup: None,
        team: None,
        start_utc: t("2027-03-01T08:00:00Z"),
        end_utc: t("2027-03-08T08:00:00Z"),
        relaxed: Vec::new(),
        unstaffed_reason: None,
        overridden: None,
        committed_at: t("2027-02-26T08:00:00Z"),
        cause: "test".into(),
        victorops_overrides: Vec::new(),
    };
    let audit = AuditEntry::new(
        t(NOW),
        "test",
        "shift.commit",
        "rotation/sre-clinic",
        "seed",
        "test",
    );
    store.commit_shift(&shift, &audit).await.expect("shift");

    let sdk = sdk_config().await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    let bucket = unique_table("outage")
        .as_str()
        .to_lowercase()
        .replace('_', "-");
    s3.create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("bucket");
    verified_sender(SENDER).await;
    let ses_proxy = FaultProxy::start(endpoint()).await;
    let settings = clinic::adapters::sdk::AwsSettings {
        endpoint_url: Some(clinic::http_url::HttpUrl::parse(&ses_proxy.url()).unwrap()),
        region: Some("us-east-1".into()),
        ..clinic::adapters::sdk::AwsSettings::default()
    };
    let ses = aws_sdk_sesv2::Client::new(&sdk_config_for(&settings).await);
    let calendar = CalendarTarget {
        bucket: bucket.clone(),
        key: "calendar/5e1d7c3b9a2f4086/maintenance.ics".into(),
        options: FeedOptions {
            include_redundancy_only: true,
            uid_domain: clinic::mail::MailDomain::parse("clinic.example.org").unwrap(),
            circuits: Some(Circuits::parse(CIRCUITS).expect("test circuits")),
        },
    };
    let shared = Arc::new(store.clone());
    let job = MailIngest::new(
        store,
        Arc::new(S3Objects::new(s3.clone())),
        calendar,
        10 << 20,
    )
    .with_clock(Arc::new(ManualClock::at(t(NOW))))
    .with_outage_mail(OutageMail::new(
        shared.clone(),
        shared,
        Arc::new(SesMailer::new(ses)),
        EmailAddress::parse(SENDER).unwrap(),
        "sre-clinic".into(),
    ));
    Setup {
        s3,
        bucket,
        job,
        ses_proxy,
        duty: format!("duty@{domain}"),
    }
}

/// A BCOP notice of our own: `provider`'s maintenance `id` on `circuit`, reducing redundancy,
/// from `start` for four hours.
fn notice(provider: &str, id: &str, circuit: &str, start: &str) -> Vec<u8> {
    let ics = |s: jiff::Timestamp| s.strftime("%Y%m%dT%H%M%SZ").to_string();
    let start = t(start);
    let end = start + jiff::SignedDuration::from_hours(4);
    format!(
        "From: NOC <noc@{provider}.example>\r\nTo: maintenance@clinic.example.org\r\n\
         Subject: Planned work {id}\r\nDate: Mon, 22 Feb 2027 10:00:00 +0000\r\n\
         Message-ID: <{id}@{provider}.example>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\n\
         Planned work {id}.\r\n--b1\r\nContent-Type: text/calendar; charset=utf-8\r\n\r\n\
         BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//{provider}//EN\r\nBEGIN:VEVENT\r\nUID:{id}@{provider}\r\n\
         SEQUENCE:1\r\nDTSTAMP:20270222T100000Z\r\nDTSTART:{dtstart}\r\nDTEND:{dtend}\r\nSUMMARY:Work {id}\r\n\
         ORGANIZER:mailto:noc@{provider}.example\r\nX-MAINTNOTE-PROVIDER:{provider}\r\n\
         X-MAINTNOTE-ACCOUNT:ACC-9\r\nX-MAINTNOTE-MAINTENANCE-ID:{id}\r\n\
         X-MAINTNOTE-OBJECT-ID;X-MAINTNOTE-OBJECT-IMPACT=REDUCED-REDUNDANCY:{circuit}\r\n\
         X-MAINTNOTE-IMPACT:REDUCED-REDUNDANCY\r\nX-MAINTNOTE-STATUS:CONFIRMED\r\n\
         END:VEVENT\r\nEND:VCALENDAR\r\n--b1--\r\n",
        dtstart = ics(start),
        dtend = ics(end),
    )
    .into_bytes()
}

impl Setup {
    async fn put(&self, key: &str, raw: &[u8]) {
        self.s3
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .body(raw.to_vec().into())
            .send()
            .await
            .expect("put mail");
    }

    async fn run(&self, key: &str, size: usize) -> Result<IngestReport, String> {
        self.job
            .run(clinic_tests::s3_event(&self.bucket, key, size))
            .await
            .map_err(|e| e.to_string())
    }

    async fn deliver(&self, key: &str, raw: Vec<u8>) -> Result<IngestReport, String> {
        self.put(key, &raw).await;
        self.run(key, raw.len()).await
    }

    /// The outage mails the person on duty has received.
    async fn outage_mails(&self) -> Vec<String> {
        received_mail()
            .await
            .into_iter()
            .filter(|m| m.destinations.iter().any(|d| d.contains(&self.duty)))
            .map(|m| m.raw)
            .filter(|raw| raw.contains("Outage risk"))
            .collect()
    }
}

fn outcomes(report: &IngestReport) -> Vec<(&str, &str)> {
    report
        .outages
        .iter()
        .map(|o| (o.group.as_str(), o.outcome))
        .collect()
}

#[tokio::test]
async fn two_vendors_each_reducing_redundancy_on_one_group_at_once_mail_the_person_on_duty_once() {
    let s = setup("two-vendors.example.org").await;
    let first = s
        .deliver(
            "inbound/a",
            notice(
                "harbour-transit",
                "HT-1",
                "HT-LIS-MAD-07",
                "2027-03-10T01:00:00Z",
            ),
        )
        .await
        .unwrap();
    assert!(
        first.outages.is_empty(),
        "one path down is no outage: {first:?}"
    );
    assert!(s.outage_mails().await.is_empty());

    let second = s
        .deliver(
            "inbound/b",
            notice(
                "northwind",
                "NW-1",
                "NWF-LIS-MAD-01",
                "2027-03-10T03:00:00Z",
            ),
        )
        .await
        .unwrap();
    assert_eq!(outcomes(&second), vec![("lis1-mad1", "sent")]);
    let mails = s.outage_mails().await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(
        mails[0].contains("Subject: [clinic] Outage risk: redundancy group lis1-mad1 (lis1) down 2027-03-10 03:00 UTC to 2027-03-10 05:00 UTC"),
        "only the overlap is the outage: {}",
        mails[0]
    );

    // A repeat of a notice changes nothing, and is not a second mail.
    let again = s
        .deliver(
            "inbound/b-again",
            notice(
                "northwind",
                "NW-1",
                "NWF-LIS-MAD-01",
                "2027-03-10T03:00:00Z",
            ),
        )
        .await
        .unwrap();
    assert_eq!(outcomes(&again), vec![("lis1-mad1", "already-sent")]);
    assert_eq!(s.outage_mails().await.len(), 1);
}

#[tokio::test]
async fn a_failed_outage_mail_is_sent_by_the_retried_event_though_its_mail_was_already_handled() {
    let s = setup("mail-fails.example.org").await;
    s.deliver(
        "inbound/a",
        notice(
            "harbour-transit",
            "HT-2",
            "HT-LIS-MAD-07",
            "2027-03-11T01:00:00Z",
        ),
    )
    .await
    .unwrap();
    s.ses_proxy.inject(
        Matcher::any().method("POST"),
        Fault::Fail(500),
        Times::Every,
    );
    let raw = notice(
        "northwind",
        "NW-2",
        "NWF-LIS-MAD-01",
        "2027-03-11T02:00:00Z",
    );
    let size = raw.len();
    s.put("inbound/b", &raw).await;
    let failed = s.run("inbound/b", size).await;
    assert!(failed.is_err(), "the event is retried: {failed:?}");
    assert!(s.outage_mails().await.is_empty());

    s.ses_proxy.heal();
    let retried = s.run("inbound/b", size).await.unwrap();
    assert_eq!(outcomes(&retried), vec![("lis1-mad1", "sent")]);
    assert_eq!(s.outage_mails().await.len(), 1);
}

#[tokio::test]
async fn maintenances_on_different_groups_or_times_are_no_outage() {
    let s = setup("no-outage.example.org").await;
    s.deliver(
        "inbound/a",
        notice(
            "harbour-transit",
            "HT-3",
            "HT-LIS-MAD-07",
            "2027-03-12T01:00:00Z",
        ),
    )
    .await
    .unwrap();
    let later = s
        .deliver(
            "inbound/b",
            notice(
                "northwind",
                "NW-3",
                "NWF-LIS-MAD-01",
                "2027-03-12T06:00:00Z",
            ),
        )
        .await
        .unwrap();
    assert!(
        later.outages.is_empty(),
        "the windows do not overlap: {later:?}"
    );
    assert!(s.outage_mails().await.is_empty());
}

impl Setup {
    /// The start and end notices the person on duty has received.
    async fn notice_mails(&self) -> Vec<String> {
        received_mail()
            .await
            .into_iter()
            .filter(|m| m.destinations.iter().any(|d| d.contains(&self.duty)))
            .map(|m| m.raw)
            .filter(|raw| raw.contains("Subject: [clinic] Vendor maintenance"))
            .collect()
    }

    async fn sweep(&self, at: &str) -> Result<Vec<(String, &'static str, &'static str)>, String> {
        let notices = self
            .job
            .notice_sweep(t(at), &format!("test-sweep-{at}"), false)
            .await
            .map_err(|e| e.to_string())?;
        Ok(notices
            .into_iter()
            .map(|n| (n.maintenance, n.slot, n.outcome))
            .collect())
    }
}

fn names(found: &[(String, &'static str, &'static str)]) -> Vec<String> {
    found
        .iter()
        .map(|(m, slot, outcome)| format!("{m} {slot} {outcome}"))
        .collect()
}

#[tokio::test]
async fn the_minute_sweep_mails_the_person_on_duty_once_when_each_part_of_an_outage_starts_and_ends()
 {
    let s = setup("notices.example.org").await;
    // The first path goes down at 01:00 for four hours, the second at 03:00: together an outage.
    s.deliver(
        "inbound/a",
        notice(
            "harbour-transit",
            "HT-10",
            "HT-LIS-MAD-07",
            "2027-03-05T01:00:00Z",
        ),
    )
    .await
    .unwrap();
    s.deliver(
        "inbound/b",
        notice(
            "northwind",
            "NW-10",
            "NWF-LIS-MAD-01",
            "2027-03-05T03:00:00Z",
        ),
    )
    .await
    .unwrap();
    assert!(s.sweep("2027-03-05T00:59:00Z").await.unwrap().is_empty());

    let first = s.sweep("2027-03-05T01:00:00Z").await.unwrap();
    assert_eq!(names(&first).len(), 1, "{first:?}");
    assert!(names(&first)[0].contains("HT-10 start sent"), "{first:?}");
    let mails = s.notice_mails().await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(
        mails[0].contains("Subject: [clinic] Vendor maintenance starting:")
            && mails[0].contains("HT-10")
            && mails[0].contains("lis1-mad1"),
        "the notice names the maintenance and the group it takes down: {}",
        mails[0]
    );

    // The next minutes find it sent, and send nothing more.
    let again = s.sweep("2027-03-05T01:01:00Z").await.unwrap();
    assert!(
        names(&again)[0].contains("HT-10 start already-sent"),
        "{again:?}"
    );
    assert_eq!(s.notice_mails().await.len(), 1);

    // SES fails at the second start: the minute fails (Lambda retries it), then its retry sends once.
    s.ses_proxy.inject(
        Matcher::any().method("POST"),
        Fault::Fail(500),
        Times::Every,
    );
    assert!(s.sweep("2027-03-05T03:00:00Z").await.is_err());
    assert_eq!(s.notice_mails().await.len(), 1);
    s.ses_proxy.heal();
    let retried = s.sweep("2027-03-05T03:00:00Z").await.unwrap();
    assert!(
        names(&retried)[0].contains("NW-10 start sent"),
        "{retried:?}"
    );
    assert_eq!(s.notice_mails().await.len(), 2);

    // A sweep that runs late (20 minutes after the first path came back) sends no stale notice.
    assert!(s.sweep("2027-03-05T05:20:00Z").await.unwrap().is_empty());

    // The second path's end, through the function as the schedule invokes it.
    let Setup { job, duty, .. } = s;
    let function = clinic::functions::maintenance_mail::MaintenanceFunction::from_job(job);
    let dry = function
        .dispatch(serde_json::json!({
            "job": "maintenance-notices", "scheduled_time": "2027-03-05T07:00:00Z", "dry_run": true
        }))
        .await
        .expect("dry run");
    assert_eq!(dry["maintenance_notices"][0]["outcome"], "due", "{dry}");
    let ended = function
        .dispatch(serde_json::json!({
            "version": "0", "id": "evt-notices-0700", "detail-type": "Scheduled Event",
            "source": "aws.events", "account": "123456789012", "time": "2027-03-05T07:00:00Z",
            "region": "us-east-1", "resources": [], "detail": {}
        }))
        .await
        .expect("scheduled minute");
    assert_eq!(ended["maintenance_notices"][0]["slot"], "end", "{ended}");
    assert_eq!(
        ended["maintenance_notices"][0]["outcome"], "sent",
        "{ended}"
    );
    let mails: Vec<String> = received_mail()
        .await
        .into_iter()
        .filter(|m| m.destinations.iter().any(|d| d.contains(&duty)))
        .map(|m| m.raw)
        .filter(|raw| raw.contains("Subject: [clinic] Vendor maintenance over:"))
        .collect();
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(mails[0].contains("NW-10"), "{}", mails[0]);

    let refused = function
        .dispatch(
            serde_json::json!({"job": "weekly-rotation", "scheduled_time": "2027-03-05T07:00:00Z"}),
        )
        .await;
    assert!(refused.is_err(), "another job's input is refused");
}

#[tokio::test]
async fn a_maintenance_that_only_reduces_redundancy_on_its_own_gets_no_start_or_end_notice() {
    let s = setup("no-notice.example.org").await;
    s.deliver(
        "inbound/a",
        notice(
            "harbour-transit",
            "HT-11",
            "HT-LIS-MAD-07",
            "2027-03-06T01:00:00Z",
        ),
    )
    .await
    .unwrap();
    assert!(s.sweep("2027-03-06T01:00:00Z").await.unwrap().is_empty());
    assert!(s.sweep("2027-03-06T05:00:00Z").await.unwrap().is_empty());
    assert!(s.notice_mails().await.is_empty());
}
