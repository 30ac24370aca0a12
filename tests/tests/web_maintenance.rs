//! The *maintenance* page's one click on the local stack: a mail no template reads is ingested into
//! an unverified maintenance, a person signs in through the mailed link, sees it on /maintenance and
//! confirms it with one POST; the record is confirmed in their name, audited, off the review list.
//! A POST without its CSRF token, one without a session, a malformed or unknown name and a second
//! click each write nothing.

use std::sync::Arc;

use clinic::adapters::dynamo::DynamoStore;
use clinic::adapters::s3::S3Objects;
use clinic::audit::{AuditEntry, AuditLog};
use clinic::functions::http::Routes;
use clinic::functions::web::WebPages;
use clinic::http_url::HttpUrl;
use clinic::mail::{EmailAddress, Mailbox};
use clinic::maintenance::calendar_feed::FeedOptions;
use clinic::maintenance::ingest::{CalendarTarget, MailIngest, review_id_of};
use clinic::maintenance::lifecycle::{Acknowledgement, Confirmation};
use clinic::maintenance::ports::MaintenanceLedger;
use clinic::rotation::ports::RosterMirror;
use clinic::rotation::roster::Roster;
use clinic::signin::SignIn;
use clinic::signin::token::SigningKey;
use clinic_tests::web_browser::{Browser, csrf};
use clinic_tests::{
    fresh_store, repo_root, sdk_config, table_items, unique_table, verified_sender,
};

const SENDER: &str = "clinic-web@example.net";
const KEY: &str = "web-tests-signing-key-0123456789abcdef";
const BASE: &str = "https://clinic.example.org";
const PROVIDER: &str = "nordlicht-netz";
const ID: &str = "NLN-2027-0042";

fn at(epoch: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_second(epoch).unwrap()
}

struct World {
    store: DynamoStore,
    routes: Routes,
    domain: String,
    s3: aws_sdk_s3::Client,
    bucket: String,
    ingest: MailIngest<DynamoStore>,
}

/// A table with the demo roster (on a mail domain of the test's own), a bucket for the mail, the
/// maintenance-mail job and the pages over them.
async fn world(prefix: &str) -> World {
    let store = fresh_store(prefix).await;
    let domain = format!("{}.example.net", store.table().as_str().to_lowercase());
    let text = std::fs::read_to_string(repo_root().join("events/roster.toml")).unwrap();
    let roster = Roster::parse(&text.replace("@example.net", &format!("@{domain}"))).unwrap();
    let setup = AuditEntry::new(at(1_700_000_000), "test", "setup", "setup", "setup", "test");
    store.mirror_roster(&roster, &setup).await.unwrap();
    verified_sender(SENDER).await;
    let sdk = sdk_config().await;
    let shared = Arc::new(store.clone());
    let signin = SignIn {
        key: SigningKey::parse(KEY).unwrap(),
        ledger: shared.clone(),
        people: shared.clone(),
        mailer: Arc::new(clinic::adapters::ses::SesMailer::new(
            aws_sdk_sesv2::Client::new(&sdk),
        )),
        nonces: Arc::new(clinic::adapters::random::OsNonces),
        sender: Mailbox::new("Clinic", EmailAddress::parse(SENDER).unwrap()),
        base_url: HttpUrl::parse(BASE).unwrap(),
    };
    let routes = Arc::new(WebPages::new(signin, shared.clone(), shared)).routes();
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
        key: "calendar/maintenance.ics".to_owned(),
        options: FeedOptions {
            include_redundancy_only: false,
            uid_domain: clinic::mail::MailDomain::parse("clinic.example.org").unwrap(),
            circuits: None,
        },
    };
    let ingest = MailIngest::new(
        store.clone(),
        Arc::new(S3Objects::new(s3.clone())),
        target,
        10 << 20,
    );
    World {
        store,
        routes,
        domain,
        s3,
        bucket,
        ingest,
    }
}

impl World {
    /// Puts a notice of a vendor no template knows, its window ten days on and no end, in the bucket
    /// and runs the maintenance-mail job on it, as SES and S3 would.
    async fn a_generic_notice_arrives(&self, now: jiff::Timestamp) -> i64 {
        let start = at(now.as_second() - now.as_second() % 3600 + 240 * 3600);
        let raw = format!(
            "From: NOC <noc@ops.nordlicht-netz.de>\r\nTo: maintenance@clinic.example.org\r\n\
             Subject: Planned maintenance {ID}\r\nDate: {date}\r\nMessage-ID: <nln-42@x>\r\n\
             MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
             Dear customer,\r\n\r\nPlanned Start Time: {start} UTC\r\nPlanned End Time: TBC\r\n\
             Circuit ID: NLN-HAM-0091\r\nImpact: outage of up to 20 minutes\r\n",
            date = now.strftime("%a, %d %b %Y %H:%M:%S +0000"),
            start = start.strftime("%d.%m.%Y %H:%M"),
        );
        let size = raw.len();
        self.s3
            .put_object()
            .bucket(&self.bucket)
            .key("inbound/nln-42")
            .body(raw.into_bytes().into())
            .send()
            .await
            .expect("put mail");
        let event = serde_json::from_value(serde_json::json!({
            "Records": [{
                "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
                "eventTime": "2027-01-05T14:03:11.977Z", "eventName": "ObjectCreated:Put",
                "userIdentity": {"principalId": "AWS:ses"}, "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                "responseElements": {"x-amz-request-id": "req-nln-42", "x-amz-id-2": "x"},
                "s3": {"s3SchemaVersion": "1.0", "configurationId": "inbound",
                       "bucket": {"name": self.bucket, "ownerIdentity": {"principalId": "o"}, "arn": format!("arn:aws:s3:::{}", self.bucket)},
                       "object": {"key": "inbound/nln-42", "size": size, "eTag": "e", "sequencer": "1"}}
            }]
        }))
        .expect("a valid S3 event");
        self.ingest.run(event).await.expect("ingest");
        start.as_second()
    }
}

#[tokio::test]
async fn a_signed_in_person_confirms_a_generic_reading_with_one_click_and_a_second_click_writes_nothing()
 {
    let world = world("web-maint").await;
    let now = jiff::Timestamp::now().as_second();
    let start = world.a_generic_notice_arrives(at(now)).await;
    let before = world
        .store
        .maintenance(PROVIDER, ID)
        .await
        .unwrap()
        .expect("stored");
    assert!(before.unverified() && before.open_ended, "{before:?}");
    let review = review_id_of(&before.source);
    assert!(
        world
            .store
            .reviews()
            .await
            .unwrap()
            .iter()
            .any(|r| r.id == review)
    );

    let mut browser = Browser::new(&world.routes, "192.0.2.44");
    let anonymous = browser.get_at("/maintenance", now).await;
    assert_eq!(
        (anonymous.status, anonymous.location.as_deref()),
        (303, Some("/signin"))
    );
    let address = format!("akaur@{}", world.domain);
    browser.sign_in(&address, now).await;

    let page = browser.get_at("/maintenance", now + 10).await;
    assert_eq!(page.status, 200, "{}", page.body);
    // Asha reads times in her roster zone, Europe/London (GMT in winter, BST in summer).
    let window = at(start)
        .to_zoned(jiff::tz::TimeZone::get("Europe/London").unwrap())
        .strftime("%A %-d %B %Y, %H:%M %Z")
        .to_string();
    for expected in [
        "<main id=\"main\">",
        "<a href=\"/maintenance\">Maintenance</a>",
        "<h2 id=\"m-",
        "<dt>Provider</dt><dd>nordlicht-netz</dd>",
        "<dt>Id</dt><dd>NLN-2027-0042</dd>",
        &format!(
            "from <time datetime=\"{}\">{window}</time>, end not given",
            at(start)
        ),
        "NLN-HAM-0091 (OUTAGE)",
        "action=\"/maintenance/confirm\"",
        "name=\"maintenance\" value=\"nordlicht-netz/NLN-2027-0042\"",
        "Confirm as read",
        "No other mail waits for review.",
    ] {
        assert!(
            page.body.contains(expected),
            "{expected:?} missing from {}",
            page.body
        );
    }
    let token = csrf(&page.body);
    let named = format!("{PROVIDER}/{ID}");
    let untouched = table_items(&world.store).await;

    // Refused before anything is written: no CSRF token, a forged one, no session.
    for fields in [
        vec![("maintenance", named.as_str())],
        vec![("maintenance", &named), ("csrf", "forged")],
    ] {
        let refused = browser
            .post_at("/maintenance/confirm", &fields, now + 20)
            .await;
        assert_eq!(refused.status, 403, "{}", refused.body);
    }
    let mut stranger = Browser::new(&world.routes, "192.0.2.44");
    let refused = stranger
        .post_at(
            "/maintenance/confirm",
            &[("maintenance", &named), ("csrf", &token)],
            now + 20,
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(refused.body.contains("Sign in first"), "{}", refused.body);
    // A malformed name and an unknown maintenance: a clear 400, nothing written.
    for (name, says) in [
        ("no slash here", "not a maintenance"),
        (
            "nordlicht-netz/NLN-404",
            "No stored maintenance is nordlicht-netz/NLN-404",
        ),
    ] {
        let bad = browser
            .post_at(
                "/maintenance/confirm",
                &[("maintenance", name), ("csrf", &token)],
                now + 25,
            )
            .await;
        assert_eq!(bad.status, 400, "{}", bad.body);
        assert!(
            bad.body.contains(says),
            "{says:?} missing from {}",
            bad.body
        );
    }
    assert_eq!(
        table_items(&world.store).await,
        untouched,
        "a refused POST wrote to the table"
    );

    // The one click.
    let clicked = browser
        .post_at(
            "/maintenance/confirm",
            &[("maintenance", &named), ("csrf", &token)],
            now + 30,
        )
        .await;
    assert_eq!(clicked.status, 303, "{}", clicked.body);
    let location = clicked.location.expect("a redirect");
    assert_eq!(
        location,
        "/maintenance?confirmed=nordlicht-netz%2FNLN-2027-0042"
    );
    let after = world
        .store
        .maintenance(PROVIDER, ID)
        .await
        .unwrap()
        .expect("stored");
    assert!(!after.unverified(), "{after:?}");
    let confirmed = after.confirmed.as_ref().expect("confirmed");
    assert_eq!(
        (confirmed.by.as_str(), confirmed.at),
        ("web:akaur", at(now + 30))
    );
    assert_eq!(
        (after.start, after.end, after.open_ended),
        (start, start, true),
        "nothing corrected"
    );
    assert!(
        !world
            .store
            .reviews()
            .await
            .unwrap()
            .iter()
            .any(|r| r.id == review),
        "its mail is still on the review list"
    );
    let day = at(now + 30).to_zoned(jiff::tz::TimeZone::UTC).date();
    let entries = world.store.list(day, day, 100).await.unwrap();
    let confirms: Vec<_> = entries
        .iter()
        .filter(|e| e.action == "maintenance.confirm")
        .collect();
    assert_eq!(confirms.len(), 1, "{entries:?}");
    assert_eq!(confirms[0].actor, "web:akaur");
    assert_eq!(
        confirms[0].subject,
        "maintenance/nordlicht-netz/NLN-2027-0042"
    );
    assert_eq!(confirms[0].why, "confirmed as read");
    assert!(confirms[0].cause.starts_with("web:"));
    assert!(entries.iter().any(|e| e.action == "maintenance.reviewed"
        && e.actor == "web:akaur"
        && e.subject == format!("review/{review}")));

    let shown = browser.get_at(&location, now + 31).await;
    assert_eq!(shown.status, 200);
    assert!(
        shown
            .body
            .contains("Maintenance nordlicht-netz/NLN-2027-0042 is confirmed as read"),
        "{}",
        shown.body
    );
    assert!(shown.body.contains("Nothing to confirm."), "{}", shown.body);

    // A second click (a stale tab, a double press) says so and writes nothing more.
    let confirmed_state = table_items(&world.store).await;
    let again = browser
        .post_at(
            "/maintenance/confirm",
            &[("maintenance", &named), ("csrf", &token)],
            now + 40,
        )
        .await;
    assert_eq!(
        (again.status, again.location.as_deref()),
        (
            303,
            Some("/maintenance?already=nordlicht-netz%2FNLN-2027-0042")
        )
    );
    assert_eq!(
        table_items(&world.store).await,
        confirmed_state,
        "the second click wrote"
    );
    // Two clicks racing past the read: the store's condition still lets only one write.
    let plain = Confirmation::new(
        Acknowledgement {
            by: "web:bmoreau".into(),
            at: at(now + 50),
            note: String::new(),
        },
        None,
        None,
    )
    .unwrap();
    let audit = AuditEntry::new(
        at(now + 50),
        "web:bmoreau",
        "maintenance.confirm",
        "m",
        "t",
        "t",
    );
    assert!(
        !world
            .store
            .confirm(PROVIDER, ID, &plain, &audit)
            .await
            .unwrap()
    );
    assert_eq!(
        table_items(&world.store).await,
        confirmed_state,
        "a racing confirm wrote"
    );
    let told = browser
        .get_at(again.location.as_deref().unwrap(), now + 41)
        .await;
    assert!(
        told.body.contains("was confirmed already: nothing changed"),
        "{}",
        told.body
    );
}
