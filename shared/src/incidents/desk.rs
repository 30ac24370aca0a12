//! The incident desk: records each delivery, keeps Statuspage in step (created exactly once, status
//! only moving forward), tells the clinic-duty person when a mapped incident opens, posts its opening
//! and resolution in the duty rotation's chat rooms (`super::chat`), and reminds people of
//! Statuspage incidents left open after VictorOps resolved.

use std::sync::Arc;

use serde::Serialize;
use tracing::{info, warn};

use super::lifecycle::{Delivery, Hold, IncidentRecord, Phase, Transition, apply};
use super::mapping::{ComponentStatus, DuringDowntime, Mapping, Publication};
use super::ports::{
    Contact, Directory, DowntimeBook, IncidentLedger, IncidentUpdate, NewIncident, StatusPage,
    StatuspageError,
};
use super::publish::{CreateIncident, UpdateStatus, rank};
use crate::audit::AuditEntry;
use crate::chat::{EventPostError, EventRooms, RoomPost};
use crate::claim::{ClaimKey, Claims, Effect, Once, OnceError, Outcome, WEBHOOK_PATIENCE};
use crate::mail::{
    EmailAddress, MailError, Mailbox, Mailer, OnceMail, OutgoingMail, stable_message_id,
};
use crate::store::StoreError;

pub use super::ACTOR;
/// A claimed action not finished within this is free for another invocation.
const LEASE: jiff::SignedDuration = jiff::SignedDuration::from_secs(120);
/// Attempts at an optimistic write before giving up (each re-reads what another writer stored).
const WRITE_ATTEMPTS: u32 = 8;

/// A dependency failed, or another invocation is doing the work right now: the delivery or sweep
/// should be retried (HTTP 503, Retryable).
#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    #[error("another invocation is handling {what} of {subject} until {until}")]
    Busy {
        subject: String,
        what: String,
        until: jiff::Timestamp,
    },
    #[error("the table failed")]
    Store(#[from] StoreError),
    #[error(transparent)]
    Statuspage(#[from] StatuspageError),
    #[error("sending mail failed")]
    Mail(#[from] MailError),
    #[error("incident {0} kept changing under concurrent deliveries")]
    Contended(String),
    #[error("posting the incident to chat failed")]
    Chat(#[from] EventPostError),
}

impl DeskError {
    /// Whether a retried delivery may pass: not when Statuspage or a chat network refused the
    /// request as made (an operator must fix the mapping, the key or the grant).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Statuspage(StatuspageError::Rejected { .. }) => false,
            Self::Chat(e) => e.is_retryable(),
            _ => true,
        }
    }
}

/// What one delivery did, for the HTTP answer and the demo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeliveryReport {
    pub incident: String,
    pub phase: Phase,
    /// `opened`, `advanced` or `unchanged`.
    pub change: &'static str,
    pub published: bool,
    pub statuspage_id: Option<String>,
    pub statuspage_status: Option<String>,
    pub duty_mail: Option<String>,
    /// The planned downtime window holding the incident back from Statuspage, if one does.
    pub held_by: Option<String>,
    /// The incident's post in each chat room (empty without chat rooms, or when nothing is posted).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub chat: Vec<RoomPost>,
}

pub struct IncidentDesk<S> {
    store: S,
    statuspage: Arc<dyn StatusPage>,
    mailer: Arc<dyn Mailer>,
    mapping: Mapping,
    sender: EmailAddress,
    duty_rotation: String,
    chat: EventRooms,
}

impl<S: IncidentLedger + Directory + DowntimeBook> IncidentDesk<S> {
    pub fn new(
        store: S,
        statuspage: Arc<dyn StatusPage>,
        mailer: Arc<dyn Mailer>,
        mapping: Mapping,
        sender: EmailAddress,
        duty_rotation: String,
    ) -> Self {
        Self {
            store,
            statuspage,
            mailer,
            mapping,
            sender,
            duty_rotation,
            chat: EventRooms::default(),
        }
    }

    /// Posts mapped incidents' openings and resolutions in `rooms` (the duty rotation's).
    pub fn with_chat(mut self, rooms: EventRooms) -> Self {
        self.chat = rooms;
        self
    }

    pub(super) fn chat(&self) -> &EventRooms {
        &self.chat
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    pub fn mapping(&self) -> &Mapping {
        &self.mapping
    }

    pub(super) fn statuspage(&self) -> &dyn StatusPage {
        self.statuspage.as_ref()
    }

    pub(super) fn duty_rotation(&self) -> &str {
        &self.duty_rotation
    }

    /// Records a delivery and brings Statuspage and the clinic-duty mail in line with it. A repeat
    /// changes nothing, but still finishes what an earlier failed delivery left undone.
    pub async fn deliver(
        &self,
        delivery: &Delivery,
        cause: &str,
        now: jiff::Timestamp,
    ) -> Result<DeliveryReport, DeskError> {
        let (record, change) = self.record_delivery(delivery, cause, now).await?;
        let mut report = DeliveryReport {
            incident: record.number.to_string(),
            phase: record.phase,
            change,
            published: record.publication.is_some() && !record.held_back(now),
            statuspage_id: None,
            statuspage_status: None,
            duty_mail: None,
            held_by: record
                .hold
                .as_ref()
                .filter(|_| record.held_back(now))
                .map(|h| h.window.clone()),
            chat: Vec::new(),
        };
        if record.publication.is_none() {
            info!(incident = %record.number, change, "incident recorded; no mapping rule publishes it");
            return Ok(report);
        }
        if record.held_back(now) {
            info!(incident = %record.number, change, window = ?report.held_by, "incident recorded; held back by planned downtime");
            return Ok(report);
        }
        let (record, mailed, posted) = self.publish(record, cause, now).await?;
        let record = self.release_if_outlasted(record, cause, now).await?;
        report.duty_mail = mailed;
        report.chat = posted;
        report.statuspage_id = record.statuspage_id.clone();
        report.statuspage_status = record.statuspage_status.clone();
        Ok(report)
    }

    /// Brings Statuspage in line with a published incident, tells the clinic-duty person of it and
    /// posts it in chat. Publish first, so a mail or chat outage never delays the public incident;
    /// mail and post even when publishing failed, so a Statuspage outage never keeps the team
    /// uninformed. The first failure is returned once all three were tried.
    pub(super) async fn publish(
        &self,
        record: IncidentRecord,
        cause: &str,
        now: jiff::Timestamp,
    ) -> Result<(IncidentRecord, Option<String>, Vec<RoomPost>), DeskError> {
        let phase = record.phase;
        let published = self.sync_statuspage(record.clone(), cause, now).await;
        let mailed = if phase < Phase::Resolved {
            self.mail_duty_on_open(&record, cause, now).await
        } else {
            Ok(None)
        };
        let posted = self.post_to_chat(&record, cause, now).await;
        Ok((published?, mailed?, posted?))
    }

    /// A held incident still open after its window ended was not (only) the planned work: it is
    /// published after all. Marks it released once it is published, so a failure on the way leaves
    /// it listed as held for the next delivery or the window's end to retry.
    pub(super) async fn release_if_outlasted(
        &self,
        record: IncidentRecord,
        cause: &str,
        now: jiff::Timestamp,
    ) -> Result<IncidentRecord, DeskError> {
        let Some(hold) = record
            .hold
            .as_ref()
            .filter(|_| record.outlasted_its_window(now))
        else {
            return Ok(record);
        };
        let audit = AuditEntry::new(
            now,
            ACTOR,
            "incident.release",
            record.subject(),
            format!(
                "still {} when planned downtime {} ended at {}: published after all",
                record.phase, hold.window, hold.until
            ),
            cause,
        );
        self.amend(&record, audit, move |r| {
            if let Some(h) = r.hold.as_mut()
                && h.released_at.is_none()
            {
                h.released_at = Some(now);
            }
        })
        .await
    }

    /// The hold for an incident opening at `at` under `publication`: the first planned downtime
    /// window of ours running then on one of its components, when the rule holds such incidents.
    async fn hold_for(
        &self,
        publication: Option<&Publication>,
        at: jiff::Timestamp,
    ) -> Result<Option<Hold>, DeskError> {
        let Some(p) = publication.filter(|p| p.during_downtime == DuringDowntime::Hold) else {
            return Ok(None);
        };
        Ok(self
            .store
            .pending_windows()
            .await?
            .into_iter()
            .find(|w| w.covers(at, p.components.keys()))
            .map(|w| Hold {
                window: w.id,
                services: w.services,
                until: w.end,
                released_at: None,
            }))
    }

    async fn record_delivery(
        &self,
        delivery: &Delivery,
        cause: &str,
        now: jiff::Timestamp,
    ) -> Result<(IncidentRecord, &'static str), DeskError> {
        for _ in 0..WRITE_ATTEMPTS {
            let stored = self.store.incident(&delivery.number).await?;
            // Only an opening delivery decides where the incident is published, and whether a
            // planned downtime window holds it back.
            let (publication, hold) = if stored.is_none() {
                let publication = self.mapping.publication(
                    &delivery.routing_key,
                    &delivery.entity_id,
                    &delivery.display_name,
                );
                let hold = self.hold_for(publication.as_ref(), delivery.at).await?;
                (publication, hold)
            } else {
                (None, None)
            };
            let (mut record, change, why) = match apply(
                stored.as_ref(),
                delivery,
                || publication,
                now,
            ) {
                Transition::Unchanged => {
                    let record =
                        stored.ok_or_else(|| DeskError::Contended(delivery.number.to_string()))?;
                    return Ok((record, "unchanged"));
                }
                Transition::Opened(mut record) => {
                    record.hold = hold;
                    let why = format!(
                        "VictorOps incident opened in phase {} ({})",
                        record.phase,
                        match (&record.publication, &record.hold) {
                            (Some(p), Some(h)) => format!(
                                "mapping rule {:?} holds it back: it opened inside planned downtime {} of {} until {}",
                                p.rule,
                                h.window,
                                h.services.join(", "),
                                h.until
                            ),
                            (Some(p), None) => format!("published by mapping rule {:?}", p.rule),
                            (None, _) => "no mapping rule: recorded, not published".into(),
                        }
                    );
                    (record, "opened", why)
                }
                Transition::Advanced { from, record } => {
                    let why = format!(
                        "VictorOps incident moved from {from} to {}{}",
                        record.phase,
                        delivery
                            .user
                            .as_deref()
                            .map(|u| format!(" by {u}"))
                            .unwrap_or_default()
                    );
                    (record, "advanced", why)
                }
            };
            record.version += 1;
            let audit = AuditEntry::new(
                now,
                ACTOR,
                format!("incident.{}", record.phase.as_str().to_ascii_lowercase()),
                record.subject(),
                why,
                cause,
            )
            .with_details(
                serde_json::json!({"source": delivery.source, "at": delivery.at.to_string()}),
            );
            if self.store.save_incident(&record, &audit).await? {
                info!(incident = %record.number, phase = %record.phase, change, "incident recorded");
                return Ok((record, change));
            }
        }
        Err(DeskError::Contended(delivery.number.to_string()))
    }

    /// Re-reads the incident, applies `change` and writes it with `audit`, retrying on a concurrent write.
    pub(super) async fn amend(
        &self,
        record: &IncidentRecord,
        audit: AuditEntry,
        change: impl Fn(&mut IncidentRecord),
    ) -> Result<IncidentRecord, DeskError> {
        let mut current = record.clone();
        for _ in 0..WRITE_ATTEMPTS {
            let mut next = current.clone();
            change(&mut next);
            next.version += 1;
            if self.store.save_incident(&next, &audit).await? {
                return Ok(next);
            }
            current = self
                .store
                .incident(&record.number)
                .await?
                .ok_or_else(|| DeskError::Contended(record.number.to_string()))?;
        }
        Err(DeskError::Contended(record.number.to_string()))
    }

    /// The Statuspage status the incident should show now.
    fn desired_status(&self, phase: Phase) -> &'static str {
        match phase {
            Phase::Unacked => "investigating",
            Phase::Acked => "identified",
            Phase::Resolved if self.mapping.options.auto_resolve => "resolved",
            // VictorOps resolving means the alert cleared, not that a person confirmed recovery:
            // Statuspage's word for "fix in place, watching" is monitoring, and a person closes it.
            Phase::Resolved => "monitoring",
        }
    }

    async fn sync_statuspage(
        &self,
        record: IncidentRecord,
        cause: &str,
        now: jiff::Timestamp,
    ) -> Result<IncidentRecord, DeskError> {
        let Some(publication) = record.publication.clone() else {
            return Ok(record);
        };
        if record.statuspage_closed_at.is_some() || record.held_back(now) {
            return Ok(record);
        }
        let record = match &record.statuspage_id {
            Some(_) => record,
            // Nothing was ever announced and it is over already: a public incident now would only confuse.
            None if record.phase == Phase::Resolved => return Ok(record),
            None => match self.create_once(&record, cause, now).await? {
                Some(created) => created,
                None => return Ok(record),
            },
        };
        let (Some(id), Some(current)) = (&record.statuspage_id, &record.statuspage_status) else {
            return Ok(record);
        };
        let desired = self.desired_status(record.phase);
        if rank(desired) <= rank(current) {
            return Ok(record);
        }
        // Monitoring and resolved both mean the alert has cleared: the components show it.
        let components = if rank(desired) >= rank("monitoring") {
            publication
                .components
                .keys()
                .map(|id| (id.clone(), ComponentStatus::Operational))
                .collect()
        } else {
            publication.components.clone()
        };
        let body = match desired {
            "identified" => "The issue has been identified and a fix is being worked on.",
            "monitoring" => "A fix has been implemented and we are monitoring the results.",
            _ => "This incident has been resolved.",
        };
        let update = UpdateStatus {
            page: self.statuspage.as_ref(),
            id,
            update: IncidentUpdate {
                status: desired,
                body: body.into(),
                components,
                deliver_notifications: self.mapping.options.deliver_notifications,
            },
            record: &record,
            cause,
        };
        // One update per status, however many deliveries of the phase race for it.
        let key = ClaimKey::incident(record.number.as_str(), format!("statuspage-{desired}"));
        self.once(&record.subject(), &key, &update, now).await?;
        let audit = AuditEntry::new(
            now,
            ACTOR,
            "incident.status",
            record.subject(),
            format!("Statuspage incident {id} is {desired}"),
            cause,
        );
        let desired_owned = desired.to_owned();
        self.amend(&record, audit, move |r| {
            let moves_forward = r
                .statuspage_status
                .as_deref()
                .is_none_or(|s| rank(s) < rank(&desired_owned));
            if moves_forward {
                r.statuspage_status = Some(desired_owned.clone());
            }
            if desired_owned == "resolved" && r.statuspage_closed_at.is_none() {
                r.statuspage_closed_at = Some(now);
            }
        })
        .await
    }

    /// Runs `effect` once for `key`; another invocation holding it is [`DeskError::Busy`].
    pub(super) async fn once<E>(
        &self,
        subject: &str,
        key: &ClaimKey,
        effect: &E,
        now: jiff::Timestamp,
    ) -> Result<String, DeskError>
    where
        E: Effect,
        DeskError: From<E::Error>,
    {
        let claims: &dyn Claims = &self.store;
        match Once::new(claims, LEASE)
            .patient(WEBHOOK_PATIENCE)
            .run(key, effect, now)
            .await
        {
            Ok(Outcome::Done { outcome, .. }) => Ok(outcome),
            Ok(Outcome::Busy { until }) => Err(DeskError::Busy {
                subject: subject.to_owned(),
                what: key.what.clone(),
                until,
            }),
            Err(OnceError::Store(e)) => Err(e.into()),
            Err(OnceError::Effect(e)) => Err(e.into()),
        }
    }

    /// Creates the Statuspage incident under a claim, so two deliveries racing (or a retry after a
    /// lost answer) never create two, then links it to the incident.
    async fn create_once(
        &self,
        record: &IncidentRecord,
        cause: &str,
        now: jiff::Timestamp,
    ) -> Result<Option<IncidentRecord>, DeskError> {
        let Some(publication) = &record.publication else {
            return Ok(None);
        };
        let status = self.desired_status(record.phase);
        let create = CreateIncident {
            page: self.statuspage.as_ref(),
            incident: NewIncident {
                name: publication.title.clone(),
                status,
                impact: publication.impact,
                body: format!(
                    "We are investigating an issue affecting this service. (VictorOps #{})",
                    record.number
                ),
                components: publication.components.clone(),
                deliver_notifications: self.mapping.options.deliver_notifications,
                victorops_number: record.number.clone(),
                entity_id: record.entity_id.clone(),
            },
            record,
            rule: &publication.rule,
            cause,
        };
        let key = ClaimKey::incident(record.number.as_str(), "statuspage-create");
        let id = self.once(&record.subject(), &key, &create, now).await?;
        let audit = AuditEntry::new(
            now,
            ACTOR,
            "incident.link",
            record.subject(),
            format!("linked to Statuspage incident {id}"),
            cause,
        );
        let status = status.to_owned();
        let linked = self
            .amend(record, audit, move |r| {
                if r.statuspage_id.is_none() {
                    r.statuspage_id = Some(id.clone());
                    r.statuspage_status = Some(status.clone());
                }
            })
            .await?;
        Ok(Some(linked))
    }

    async fn mail_duty_on_open(
        &self,
        record: &IncidentRecord,
        cause: &str,
        now: jiff::Timestamp,
    ) -> Result<Option<String>, DeskError> {
        let Some(duty) = self.store.on_duty(&self.duty_rotation, now).await? else {
            warn!(incident = %record.number, rotation = %self.duty_rotation, "nobody is on clinic duty now; no mail");
            return Ok(None);
        };
        let subject = format!(
            "[clinic] VictorOps #{} opened: {}",
            record.number, record.display_name
        );
        let text = format!(
            "Hello {},\n\nVictorOps incident #{} ({}) opened on routing key {} and is published on Statuspage \
             by Clinic.\nEntity: {}\nPhase: {}\n\nClinic keeps the Statuspage incident in step with VictorOps; \
             once VictorOps resolves it, please confirm recovery and close the Statuspage incident.\n",
            duty.name,
            record.number,
            record.display_name,
            record.routing_key,
            record.entity_id,
            record.phase
        );
        let sent = self
            .send_once(
                ClaimKey::incident(record.number.as_str(), "mail-opened"),
                &[duty],
                subject,
                text,
                &record.subject(),
                "mail.send",
                cause,
                now,
            )
            .await?;
        Ok(sent)
    }

    /// Sends one mail under a claim: once per key, however often it is attempted. `Some(what)`
    /// when this call sent it, `None` when it went out before; another invocation sending it right
    /// now is [`DeskError::Busy`].
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn send_once(
        &self,
        key: ClaimKey,
        to: &[Contact],
        subject: String,
        text: String,
        subject_path: &str,
        action: &str,
        cause: &str,
        now: jiff::Timestamp,
    ) -> Result<Option<String>, DeskError> {
        let html = format!("<pre>{}</pre>", crate::mail::escape_html(&text));
        let mail = OutgoingMail {
            from: Mailbox::new("Clinic", self.sender.clone()),
            to: to
                .iter()
                .map(|c| match c.name.as_str() {
                    "" => Mailbox::bare(c.email.clone()),
                    name if name == c.email.as_str() => Mailbox::bare(c.email.clone()),
                    name => Mailbox::new(name, c.email.clone()),
                })
                .collect(),
            cc: Vec::new(),
            subject,
            text,
            html,
        };
        let names: Vec<&str> = to.iter().map(|c| c.id.as_str()).collect();
        let tag = key.to_string();
        let once = OnceMail {
            mailer: self.mailer.as_ref(),
            mail: &mail,
            message_id: Box::new(|attempt| stable_message_id(&tag, &key.what, attempt)),
            audit: Box::new(|_message_id, at| {
                AuditEntry::new(
                    at,
                    ACTOR,
                    action,
                    subject_path,
                    format!("{} mailed to {}", key.what, names.join(", ")),
                    cause,
                )
            }),
        };
        let claims: &dyn Claims = &self.store;
        match Once::new(claims, LEASE)
            .patient(WEBHOOK_PATIENCE)
            .run(&key, &once, now)
            .await
        {
            Ok(Outcome::Done { acted: true, .. }) => Ok(Some(key.what.clone())),
            Ok(Outcome::Done { acted: false, .. }) => Ok(None),
            Ok(Outcome::Busy { until }) => Err(DeskError::Busy {
                subject: subject_path.to_owned(),
                what: key.what.clone(),
                until,
            }),
            Err(OnceError::Store(e)) => Err(e.into()),
            Err(OnceError::Effect(e)) => Err(e.into()),
        }
    }
}
