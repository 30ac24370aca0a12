//! A generic reading end to end on the local stack: a mail no template reads is stored marked
//! unverified, kept on the review list and shown as such in the calendar, until a person confirms or
//! corrects it with one conditional write (`clinic maintenance confirm`), audited, which a notice judged
//! before it cannot overwrite.

use std::sync::Arc;

use clinic::adapters::dynamo::DynamoStore;
use clinic::adapters::s3::S3Objects;
use clinic::audit::{AuditEntry, AuditLog};
use clinic::maintenance::calendar_feed::FeedOptions;
use clinic::maintenance::ingest::{CalendarTarget, MailIngest, ObjectOutcome, review_id_of};
use clinic::maintenance::lifecycle::{Acknowledgement, Confirmation};
use clinic::maintenance::ports::{Applied, MaintenanceLedger};
use clinic::maintenance::{ReadingKind, Status};
use clinic_tests::{fresh_store, sdk_config, unique_table};

const CALENDAR_KEY: &str = "calendar/generic/maintenance.ics";

struct Setup {
    store: DynamoStore,
    s3: aws_sdk_s3::Client,
    bucket: String,
    job: MailIngest<DynamoStore>,
}

async fn setup(prefix: &str) -> Setup {
    let store = fresh_store(prefix).await;
    let sdk = sdk_config().await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    let bucket = unique_table(prefix)
        .as_str()
        .to_lowercase()
        .replace('_', "-");
    s3.create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("create bucket");
    let target = CalendarTarget {
        bucket: bucket.clone(),
        key: CALENDAR_KEY.to_owned(),
        options: FeedOptions {
            include_redundancy_only: false,
            uid_domain: clinic::mail::MailDomain::parse("clinic.example.org").unwrap(),
            circuits: None,
        },
    };
    let job = MailIngest::new(
        store.clone(),
        Arc::new(S3Objects::new(s3.clone())),
        target,
        10 << 20,
    );
    Setup {
        store,
        s3,
        bucket,
        job,
    }
}

/// A notice of a vendor no template knows, with its window ten days from now and no end time.
fn open_ended_notice(now: jiff::Timestamp) -> (Vec<u8>, i64) {
    let start = jiff::Timestamp::from_second(now.as_second() - now.as_second() % 3600).unwrap()
        + jiff::SignedDuration::from_hours(240);
    let raw = format!(
        "From: NOC <noc@ops.nordlicht-netz.de>\r\nTo: maintenance@clinic.example.org\r\n\
         Subject: Planned maintenance NLN-2027-0042\r\nDate: {date}\r\nMessage-ID: <nln-42@x>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Dear customer,\r\n\r\nPlanned Start Time: {start} UTC\r\nPlanned End Time: TBC\r\n\
         Circuit ID: NLN-HAM-0091\r\nImpact: outage of up to 20 minutes\r\n",
        date = now.strftime("%a, %d %b %Y %H:%M:%S +0000"),
        start = start.strftime("%d.%m.%Y %H:%M"),
    );
    (raw.into_bytes(), start.as_second())
}

#[tokio::test]
async fn a_generic_reading_is_unverified_on_the_review_list_until_one_confirm_corrects_it() {
    let s = setup("maint-confirm").await;
    let now = jiff::Timestamp::from_second(jiff::Timestamp::now().as_second()).unwrap();
    let (raw, start) = open_ended_notice(now);
    let size = raw.len();
    s.s3.put_object()
        .bucket(&s.bucket)
        .key("inbound/g1")
        .body(raw.into())
        .send()
        .await
        .expect("put mail");
    let report = s
        .job
        .run(clinic_tests::s3_event(&s.bucket, "inbound/g1", size))
        .await
        .expect("ingest");
    assert!(
        matches!(&report.objects[0].outcome, ObjectOutcome::Parsed { maintenances } if maintenances.len() == 1),
        "{report:?}"
    );
    let before = s
        .store
        .maintenance("nordlicht-netz", "NLN-2027-0042")
        .await
        .unwrap()
        .expect("stored under the sender's organisation");
    assert_eq!(before.reading, ReadingKind::Generic);
    assert!(before.open_ended && before.unverified());
    assert_eq!((before.start, before.end), (start, start));

    let reviews = s.store.reviews().await.unwrap();
    let review = review_id_of(&before.source);
    let item = reviews
        .iter()
        .find(|r| r.id == review)
        .expect("its mail is on the review list");
    assert!(item.reason.contains("generic reading"), "{}", item.reason);
    assert!(item.reason.contains("nordlicht-netz/NLN-2027-0042"));

    let calendar = String::from_utf8(
        s.s3.get_object()
            .bucket(&s.bucket)
            .key(CALENDAR_KEY)
            .send()
            .await
            .expect("calendar")
            .body
            .collect()
            .await
            .unwrap()
            .into_bytes()
            .to_vec(),
    )
    .unwrap()
    .replace("\r\n ", "");
    assert!(
        calendar
            .contains("SUMMARY:[unverified] nordlicht-netz: NLN-HAM-0091 (OUTAGE\\, open-ended)"),
        "{calendar}"
    );
    assert!(calendar.contains("X-CLINIC-OPEN-ENDED:TRUE"));

    // The person corrects the window (the end the mail left open) and says it was rescheduled.
    let (new_start, new_end) = (start + 86_400, start + 86_400 + 4 * 3600);
    let at = now + jiff::SignedDuration::from_secs(5);
    let confirmation = Confirmation::new(
        Acknowledgement {
            by: "cli:akaur".into(),
            at,
            note: "called their NOC".into(),
        },
        Some((new_start, new_end)),
        Some(Status::ReScheduled),
    )
    .unwrap();
    let audit = |subject: &str| {
        AuditEntry::new(
            at,
            "cli:akaur",
            "maintenance.confirm",
            subject,
            confirmation.describe(),
            "test",
        )
    };
    assert!(
        !s.store
            .confirm(
                "nordlicht-netz",
                "NLN-404",
                &confirmation,
                &audit("maintenance/nordlicht-netz/NLN-404")
            )
            .await
            .unwrap(),
        "no such maintenance: nothing written"
    );
    assert!(
        s.store
            .confirm(
                "nordlicht-netz",
                "NLN-2027-0042",
                &confirmation,
                &audit("maintenance/nordlicht-netz/NLN-2027-0042")
            )
            .await
            .unwrap()
    );
    let after = s
        .store
        .maintenance("nordlicht-netz", "NLN-2027-0042")
        .await
        .unwrap()
        .expect("stored");
    assert_eq!((after.start, after.end), (new_start, new_end));
    assert!(!after.open_ended && !after.unverified());
    assert_eq!(after.status, Status::ReScheduled);
    assert_eq!(
        after.confirmed.as_ref().map(|c| c.by.as_str()),
        Some("cli:akaur")
    );
    // The calendar index moved with the start: a range holding only the new window finds it.
    let found = s
        .store
        .maintenances_between(
            jiff::Timestamp::from_second(new_start).unwrap(),
            jiff::Timestamp::from_second(new_end).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    let entries = s
        .store
        .list(
            at.to_zoned(jiff::tz::TimeZone::UTC).date(),
            at.to_zoned(jiff::tz::TimeZone::UTC).date(),
            100,
        )
        .await
        .unwrap();
    assert!(
        entries.iter().any(|e| e.action == "maintenance.confirm"
            && e.subject == "maintenance/nordlicht-netz/NLN-2027-0042"
            && e.why.contains("status RE-SCHEDULED")),
        "{entries:?}"
    );

    // A notice judged against the record before the confirmation must not wipe it out.
    let mut racing = before.clone();
    racing.stamp += 60;
    assert_eq!(
        s.store
            .write_maintenance(&racing, &audit("maintenance/nordlicht-netz/NLN-2027-0042"))
            .await
            .unwrap(),
        Applied::Conflict
    );
}
