//! Vendor maintenance mail end to end on the local stack: S3 holds the raw mail SES stored, the job
//! parses it, keeps each maintenance's lifecycle in DynamoDB and writes the calendar back to S3.

use std::sync::Arc;

use clinic::adapters::dynamo::DynamoStore;
use clinic::adapters::s3::S3Objects;
use clinic::audit::{AuditEntry, AuditLog};
use clinic::maintenance::calendar_feed::FeedOptions;
use clinic::maintenance::ingest::{CalendarTarget, MailIngest, ObjectOutcome, PARSE_UNFINISHED};
use clinic::maintenance::ports::MaintenanceLedger;
use clinic::maintenance::{Impact, Status};
use clinic_tests::{fresh_store, sdk_config, unique_table};

const CALENDAR_KEY: &str = "calendar/4f9c2e7a1b8d6035/maintenance.ics";

struct Setup {
    store: DynamoStore,
    s3: aws_sdk_s3::Client,
    bucket: String,
    job: MailIngest<DynamoStore>,
}

async fn s3_client() -> aws_sdk_s3::Client {
    let sdk = sdk_config().await;
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    )
}

fn calendar_target(bucket: &str) -> CalendarTarget {
    CalendarTarget {
        bucket: bucket.to_owned(),
        key: CALENDAR_KEY.to_owned(),
        options: FeedOptions {
            include_redundancy_only: false,
            uid_domain: clinic::mail::MailDomain::parse("clinic.example.org").unwrap(),
            circuits: None,
        },
    }
}

async fn setup(prefix: &str, max_bytes: u64) -> Setup {
    let store = fresh_store(prefix).await;
    let s3 = s3_client().await;
    let bucket = unique_table(prefix)
        .as_str()
        .to_lowercase()
        .replace('_', "-");
    s3.create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("create bucket");
    let job = MailIngest::new(
        store.clone(),
        Arc::new(S3Objects::new(s3.clone())),
        calendar_target(&bucket),
        max_bytes,
    );
    Setup {
        store,
        s3,
        bucket,
        job,
    }
}

fn ics_time(t: jiff::Timestamp) -> String {
    t.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// A BCOP maintenance notice of our own, with times relative to now so it falls inside the calendar.
fn notice(
    id: &str,
    message_id: &str,
    sequence: u32,
    stamp_days_ago: i64,
    start_in_days: i64,
    status: &str,
    impact: &str,
) -> Vec<u8> {
    // One base time for the whole test binary, whole seconds: notices built a moment apart must agree.
    static BASE: std::sync::OnceLock<jiff::Timestamp> = std::sync::OnceLock::new();
    let now = *BASE.get_or_init(|| {
        jiff::Timestamp::from_second(jiff::Timestamp::now().as_second())
            .expect("now is representable")
    });
    let day = jiff::SignedDuration::from_hours(24);
    let stamp = now - day * stamp_days_ago as i32;
    let start = now + day * start_in_days as i32;
    let end = start + jiff::SignedDuration::from_hours(4);
    format!(
        "From: Operations <noc@harbour-transit.example>\r\nTo: maintenance@clinic.example.org\r\n\
         Subject: Planned work {id}\r\nDate: {date}\r\nMessage-ID: <{message_id}>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\n\
         Planned work {id}.\r\n--b1\r\nContent-Type: text/calendar; charset=utf-8\r\n\r\n\
         BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Harbour//EN\r\nBEGIN:VEVENT\r\nUID:{id}@harbour\r\n\
         SEQUENCE:{sequence}\r\nDTSTAMP:{dtstamp}\r\nDTSTART:{dtstart}\r\nDTEND:{dtend}\r\nSUMMARY:Work {id}\r\n\
         ORGANIZER:mailto:noc@harbour-transit.example\r\nX-MAINTNOTE-PROVIDER:harbour-transit\r\n\
         X-MAINTNOTE-ACCOUNT:ACC-9\r\nX-MAINTNOTE-MAINTENANCE-ID:{id}\r\n\
         X-MAINTNOTE-OBJECT-ID;X-MAINTNOTE-OBJECT-IMPACT={impact}:HT-CIRCUIT-1\r\nX-MAINTNOTE-IMPACT:{impact}\r\n\
         X-MAINTNOTE-STATUS:{status}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n--b1--\r\n",
        date = stamp.strftime("%a, %d %b %Y %H:%M:%S +0000"),
        dtstamp = ics_time(stamp),
        dtstart = ics_time(start),
        dtend = ics_time(end),
    )
    .into_bytes()
}

impl Setup {
    async fn deliver(&self, key: &str, raw: Vec<u8>) -> ObjectOutcome {
        let size = raw.len();
        self.s3
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .body(raw.into())
            .send()
            .await
            .expect("put mail");
        let report = self
            .job
            .run(clinic_tests::s3_event(&self.bucket, key, size))
            .await
            .expect("ingest");
        report
            .objects
            .into_iter()
            .next()
            .expect("one object")
            .outcome
    }

    async fn calendar(&self) -> String {
        let object = self
            .s3
            .get_object()
            .bucket(&self.bucket)
            .key(CALENDAR_KEY)
            .send()
            .await
            .expect("calendar exists");
        String::from_utf8(object.body.collect().await.unwrap().into_bytes().to_vec()).unwrap()
    }
}

#[tokio::test]
async fn a_notice_is_stored_and_the_calendar_is_published() {
    let s = setup("maint-first", 10 << 20).await;
    let outcome = s
        .deliver(
            "inbound/m1",
            notice("HT-1", "ht-1.1@x", 1, 3, 10, "CONFIRMED", "OUTAGE"),
        )
        .await;
    assert!(
        matches!(&outcome, ObjectOutcome::Parsed { maintenances } if maintenances[0].verdict.as_str() == "created"),
        "{outcome:?}"
    );
    let record = s
        .store
        .maintenance("harbour-transit", "HT-1")
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(record.status, Status::Confirmed);
    assert_eq!(record.circuits[0].impact, Impact::Outage);
    let calendar = s.calendar().await;
    assert!(
        calendar.contains("UID:maintenance-harbour-transit-HT-1@clinic.example.org"),
        "{calendar}"
    );
    assert!(calendar.contains("TRANSP:TRANSPARENT"));
    assert!(calendar.contains("SUMMARY:harbour-transit: HT-CIRCUIT-1 (OUTAGE)"));
}

#[tokio::test]
async fn a_newer_notice_moves_the_window_and_an_older_one_arriving_late_changes_nothing() {
    let s = setup("maint-order", 10 << 20).await;
    s.deliver(
        "inbound/a",
        notice("HT-2", "ht-2.1@x", 1, 5, 10, "CONFIRMED", "OUTAGE"),
    )
    .await;
    let before = s
        .store
        .maintenance("harbour-transit", "HT-2")
        .await
        .unwrap()
        .unwrap();
    let moved = s
        .deliver(
            "inbound/b",
            notice("HT-2", "ht-2.2@x", 2, 2, 17, "RE-SCHEDULED", "OUTAGE"),
        )
        .await;
    assert!(
        matches!(&moved, ObjectOutcome::Parsed { maintenances } if maintenances[0].verdict.as_str() == "updated"),
        "{moved:?}"
    );
    let after = s
        .store
        .maintenance("harbour-transit", "HT-2")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.start - before.start, 7 * 86_400);
    assert_eq!(after.notices, 2);

    // A notice older than the reschedule, delivered late: ignored.
    let late = s
        .deliver(
            "inbound/c",
            notice("HT-2", "ht-2.0@x", 1, 4, 30, "CONFIRMED", "OUTAGE"),
        )
        .await;
    assert!(
        matches!(&late, ObjectOutcome::Parsed { maintenances } if maintenances[0].verdict.as_str() == "stale"),
        "{late:?}"
    );
    assert_eq!(
        s.store
            .maintenance("harbour-transit", "HT-2")
            .await
            .unwrap()
            .unwrap(),
        after
    );
}

#[tokio::test]
async fn the_same_message_delivered_twice_changes_nothing() {
    let s = setup("maint-twice", 10 << 20).await;
    let mail = notice("HT-3", "ht-3.1@x", 1, 3, 10, "CONFIRMED", "OUTAGE");
    s.deliver("inbound/one", mail.clone()).await;
    let stored = s
        .store
        .maintenance("harbour-transit", "HT-3")
        .await
        .unwrap()
        .unwrap();
    // The same object's event again, and the same Message-ID under another object key.
    let again = s
        .job
        .run(clinic_tests::s3_event(&s.bucket, "inbound/one", mail.len()))
        .await
        .unwrap();
    assert_eq!(again.objects[0].outcome, ObjectOutcome::AlreadyHandled);
    assert!(!again.calendar_published);
    assert_eq!(
        s.deliver("inbound/copy", mail).await,
        ObjectOutcome::AlreadyHandled
    );
    assert_eq!(
        s.store
            .maintenance("harbour-transit", "HT-3")
            .await
            .unwrap()
            .unwrap(),
        stored
    );
}

#[tokio::test]
async fn a_cancellation_marks_the_event_cancelled() {
    let s = setup("maint-cancel", 10 << 20).await;
    s.deliver(
        "inbound/1",
        notice("HT-4", "ht-4.1@x", 1, 3, 10, "CONFIRMED", "OUTAGE"),
    )
    .await;
    s.deliver(
        "inbound/2",
        notice("HT-4", "ht-4.2@x", 2, 1, 10, "CANCELLED", "OUTAGE"),
    )
    .await;
    let record = s
        .store
        .maintenance("harbour-transit", "HT-4")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.status, Status::Cancelled);
    let calendar = s.calendar().await;
    assert!(calendar.contains("STATUS:CANCELLED"), "{calendar}");
    assert_eq!(
        calendar.matches("BEGIN:VEVENT").count(),
        1,
        "an update replaces its event"
    );
}

#[tokio::test]
async fn a_maintenance_that_only_reduces_redundancy_is_stored_but_left_out_of_the_calendar() {
    let s = setup("maint-redundancy", 10 << 20).await;
    s.deliver(
        "inbound/r",
        notice(
            "HT-5",
            "ht-5.1@x",
            1,
            3,
            10,
            "CONFIRMED",
            "REDUCED-REDUNDANCY",
        ),
    )
    .await;
    s.deliver(
        "inbound/o",
        notice("HT-6", "ht-6.1@x", 1, 3, 12, "CONFIRMED", "DEGRADED"),
    )
    .await;
    assert!(
        s.store
            .maintenance("harbour-transit", "HT-5")
            .await
            .unwrap()
            .is_some()
    );
    let calendar = s.calendar().await;
    assert!(!calendar.contains("HT-5@"), "{calendar}");
    assert!(calendar.contains("harbour-transit-HT-6@"));
}

#[tokio::test]
async fn an_unreadable_mail_is_kept_for_review_with_its_reason() {
    let s = setup("maint-review", 10 << 20).await;
    let mail = b"From: someone@unknown.example\r\nSubject: hello\r\nMessage-ID: <u1@unknown>\r\n\r\nno notice here\r\n".to_vec();
    let outcome = s.deliver("inbound/unknown", mail).await;
    assert!(
        matches!(&outcome, ObjectOutcome::NeedsReview { reason } if reason.contains("not a known provider")),
        "{outcome:?}"
    );
    let reviews = s.store.reviews().await.unwrap();
    assert_eq!(reviews.len(), 1);
    assert_eq!(reviews[0].key, "inbound/unknown");
    assert_eq!(reviews[0].from.as_deref(), Some("someone@unknown.example"));
    // The raw mail stays where SES put it.
    assert!(
        s.s3.head_object()
            .bucket(&s.bucket)
            .key("inbound/unknown")
            .send()
            .await
            .is_ok()
    );

    // Once someone has dealt with it, it leaves the list (and the brief) with an audit entry; the
    // item and the mail stay.
    let now = jiff::Timestamp::now();
    let done = AuditEntry::new(
        now,
        "cli:alice",
        "maintenance.reviewed",
        format!("review/{}", reviews[0].id),
        "a newsletter, not a notice",
        "test",
    );
    assert!(s.store.review_done(&reviews[0].id, &done).await.unwrap());
    assert!(s.store.reviews().await.unwrap().is_empty());
    assert!(!s.store.review_done(&reviews[0].id, &done).await.unwrap());
    assert!(!s.store.review_done("no-such-item", &done).await.unwrap());
    let day = now.to_zoned(jiff::tz::TimeZone::UTC).date();
    let reviewed: Vec<_> = s
        .store
        .list(day, day, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "maintenance.reviewed")
        .collect();
    assert_eq!(reviewed.len(), 1, "{reviewed:?}");
    assert_eq!(reviewed[0].why, "a newsletter, not a notice");
    let kept = s
        .store
        .get(
            &clinic::adapters::dynamo::keys::review(&reviews[0].id),
            "META",
        )
        .await
        .unwrap()
        .expect("the item stays");
    assert_eq!(kept["reviewed_by"].as_s().unwrap(), "cli:alice");
}

#[tokio::test]
async fn a_mail_over_the_size_limit_is_kept_for_review_unparsed() {
    let s = setup("maint-large", 4096).await;
    let mut mail = notice("HT-7", "ht-7.1@x", 1, 3, 10, "CONFIRMED", "OUTAGE");
    mail.extend(std::iter::repeat_n(b'x', 8192));
    let outcome = s.deliver("inbound/huge", mail).await;
    assert!(
        matches!(&outcome, ObjectOutcome::NeedsReview { reason } if reason.contains("limit")),
        "{outcome:?}"
    );
    assert!(
        s.store
            .maintenance("harbour-transit", "HT-7")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn the_ses_setup_notification_and_keys_with_spaces_are_handled() {
    let s = setup("maint-setup", 10 << 20).await;
    let setup = s
        .deliver("inbound/AMAZON_SES_SETUP_NOTIFICATION", b"setup".to_vec())
        .await;
    assert_eq!(setup, ObjectOutcome::SkippedSetupNotification);
    let spaced = s
        .deliver(
            "inbound/with space",
            notice("HT-8", "ht-8.1@x", 1, 3, 10, "CONFIRMED", "OUTAGE"),
        )
        .await;
    assert!(matches!(spaced, ObjectOutcome::Parsed { .. }));
}

#[tokio::test]
async fn an_event_that_is_not_from_s3_is_refused() {
    let s = setup("maint-refuse", 10 << 20).await;
    let function = clinic::functions::maintenance_mail::MaintenanceFunction::from_job(s.job);
    let refused = function
        .handle(serde_json::json!({"detail-type": "Scheduled Event"}))
        .await
        .unwrap_err();
    assert!(!refused.retryable);
}

/// Set in a child copy of this test binary that runs the job with a parser that aborts the process:
/// the table, the bucket and the key, one a line.
const ABORT_CHILD: &str = "CLINIC_TEST_ABORTING_INGEST";

fn aborting_parser(
    _raw: &[u8],
) -> Result<Vec<clinic::maintenance::Maintenance>, clinic::maintenance::NoticeError> {
    // What an out-of-memory kill or a failed allocation does: no unwinding, nothing after it runs.
    std::process::abort()
}

/// Passes at once unless started by the test below, in which case it dies mid-parse.
#[tokio::test]
async fn ingest_that_aborts_while_parsing_started_by_the_test_below() {
    let Ok(job) = std::env::var(ABORT_CHILD) else {
        return;
    };
    let mut lines = job.lines();
    let (Some(table), Some(bucket), Some(key)) = (lines.next(), lines.next(), lines.next()) else {
        panic!("{ABORT_CHILD} must name the table, the bucket and the key");
    };
    let client = aws_sdk_dynamodb::Client::new(&sdk_config().await);
    let store = DynamoStore::new(
        client,
        clinic::adapters::dynamo::TableName::parse(table).expect("table name"),
    );
    let job = MailIngest::new(
        store,
        Arc::new(S3Objects::new(s3_client().await)),
        calendar_target(bucket),
        10 << 20,
    )
    .with_parser(aborting_parser);
    let _ = job.run(clinic_tests::s3_event(bucket, key, 0)).await;
    unreachable!("the parser aborts the process");
}

#[tokio::test]
async fn a_parse_that_aborts_leaves_the_mail_for_review_and_a_later_parse_clears_it() {
    let s = setup("maint-abort", 10 << 20).await;
    let mail = notice("HT-9", "ht-9.1@x", 1, 3, 10, "CONFIRMED", "OUTAGE");
    s.s3.put_object()
        .bucket(&s.bucket)
        .key("inbound/dies")
        .body(mail.clone().into())
        .send()
        .await
        .expect("put mail");
    let status = std::process::Command::new(std::env::current_exe().expect("this test binary"))
        .args([
            "--exact",
            "ingest_that_aborts_while_parsing_started_by_the_test_below",
            "--nocapture",
        ])
        .env(
            ABORT_CHILD,
            format!("{}\n{}\ninbound/dies", s.store.table().as_str(), s.bucket),
        )
        .env(clinic_tests::STACK_URL_VARIABLE, clinic_tests::endpoint())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("run the child");
    assert!(!status.success(), "the child must have died: {status:?}");
    let reviews = s.store.reviews().await.unwrap();
    assert_eq!(reviews.len(), 1, "{reviews:?}");
    assert_eq!(reviews[0].reason, PARSE_UNFINISHED);
    assert_eq!(reviews[0].key, "inbound/dies");
    assert_eq!(reviews[0].message_id.as_deref(), Some("ht-9.1@x"));
    assert!(
        s.store
            .maintenance("harbour-transit", "HT-9")
            .await
            .unwrap()
            .is_none()
    );

    // Lambda's retry of the same event, with a parser that finishes: parsed, and off the list.
    let retry = s
        .job
        .run(clinic_tests::s3_event(
            &s.bucket,
            "inbound/dies",
            mail.len(),
        ))
        .await
        .unwrap();
    assert!(
        matches!(&retry.objects[0].outcome, ObjectOutcome::Parsed { maintenances } if maintenances.len() == 1),
        "{retry:?}"
    );
    assert!(s.store.reviews().await.unwrap().is_empty());
    let stored = s
        .store
        .maintenance("harbour-transit", "HT-9")
        .await
        .unwrap()
        .expect("stored");

    // And once more: nothing changes.
    let again = s
        .job
        .run(clinic_tests::s3_event(
            &s.bucket,
            "inbound/dies",
            mail.len(),
        ))
        .await
        .unwrap();
    assert_eq!(again.objects[0].outcome, ObjectOutcome::AlreadyHandled);
    assert!(s.store.reviews().await.unwrap().is_empty());
    assert_eq!(
        s.store
            .maintenance("harbour-transit", "HT-9")
            .await
            .unwrap(),
        Some(stored)
    );
}

#[tokio::test]
async fn a_good_mail_leaves_no_review_item_behind() {
    let s = setup("maint-clean", 10 << 20).await;
    s.deliver(
        "inbound/good",
        notice("HT-10", "ht-10.1@x", 1, 3, 10, "CONFIRMED", "OUTAGE"),
    )
    .await;
    assert!(s.store.reviews().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_mail_over_a_parse_limit_is_kept_for_review_naming_the_limit() {
    let s = setup("maint-limit", 10 << 20).await;
    let mut mail =
        b"From: noc@harbour-transit.example\r\nSubject: deep\r\nMessage-ID: <deep@x>\r\n".to_vec();
    for _ in 0..40 {
        mail.extend_from_slice(b"Content-Type: message/rfc822\r\n\r\n");
    }
    mail.extend_from_slice(b"body\r\n");
    let outcome = s.deliver("inbound/deep", mail).await;
    assert!(
        matches!(&outcome, ObjectOutcome::NeedsReview { reason } if reason.contains("MIME nesting depth is 17 levels, 1 over the limit of 16")),
        "{outcome:?}"
    );
    let reviews = s.store.reviews().await.unwrap();
    assert_eq!(reviews.len(), 1);
    assert!(reviews[0].reason.contains("MIME nesting depth"));
    assert_eq!(
        s.job
            .run(clinic_tests::s3_event(&s.bucket, "inbound/deep", 0))
            .await
            .unwrap()
            .objects[0]
            .outcome,
        ObjectOutcome::AlreadyHandled
    );
}

#[tokio::test]
async fn an_acknowledgement_is_audited_kept_across_later_notices_and_never_lost_to_a_racing_write()
{
    use clinic::maintenance::lifecycle::Acknowledgement;
    use clinic::maintenance::ports::Applied;
    let s = setup("maint-ack", 10 << 20).await;
    s.deliver(
        "inbound/a1",
        notice("HT-5", "ht-5.1@x", 1, 3, 10, "CONFIRMED", "OUTAGE"),
    )
    .await;
    let before = s
        .store
        .maintenance("harbour-transit", "HT-5")
        .await
        .unwrap()
        .expect("stored");
    let at = jiff::Timestamp::from_second(jiff::Timestamp::now().as_second()).unwrap();
    let ack = Acknowledgement {
        by: "cli:akaur".into(),
        at,
        note: "Checked with the NOC: the backup path carries it".into(),
    };
    let audit = |subject: &str| {
        AuditEntry::new(
            at,
            "cli:akaur",
            "maintenance.ack",
            subject,
            "looked",
            "test",
        )
    };
    assert!(
        s.store
            .acknowledge(
                "harbour-transit",
                "HT-5",
                &ack,
                &audit("maintenance/harbour-transit/HT-5")
            )
            .await
            .unwrap()
    );
    assert!(
        !s.store
            .acknowledge(
                "harbour-transit",
                "HT-404",
                &ack,
                &audit("maintenance/harbour-transit/HT-404")
            )
            .await
            .unwrap(),
        "no such maintenance: nothing written"
    );
    // A notice judged against the record as it was before the ack must not wipe it out.
    let mut racing = before.clone();
    racing.stamp += 60;
    assert_eq!(
        s.store
            .write_maintenance(&racing, &audit("maintenance/harbour-transit/HT-5"))
            .await
            .unwrap(),
        Applied::Conflict
    );
    // The ingest re-reads on a conflict; a newer notice through it keeps the acknowledgement.
    s.deliver(
        "inbound/a2",
        notice("HT-5", "ht-5.2@x", 2, 1, 11, "CONFIRMED", "OUTAGE"),
    )
    .await;
    let after = s
        .store
        .maintenance("harbour-transit", "HT-5")
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(after.notices, 2);
    assert_eq!(after.acknowledged, Some(ack));
    let calendar = s.calendar().await.replace("\r\n ", "");
    assert!(
        calendar.contains("Acknowledged by cli:akaur at "),
        "{calendar}"
    );
}
