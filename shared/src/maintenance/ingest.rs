//! The maintenance-mail job: SES stores each inbound mail in S3, the object's creation runs this; it
//! parses the notice, applies each maintenance to its lifecycle, regenerates the calendar, and keeps
//! anything it cannot parse as a review item (the raw object stays in S3). Nothing is lost: every
//! failure of a dependency is retryable, and a repeat of the same object or Message-ID changes nothing.

use std::sync::Arc;

use aws_lambda_events::s3::S3Event;
use serde::Serialize;
use tracing::{info, warn};

use super::calendar_feed::{FeedOptions, render};
use super::lifecycle::{NoticeSource, ReviewItem, Verdict, judge};
use super::ports::{Applied, MailObjects, MaintenanceLedger, ObjectError};
use crate::audit::{AuditEntry, AuditLog};
use crate::clock::Clock;
use crate::idempotency::{Begin, IdempotencyStore};
use crate::store::StoreError;

pub const ACTOR: &str = "maintenance-mail";

/// The reason a mail carries on the review list while it is being parsed: written before the parse,
/// replaced when the parse ends either way, so it only stays when the process died parsing it.
pub const PARSE_UNFINISHED: &str = "received; parsing did not finish (the process stopped while parsing \
     this mail: out of memory, aborted or timed out)";

/// Parses of one mail that may start without finishing before it is kept for review unparsed: Lambda
/// tries an event three times (infra/maintenance-mail.tf), so the third try answers success instead of
/// dying again and sending the event to the failure queue.
pub const MAX_PARSE_ATTEMPTS: u32 = 2;

/// What turns a raw mail into maintenances: [`super::parse_notice`], or a stand-in in tests.
pub type Parser = fn(&[u8]) -> Result<Vec<super::Maintenance>, super::NoticeError>;

/// SES writes this object when a receipt rule is created; it is not a mail.
pub const SES_SETUP_OBJECT: &str = "AMAZON_SES_SETUP_NOTIFICATION";

/// Where the calendar goes and what it shows.
#[derive(Debug, Clone)]
pub struct CalendarTarget {
    pub bucket: String,
    pub key: String,
    pub options: FeedOptions,
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("the event is not an S3 ObjectCreated notification: {0}")]
    NotAnS3Event(String),
    #[error(transparent)]
    Object(#[from] ObjectError),
    #[error("the table failed")]
    Store(#[from] StoreError),
    #[error(transparent)]
    OutageMail(#[from] super::outage_mail::OutageMailError),
}

impl IngestError {
    pub fn is_retryable(&self) -> bool {
        !matches!(self, Self::NotAnS3Event(_))
    }
}

/// What happened to one object.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "outcome")]
pub enum ObjectOutcome {
    SkippedSetupNotification,
    AlreadyHandled,
    NeedsReview {
        reason: String,
    },
    Parsed {
        maintenances: Vec<MaintenanceOutcome>,
    },
}

/// What a notice did to its maintenance's record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MaintenanceVerdict {
    /// The first notice of this maintenance.
    Created,
    /// A newer notice changed it.
    Updated,
    /// The same notice again: nothing changed.
    Duplicate,
    /// Older than the notice the record holds: ignored.
    Stale,
}

impl MaintenanceVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::Duplicate => "duplicate",
            Self::Stale => "stale",
        }
    }

    /// Whether the record changed (and the calendar must be written again).
    pub fn changed(self) -> bool {
        matches!(self, Self::Created | Self::Updated)
    }
}

impl std::fmt::Display for MaintenanceVerdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MaintenanceOutcome {
    pub provider: String,
    pub maintenance_id: String,
    pub verdict: MaintenanceVerdict,
    pub changes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObjectReport {
    pub bucket: String,
    pub key: String,
    #[serde(flatten)]
    pub outcome: ObjectOutcome,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IngestReport {
    pub objects: Vec<ObjectReport>,
    pub calendar_published: bool,
    /// The outages of redundancy groups the person on duty was told of (with a circuits file).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub outages: Vec<super::outage_mail::OutageNotice>,
}

impl IngestReport {
    pub fn summary(&self) -> String {
        let mut out = String::new();
        for o in &self.objects {
            let what = match &o.outcome {
                ObjectOutcome::SkippedSetupNotification => {
                    "SES setup notification, skipped".to_owned()
                }
                ObjectOutcome::AlreadyHandled => "already handled, nothing changed".to_owned(),
                ObjectOutcome::NeedsReview { reason } => format!("NEEDS REVIEW: {reason}"),
                ObjectOutcome::Parsed { maintenances } if maintenances.is_empty() => {
                    "recognised, announces nothing to track".to_owned()
                }
                ObjectOutcome::Parsed { maintenances } => maintenances
                    .iter()
                    .map(|m| {
                        format!(
                            "{} {} {} ({})",
                            m.provider,
                            m.maintenance_id,
                            m.verdict,
                            m.changes.join("; ")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n    "),
            };
            out.push_str(&format!("s3://{}/{}:\n    {what}\n", o.bucket, o.key));
        }
        out.push_str(if self.calendar_published {
            "calendar republished\n"
        } else {
            "calendar unchanged\n"
        });
        out
    }
}

fn unchanged(notice: &super::Maintenance, verdict: MaintenanceVerdict) -> MaintenanceOutcome {
    MaintenanceOutcome {
        provider: notice.provider.clone(),
        maintenance_id: notice.maintenance_id.clone(),
        verdict,
        changes: Vec::new(),
    }
}

/// The job, with its dependencies as ports.
pub struct MailIngest<S> {
    store: S,
    objects: Arc<dyn MailObjects>,
    calendar: CalendarTarget,
    max_bytes: u64,
    clock: Arc<dyn Clock>,
    parse: Parser,
    outage_mail: Option<super::outage_mail::OutageMail>,
}

/// How far back and ahead the calendar reaches.
const CALENDAR_PAST_DAYS: i64 = 60;
const CALENDAR_FUTURE_DAYS: i64 = 730;

/// A review item's id: one per mail object, so the marker of a parse and the item that replaces it
/// are the same item, and a later parse of the same object finds both.
/// The review item of the mail a maintenance's latest notice came from (where a generic reading waits
/// for its confirmation).
pub fn review_id_of(source: &NoticeSource) -> String {
    review_id(&format!("s3://{}/{}", source.bucket, source.key))
}

fn review_id(object_key: &str) -> String {
    use sha2::Digest as _;
    hex::encode(&sha2::Sha256::digest(object_key.as_bytes())[..12])
}

/// Decodes an S3 event key: form-URL-encoded, with '+' for spaces.
///
/// `form_urlencoded` reads '&' and '=' as separators, so the key is cut at those literal
/// characters first and only the pieces between them are decoded: a key that holds them
/// raw keeps them.
pub fn decode_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for piece in key.split_inclusive(['&', '=']) {
        let (encoded, separator) = match piece.strip_suffix(['&', '=']) {
            Some(encoded) => (encoded, &piece[encoded.len()..]),
            None => (piece, ""),
        };
        if let Some((decoded, _)) = form_urlencoded::parse(encoded.as_bytes()).next() {
            out.push_str(&decoded);
        }
        out.push_str(separator);
    }
    out
}

#[derive(Clone)]
struct Headers {
    message_id: Option<String>,
    from: Option<String>,
    subject: Option<String>,
}

fn headers(raw: &[u8]) -> Headers {
    // Header sections over the limit are not read (the parse then says which limit they passed).
    let within =
        super::structure::header_section_len(raw) as u64 <= super::limits::HEADER_BYTES.max;
    let parsed = within
        .then(|| mail_parser::MessageParser::default().parse_headers(raw))
        .flatten();
    let Some(message) = parsed else {
        return Headers {
            message_id: None,
            from: None,
            subject: None,
        };
    };
    let from = message
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .map(str::to_owned);
    Headers {
        message_id: message
            .message_id()
            .map(|id| id.trim().to_owned())
            .filter(|id| !id.is_empty()),
        from,
        subject: message.subject().map(str::to_owned),
    }
}

impl<S> MailIngest<S>
where
    S: MaintenanceLedger + IdempotencyStore + AuditLog,
{
    pub fn new(
        store: S,
        objects: Arc<dyn MailObjects>,
        calendar: CalendarTarget,
        max_bytes: u64,
    ) -> Self {
        Self {
            store,
            objects,
            calendar,
            max_bytes,
            clock: crate::clock::system(),
            parse: super::parse_notice,
            outage_mail: None,
        }
    }

    /// Tells the person on duty of each outage the calendar's circuits file reveals.
    pub fn with_outage_mail(mut self, mail: super::outage_mail::OutageMail) -> Self {
        self.outage_mail = Some(mail);
        self
    }

    /// Parses mail with `parse` instead of [`super::parse_notice`] (tests: a parser that panics or
    /// aborts).
    pub fn with_parser(mut self, parse: Parser) -> Self {
        self.parse = parse;
        self
    }

    /// Reads "now" from `clock` instead of the system's.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Handles an S3 event (one or more ObjectCreated records).
    pub async fn run(&self, event: S3Event) -> Result<IngestReport, IngestError> {
        if event.records.is_empty() {
            return Err(IngestError::NotAnS3Event("it has no records".into()));
        }
        let mut objects = Vec::new();
        let mut changed = false;
        for record in &event.records {
            let bucket = record
                .s3
                .bucket
                .name
                .clone()
                .ok_or_else(|| IngestError::NotAnS3Event("no bucket".into()))?;
            let key = record
                .s3
                .object
                .key
                .as_deref()
                .map(decode_key)
                .ok_or_else(|| IngestError::NotAnS3Event("no key".into()))?;
            let size = record.s3.object.size.unwrap_or_default().max(0) as u64;
            let cause = record
                .response_elements
                .get("x-amz-request-id")
                .cloned()
                .unwrap_or_else(|| format!("s3://{bucket}/{key}"));
            let outcome = self.ingest_object(&bucket, &key, size, &cause).await?;
            if let ObjectOutcome::Parsed { maintenances } = &outcome {
                changed |= maintenances.iter().any(|m| m.verdict.changed());
            }
            objects.push(ObjectReport {
                bucket,
                key,
                outcome,
            });
        }
        // The outages are looked at on every run, not only when a record changed: a run whose mail
        // failed is retried with its objects already handled, and must still send it.
        let alerts = self
            .outage_mail
            .as_ref()
            .zip(self.calendar.options.circuits.as_ref());
        let records = if changed || alerts.is_some() {
            self.calendar_records().await?
        } else {
            Vec::new()
        };
        if changed {
            self.publish_calendar_of(&records).await?;
        }
        let outages = match alerts {
            Some((mail, circuits)) => {
                let cause = objects
                    .first()
                    .map(|o| format!("s3://{}/{}", o.bucket, o.key))
                    .unwrap_or_default();
                mail.notify(&records, circuits, self.clock.now(), &cause)
                    .await?
            }
            None => Vec::new(),
        };
        Ok(IngestReport {
            objects,
            calendar_published: changed,
            outages,
        })
    }

    async fn ingest_object(
        &self,
        bucket: &str,
        key: &str,
        size: u64,
        cause: &str,
    ) -> Result<ObjectOutcome, IngestError> {
        if key.rsplit('/').next() == Some(SES_SETUP_OBJECT) {
            return Ok(ObjectOutcome::SkippedSetupNotification);
        }
        let now = self.clock.now();
        let object_key = format!("s3://{bucket}/{key}");
        if let Begin::Done(_) = self.store.begin("mail-object", &object_key, now).await? {
            return Ok(ObjectOutcome::AlreadyHandled);
        }
        let source = NoticeSource {
            message_id: None,
            bucket: bucket.to_owned(),
            key: key.to_owned(),
        };
        if size > self.max_bytes {
            let reason = format!(
                "the mail is {size} bytes, over the {}-byte limit; it was not parsed",
                self.max_bytes
            );
            return self
                .review(source, None, size, reason, cause, &object_key)
                .await;
        }
        let raw = self.objects.fetch(bucket, key, self.max_bytes).await?;
        if raw.size > self.max_bytes {
            let reason = format!(
                "the mail is {} bytes, over the {}-byte limit; it was not parsed",
                raw.size, self.max_bytes
            );
            return self
                .review(source, None, raw.size, reason, cause, &object_key)
                .await;
        }
        let head = headers(&raw.bytes);
        let source = NoticeSource {
            message_id: head.message_id.clone(),
            ..source
        };
        if let Some(id) = &head.message_id
            && let Begin::Done(_) = self.store.begin("mail-message", id, now).await?
        {
            self.store
                .complete(
                    "mail-object",
                    &object_key,
                    "same Message-ID as an earlier mail",
                    now,
                )
                .await?;
            return Ok(ObjectOutcome::AlreadyHandled);
        }
        // On the review list before the parse, so that even a parse that kills the process leaves it
        // there with a reason; replaced below whichever way the parse ends.
        let marker = ReviewItem {
            id: review_id(&object_key),
            received_at: now,
            reason: PARSE_UNFINISHED.to_owned(),
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            message_id: head.message_id.clone(),
            from: head.from.clone(),
            subject: head.subject.clone(),
            size: raw.size,
        };
        let attempts = self.store.parse_started(&marker).await?;
        if attempts > MAX_PARSE_ATTEMPTS {
            let reason = format!(
                "received, but {} parses of it did not finish (the process stopped while parsing: out \
                 of memory, aborted or timed out); it was not parsed again",
                attempts - 1
            );
            return self
                .review(source, Some(head), raw.size, reason, cause, &object_key)
                .await;
        }
        let parse = self.parse;
        let parsed = std::panic::catch_unwind(|| parse(&raw.bytes));
        let maintenances = match parsed {
            Ok(Ok(list)) => {
                // A generic reading stays on the review list (the marker is replaced below, once its
                // maintenances are written) until a person confirms it.
                if list.iter().all(|m| m.reading.is_template()) {
                    self.store
                        .parse_finished(&marker.id, self.clock.now())
                        .await?;
                }
                list
            }
            Ok(Err(error)) => {
                return self
                    .review(
                        source,
                        Some(head),
                        raw.size,
                        error.to_string(),
                        cause,
                        &object_key,
                    )
                    .await;
            }
            Err(_) => {
                let reason =
                    "the parser failed on this mail (it panicked); it was not parsed".to_owned();
                return self
                    .review(source, Some(head), raw.size, reason, cause, &object_key)
                    .await;
            }
        };

        let mut outcomes = Vec::new();
        for notice in &maintenances {
            outcomes.push(self.apply(notice, &source, cause).await?);
        }
        let unverified: Vec<String> = maintenances
            .iter()
            .filter(|m| !m.reading.is_template())
            .map(|m| format!("{}/{}", m.provider, m.maintenance_id))
            .collect();
        if !unverified.is_empty() {
            let reason = format!(
                "read without a template (generic reading), so unverified: check {} against the mail, \
                 then `clinic maintenance confirm PROVIDER/ID` (with --start/--end/--status to correct it)",
                unverified.join(", ")
            );
            let item = ReviewItem {
                reason: reason.clone(),
                ..marker.clone()
            };
            let audit = AuditEntry::new(
                self.clock.now(),
                ACTOR,
                "mail.review",
                format!("review/{}", item.id),
                reason,
                cause,
            );
            self.store.add_review(&item, &audit).await?;
        }
        let done = serde_json::to_string(&outcomes).unwrap_or_default();
        if let Some(id) = &head.message_id {
            self.store
                .complete("mail-message", id, &done, self.clock.now())
                .await?;
        }
        self.store
            .complete("mail-object", &object_key, &done, self.clock.now())
            .await?;
        Ok(ObjectOutcome::Parsed {
            maintenances: outcomes,
        })
    }

    async fn apply(
        &self,
        notice: &super::Maintenance,
        source: &NoticeSource,
        cause: &str,
    ) -> Result<MaintenanceOutcome, IngestError> {
        // A concurrent notice for the same maintenance makes the conditional write fail: judge again.
        for _ in 0..5 {
            let existing = self
                .store
                .maintenance(&notice.provider, &notice.maintenance_id)
                .await?;
            let now = self.clock.now();
            let (record, verdict, changes) = match judge(existing.as_ref(), notice, source, now) {
                Verdict::Create(record) => (
                    record,
                    MaintenanceVerdict::Created,
                    vec!["first notice".to_owned()],
                ),
                Verdict::Update { record, changes } => {
                    (record, MaintenanceVerdict::Updated, changes)
                }
                Verdict::Duplicate => return Ok(unchanged(notice, MaintenanceVerdict::Duplicate)),
                Verdict::Stale => {
                    let audit = AuditEntry::new(
                        now,
                        ACTOR,
                        "maintenance.ignore",
                        format!("maintenance/{}/{}", notice.provider, notice.maintenance_id),
                        format!(
                            "an older notice (stamp {}, sequence {}) arrived after a newer one",
                            notice.stamp, notice.sequence
                        ),
                        cause,
                    );
                    self.store.record(&audit).await?;
                    return Ok(unchanged(notice, MaintenanceVerdict::Stale));
                }
            };
            let action = if verdict == MaintenanceVerdict::Created {
                "maintenance.create"
            } else {
                "maintenance.update"
            };
            let audit = AuditEntry::new(now, ACTOR, action, record.subject(), changes.join("; "), cause)
                .with_details(serde_json::json!({"status": super::lifecycle::status_name(record.status), "start": record.start, "end": record.end, "object": format!("s3://{}/{}", source.bucket, source.key)}));
            match self.store.write_maintenance(&record, &audit).await? {
                Applied::Written => {
                    info!(provider = %record.provider, id = %record.maintenance_id, verdict = %verdict, "maintenance recorded");
                    return Ok(MaintenanceOutcome {
                        provider: record.provider,
                        maintenance_id: record.maintenance_id,
                        verdict,
                        changes,
                    });
                }
                Applied::Conflict => continue,
            }
        }
        Err(IngestError::Store(StoreError::malformed(
            format!("maintenance/{}/{}", notice.provider, notice.maintenance_id),
            "kept changing under concurrent notices; will retry",
        )))
    }

    async fn review(
        &self,
        source: NoticeSource,
        head: Option<Headers>,
        size: u64,
        reason: String,
        cause: &str,
        object_key: &str,
    ) -> Result<ObjectOutcome, IngestError> {
        let now = self.clock.now();
        let id = review_id(object_key);
        let (message_id, from, subject) = match head {
            Some(h) => (h.message_id, h.from, h.subject),
            None => (None, None, None),
        };
        let item = ReviewItem {
            id: id.clone(),
            received_at: now,
            reason: reason.clone(),
            bucket: source.bucket.clone(),
            key: source.key.clone(),
            message_id,
            from,
            subject,
            size,
        };
        let audit = AuditEntry::new(
            now,
            ACTOR,
            "mail.review",
            format!("review/{id}"),
            reason.clone(),
            cause,
        )
        .with_details(serde_json::json!({"object": object_key}));
        warn!(object = %object_key, reason = %reason, "mail kept for review");
        self.store.add_review(&item, &audit).await?;
        self.store
            .complete("mail-object", object_key, "needs review", now)
            .await?;
        Ok(ObjectOutcome::NeedsReview { reason })
    }

    /// The minute sweep: start and end notices of the maintenances that matter, to the person on
    /// duty (nothing without outage mail configured). `now` is the trigger's scheduled time.
    pub async fn notice_sweep(
        &self,
        now: jiff::Timestamp,
        cause: &str,
        dry_run: bool,
    ) -> Result<Vec<super::outage_mail::MaintenanceNotice>, IngestError> {
        let Some(mail) = &self.outage_mail else {
            return Ok(Vec::new());
        };
        // A notice is due only for a start or end in the last NOTICE_GRACE, but whether the
        // maintenance takes part in an outage depends on others around it: a second path's
        // maintenance may start hours later, or have ended before this one does.
        let around = super::outage_mail::OUTAGE_LOOKAROUND;
        let records = self
            .store
            .maintenances_between(now - around, now + around)
            .await?;
        let circuits = self.calendar.options.circuits.as_ref();
        Ok(mail
            .start_and_end(&records, circuits, now, cause, dry_run)
            .await?)
    }

    /// The maintenances the calendar shows.
    async fn calendar_records(
        &self,
    ) -> Result<Vec<super::lifecycle::MaintenanceRecord>, IngestError> {
        let now = self.clock.now();
        let from = now - jiff::SignedDuration::from_hours(24 * CALENDAR_PAST_DAYS);
        let to = now + jiff::SignedDuration::from_hours(24 * CALENDAR_FUTURE_DAYS);
        Ok(self.store.maintenances_between(from, to).await?)
    }

    /// Regenerates the calendar from the table and writes it where clients subscribe.
    pub async fn publish_calendar(&self) -> Result<(), IngestError> {
        let records = self.calendar_records().await?;
        self.publish_calendar_of(&records).await
    }

    async fn publish_calendar_of(
        &self,
        records: &[super::lifecycle::MaintenanceRecord],
    ) -> Result<(), IngestError> {
        let now = self.clock.now();
        let feed = render(records, &self.calendar.options, now);
        self.objects
            .publish(
                &self.calendar.bucket,
                &self.calendar.key,
                feed.into_bytes(),
                "text/calendar; charset=utf-8",
            )
            .await?;
        info!(events = records.len(), "calendar published");
        Ok(())
    }
}

#[cfg(test)]
mod tests;
