//! The ingest against in-memory ports: the review marker written before the parse and replaced after
//! it, the attempts counted across parses that never finished, and exactly-once delivery kept.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use async_trait::async_trait;
use aws_lambda_events::s3::S3Event;

use super::*;
use crate::maintenance::lifecycle::MaintenanceRecord;
use crate::maintenance::ports::RawMail;
use crate::maintenance::{Circuit, Impact, Maintenance, NoticeError, Status};

#[test]
fn event_keys_are_url_decoded() {
    assert_eq!(decode_key("inbound/a+b%2Fc%3D.eml"), "inbound/a b/c=.eml");
    assert_eq!(decode_key("bad%zz%"), "bad%zz%");
    assert_eq!(decode_key("x%4"), "x%4");
}

#[test]
fn an_escape_ending_the_key_is_decoded() {
    assert_eq!(decode_key("inbound/mail%2Eeml"), "inbound/mail.eml");
    assert_eq!(decode_key("inbound/a%3D"), "inbound/a=");
}

#[test]
fn raw_separators_in_a_key_are_kept_as_they_are() {
    assert_eq!(decode_key("inbound/a=b&c+d%26e="), "inbound/a=b&c d&e=");
    assert_eq!(decode_key("&&=="), "&&==");
}

/// A review item as the table holds it: on the list or not, and a marker's attempts.
#[derive(Debug, Clone, PartialEq)]
struct StoredReview {
    item: ReviewItem,
    on_list: bool,
    attempts: Option<u32>,
}

#[derive(Debug, Default, Clone, PartialEq)]
struct Tables {
    reviews: HashMap<String, StoredReview>,
    maintenances: HashMap<(String, String), MaintenanceRecord>,
    done: HashMap<(String, String), String>,
    audit: Vec<String>,
}

/// The table in memory, shared by clones (the job owns one, the test reads another).
#[derive(Clone, Default)]
struct MemoryStore(Arc<Mutex<Tables>>);

impl MemoryStore {
    fn tables(&self) -> Tables {
        self.0.lock().unwrap().clone()
    }

    fn on_list(&self) -> Vec<ReviewItem> {
        let tables = self.0.lock().unwrap();
        tables
            .reviews
            .values()
            .filter(|r| r.on_list)
            .map(|r| r.item.clone())
            .collect()
    }
}

#[async_trait]
impl MaintenanceLedger for MemoryStore {
    async fn maintenance(
        &self,
        provider: &str,
        id: &str,
    ) -> Result<Option<MaintenanceRecord>, StoreError> {
        let tables = self.0.lock().unwrap();
        Ok(tables
            .maintenances
            .get(&(provider.to_owned(), id.to_owned()))
            .cloned())
    }
    async fn write_maintenance(
        &self,
        record: &MaintenanceRecord,
        audit: &AuditEntry,
    ) -> Result<Applied, StoreError> {
        let mut tables = self.0.lock().unwrap();
        tables.maintenances.insert(
            (record.provider.clone(), record.maintenance_id.clone()),
            record.clone(),
        );
        tables.audit.push(audit.action.clone());
        Ok(Applied::Written)
    }
    async fn acknowledge(
        &self,
        provider: &str,
        id: &str,
        ack: &crate::maintenance::lifecycle::Acknowledgement,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        let mut tables = self.0.lock().unwrap();
        let Some(record) = tables
            .maintenances
            .get_mut(&(provider.to_owned(), id.to_owned()))
        else {
            return Ok(false);
        };
        record.acknowledged = Some(ack.clone());
        tables.audit.push(audit.action.clone());
        Ok(true)
    }
    async fn confirm(
        &self,
        provider: &str,
        id: &str,
        confirmation: &crate::maintenance::lifecycle::Confirmation,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        let mut tables = self.0.lock().unwrap();
        let Some(record) = tables
            .maintenances
            .get_mut(&(provider.to_owned(), id.to_owned()))
        else {
            return Ok(false);
        };
        record.confirmed = Some(confirmation.by.clone());
        if let Some((start, end)) = confirmation.window {
            (record.start, record.end, record.open_ended) = (start, end, false);
        }
        if let Some(status) = confirmation.status {
            record.status = status;
        }
        tables.audit.push(audit.action.clone());
        Ok(true)
    }
    async fn maintenances_between(
        &self,
        _from: jiff::Timestamp,
        _to: jiff::Timestamp,
    ) -> Result<Vec<MaintenanceRecord>, StoreError> {
        Ok(self
            .0
            .lock()
            .unwrap()
            .maintenances
            .values()
            .cloned()
            .collect())
    }
    async fn add_review(&self, item: &ReviewItem, audit: &AuditEntry) -> Result<(), StoreError> {
        let mut tables = self.0.lock().unwrap();
        tables.reviews.insert(
            item.id.clone(),
            StoredReview {
                item: item.clone(),
                on_list: true,
                attempts: None,
            },
        );
        tables.audit.push(audit.action.clone());
        Ok(())
    }
    async fn reviews(&self) -> Result<Vec<ReviewItem>, StoreError> {
        Ok(self.on_list())
    }
    async fn review_done(&self, id: &str, _audit: &AuditEntry) -> Result<bool, StoreError> {
        let mut tables = self.0.lock().unwrap();
        Ok(tables.reviews.get_mut(id).is_some_and(|r| {
            let was = r.on_list;
            r.on_list = false;
            was
        }))
    }
    async fn parse_started(&self, item: &ReviewItem) -> Result<u32, StoreError> {
        let mut tables = self.0.lock().unwrap();
        let before = tables
            .reviews
            .get(&item.id)
            .and_then(|r| r.attempts)
            .unwrap_or(0);
        tables.reviews.insert(
            item.id.clone(),
            StoredReview {
                item: item.clone(),
                on_list: true,
                attempts: Some(before + 1),
            },
        );
        Ok(before + 1)
    }
    async fn parse_finished(&self, id: &str, _now: jiff::Timestamp) -> Result<(), StoreError> {
        let mut tables = self.0.lock().unwrap();
        if tables.reviews.get(id).is_some_and(|r| r.attempts.is_some()) {
            tables.reviews.remove(id);
        }
        Ok(())
    }
}

#[async_trait]
impl IdempotencyStore for MemoryStore {
    async fn begin(
        &self,
        scope: &str,
        key: &str,
        _now: jiff::Timestamp,
    ) -> Result<Begin, StoreError> {
        let tables = self.0.lock().unwrap();
        Ok(match tables.done.get(&(scope.to_owned(), key.to_owned())) {
            Some(outcome) => Begin::Done(outcome.clone()),
            None => Begin::Fresh,
        })
    }
    async fn complete(
        &self,
        scope: &str,
        key: &str,
        outcome: &str,
        _now: jiff::Timestamp,
    ) -> Result<(), StoreError> {
        let mut tables = self.0.lock().unwrap();
        tables
            .done
            .insert((scope.to_owned(), key.to_owned()), outcome.to_owned());
        Ok(())
    }
}

#[async_trait]
impl AuditLog for MemoryStore {
    async fn record(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        self.0.lock().unwrap().audit.push(entry.action.clone());
        Ok(())
    }
    async fn list(
        &self,
        _from: jiff::civil::Date,
        _to: jiff::civil::Date,
        _limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        Ok(Vec::new())
    }
}

/// One mail object and the calendar, in memory.
#[derive(Default)]
struct MemoryObjects {
    mail: Vec<u8>,
    published: Mutex<usize>,
}

#[async_trait]
impl MailObjects for MemoryObjects {
    async fn fetch(&self, _bucket: &str, _key: &str, _limit: u64) -> Result<RawMail, ObjectError> {
        Ok(RawMail {
            bytes: self.mail.clone(),
            size: self.mail.len() as u64,
        })
    }
    async fn publish(
        &self,
        _bucket: &str,
        _key: &str,
        _body: Vec<u8>,
        _content_type: &str,
    ) -> Result<(), ObjectError> {
        *self.published.lock().unwrap() += 1;
        Ok(())
    }
}

const MAIL: &[u8] = b"From: NOC <noc@harbour.example>\r\nSubject: Planned work\r\nMessage-ID: <m1@harbour.example>\r\n\r\nwork\r\n";

fn job(store: &MemoryStore, parse: Parser) -> MailIngest<MemoryStore> {
    let objects = Arc::new(MemoryObjects {
        mail: MAIL.to_vec(),
        ..MemoryObjects::default()
    });
    let calendar = CalendarTarget {
        bucket: "calendar".into(),
        key: "feed.ics".into(),
        options: crate::maintenance::calendar_feed::FeedOptions {
            include_redundancy_only: false,
            uid_domain: crate::mail::MailDomain::parse("clinic.example.org").unwrap(),
            circuits: None,
        },
    };
    MailIngest::new(store.clone(), objects, calendar, 10 << 20).with_parser(parse)
}

fn event() -> S3Event {
    serde_json::from_value(serde_json::json!({
        "Records": [{
            "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
            "eventTime": "2027-01-05T14:03:11.977Z", "eventName": "ObjectCreated:Put",
            "userIdentity": {"principalId": "AWS:ses"}, "requestParameters": {"sourceIPAddress": "127.0.0.1"},
            "responseElements": {"x-amz-request-id": "req-1", "x-amz-id-2": "x"},
            "s3": {"s3SchemaVersion": "1.0", "configurationId": "inbound",
                   "bucket": {"name": "inbound", "ownerIdentity": {"principalId": "o"}, "arn": "arn:aws:s3:::inbound"},
                   "object": {"key": "mail/m1", "size": MAIL.len(), "eTag": "e", "sequencer": "1"}}
        }]
    }))
    .expect("an S3 event")
}

fn one_maintenance(_raw: &[u8]) -> Result<Vec<Maintenance>, NoticeError> {
    Ok(vec![Maintenance {
        account: "ACC".into(),
        circuits: vec![Circuit::new("C-1", Impact::Outage)],
        end: 1_900_003_600,
        maintenance_id: "HT-1".into(),
        open_ended: false,
        reading: crate::maintenance::ReadingKind::Template,
        organizer: "noc@harbour.example".into(),
        provider: "harbour".into(),
        sequence: 1,
        stamp: 1_800_000_000,
        start: 1_900_000_000,
        status: Status::Confirmed,
        summary: "work".into(),
        uid: "u1".into(),
    }])
}

async fn outcome(job: &MailIngest<MemoryStore>) -> ObjectOutcome {
    job.run(event()).await.expect("ingest").objects[0]
        .outcome
        .clone()
}

#[tokio::test]
async fn a_good_mail_leaves_no_review_item_and_a_repeat_changes_nothing() {
    let store = MemoryStore::default();
    let job = job(&store, one_maintenance);
    assert!(matches!(outcome(&job).await, ObjectOutcome::Parsed { .. }));
    let after = store.tables();
    assert!(after.reviews.is_empty(), "{:?}", after.reviews);
    assert_eq!(after.maintenances.len(), 1);
    assert_eq!(outcome(&job).await, ObjectOutcome::AlreadyHandled);
    assert_eq!(store.tables(), after);
}

/// The store the next parser looks at while it runs (a parser is a plain function).
static WATCHED: LazyLock<Mutex<Option<MemoryStore>>> = LazyLock::new(Mutex::default);
static SEEN_DURING_PARSE: LazyLock<Mutex<Vec<ReviewItem>>> = LazyLock::new(Mutex::default);

fn watching_parser(raw: &[u8]) -> Result<Vec<Maintenance>, NoticeError> {
    if let Some(store) = WATCHED.lock().unwrap().as_ref() {
        *SEEN_DURING_PARSE.lock().unwrap() = store.on_list();
    }
    one_maintenance(raw)
}

#[tokio::test]
async fn while_the_mail_is_parsed_it_is_on_the_review_list_with_its_reason() {
    let store = MemoryStore::default();
    *WATCHED.lock().unwrap() = Some(store.clone());
    let job = job(&store, watching_parser);
    outcome(&job).await;
    let seen = SEEN_DURING_PARSE.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].reason, PARSE_UNFINISHED);
    assert_eq!(seen[0].key, "mail/m1");
    assert_eq!(seen[0].message_id.as_deref(), Some("m1@harbour.example"));
    assert_eq!(seen[0].from.as_deref(), Some("noc@harbour.example"));
    // Had the process died there, that item would have stayed; it finished, so none is left.
    assert!(store.on_list().is_empty());
}

fn panicking_parser(_raw: &[u8]) -> Result<Vec<Maintenance>, NoticeError> {
    panic!("a parser bug");
}

#[tokio::test]
async fn a_parse_that_panics_leaves_a_review_item_and_answers_success() {
    let store = MemoryStore::default();
    let job = job(&store, panicking_parser);
    let first = outcome(&job).await;
    assert!(
        matches!(&first, ObjectOutcome::NeedsReview { reason } if reason.contains("panicked")),
        "{first:?}"
    );
    let listed = store.on_list();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].reason.contains("panicked"));
    assert_eq!(outcome(&job).await, ObjectOutcome::AlreadyHandled);
}

fn unreadable(_raw: &[u8]) -> Result<Vec<Maintenance>, NoticeError> {
    Err(NoticeError::NotAnEmail { reason: "test" })
}

#[tokio::test]
async fn a_mail_that_cannot_be_parsed_replaces_the_marker_with_its_reason() {
    let store = MemoryStore::default();
    let job = job(&store, unreadable);
    outcome(&job).await;
    let tables = store.tables();
    assert_eq!(tables.reviews.len(), 1);
    let stored = tables.reviews.values().next().unwrap();
    assert!(stored.item.reason.contains("not an e-mail"), "{stored:?}");
    assert_eq!(stored.attempts, None, "no longer a marker");
}

#[tokio::test]
async fn after_two_parses_that_never_finished_the_third_try_keeps_the_mail_for_review_unparsed() {
    let store = MemoryStore::default();
    // Two tries that died while parsing (aborted, killed for memory) left their marker behind.
    let marker = ReviewItem {
        id: review_id("s3://inbound/mail/m1"),
        received_at: jiff::Timestamp::UNIX_EPOCH,
        reason: PARSE_UNFINISHED.to_owned(),
        bucket: "inbound".into(),
        key: "mail/m1".into(),
        message_id: None,
        from: None,
        subject: None,
        size: MAIL.len() as u64,
    };
    for _ in 0..MAX_PARSE_ATTEMPTS {
        store.parse_started(&marker).await.unwrap();
    }
    assert_eq!(store.on_list()[0].reason, PARSE_UNFINISHED);
    let job = job(&store, panicking_parser);
    let third = outcome(&job).await;
    assert!(
        matches!(&third, ObjectOutcome::NeedsReview { reason } if reason.contains("2 parses of it did not finish")),
        "{third:?}"
    );
    assert_eq!(store.on_list().len(), 1);
    assert_eq!(outcome(&job).await, ObjectOutcome::AlreadyHandled);
}
