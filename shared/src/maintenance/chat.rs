//! The maintenance-mail function's chat posts, made by its minute sweep in each room of the duty
//! rotation: one when a vendor maintenance affecting service (or taking part in an outage of a
//! redundancy group) is to start within [`SOON`], and one per mail put on the review list. Each is
//! claimed per room, so a repeated or retried minute posts nothing twice and a room that failed
//! gets its post on a later minute.

use std::sync::Arc;

use serde::Serialize;
use tracing::warn;

use super::circuits::{Circuits, outages};
use super::ingest::PARSE_UNFINISHED;
use super::lifecycle::{MaintenanceRecord, ReviewItem, impact_name};
use super::model::Status;
use super::outage_mail::OUTAGE_LOOKAROUND;
use super::ports::MaintenanceLedger;
use crate::chat::{ChatPost, EventPostError, EventRooms, PostMarker, Poster, quoted};
use crate::claim::{ClaimKey, Claims, JOB_PATIENCE, Once};
use crate::store::StoreError;

/// How far ahead a maintenance's start is posted.
pub const SOON: jiff::SignedDuration = jiff::SignedDuration::from_hours(24);
/// A review item older than this is not posted: the list was there before chat was, or the post
/// failed for a day, and the brief lists it anyway.
pub const REVIEW_POST_WITHIN: jiff::SignedDuration = jiff::SignedDuration::from_hours(24);
/// A mail whose parse began less than this ago is still being parsed, not waiting for review.
const PARSE_UNDER_WAY: jiff::SignedDuration = jiff::SignedDuration::from_mins(15);
const ACTOR: &str = "maintenance-mail";
const LEASE: jiff::SignedDuration = jiff::SignedDuration::from_secs(120);

#[derive(Debug, thiserror::Error)]
pub enum ChatSweepError {
    #[error("the table failed")]
    Store(#[from] StoreError),
    #[error("posting {what} failed")]
    Post {
        what: String,
        #[source]
        source: EventPostError,
    },
}

impl ChatSweepError {
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Store(_) => true,
            Self::Post { source, .. } => source.is_retryable(),
        }
    }
}

/// One event of the sweep, as reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChatEventLine {
    /// `maintenance/<provider>/<id>` or `review/<id>`.
    pub event: String,
    /// `posted` (in at least one room), `refused`, `already-posted`, `due` (dry run) or `no-client`
    /// ([`crate::chat::events::outcome_of`]).
    pub outcome: &'static str,
}

/// A post the sweep owes, and the claim of each room's copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DuePost {
    pub event: String,
    pub claim: ClaimFor,
    pub post: ChatPost,
}

/// What a room's claim is on; `what` is completed with `#<room>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ClaimFor {
    Maintenance {
        provider: String,
        id: String,
        what: String,
    },
    Review {
        id: String,
    },
}

impl ClaimFor {
    fn key(&self, room: &crate::chat::ChatRoom) -> ClaimKey {
        match self {
            Self::Maintenance { provider, id, what } => {
                ClaimKey::maintenance(provider, id, format!("{what}#{room}"))
            }
            Self::Review { id } => ClaimKey::review(id, format!("chat#{room}")),
        }
    }
}

/// The sweep's chat posts, with what it reads them from.
pub struct MaintenanceChat {
    ledger: Arc<dyn MaintenanceLedger>,
    claims: Arc<dyn Claims>,
    rooms: EventRooms,
    circuits: Option<Circuits>,
}

impl MaintenanceChat {
    pub fn new(
        ledger: Arc<dyn MaintenanceLedger>,
        claims: Arc<dyn Claims>,
        rooms: EventRooms,
        circuits: Option<Circuits>,
    ) -> Self {
        Self {
            ledger,
            claims,
            rooms,
            circuits,
        }
    }

    /// Posts what is due at `now` (the trigger's scheduled time). Every event is tried; the first
    /// failure is returned after the others were.
    pub async fn sweep(
        &self,
        now: jiff::Timestamp,
        cause: &str,
        dry_run: bool,
    ) -> Result<Vec<ChatEventLine>, ChatSweepError> {
        if self.rooms.is_empty() {
            return Ok(Vec::new());
        }
        let records = self
            .ledger
            .maintenances_between(now - OUTAGE_LOOKAROUND, now + SOON + OUTAGE_LOOKAROUND)
            .await?;
        let reviews = self.ledger.reviews().await?;
        let due = due_posts(&records, self.circuits.as_ref(), &reviews, now);
        let once = Once::new(self.claims.as_ref(), LEASE).patient(JOB_PATIENCE);
        let poster = Poster {
            actor: ACTOR,
            cause,
        };
        let mut lines = Vec::new();
        let mut failure = None;
        for due in due {
            if dry_run {
                lines.push(ChatEventLine {
                    event: due.event,
                    outcome: "due",
                });
                continue;
            }
            match self
                .rooms
                .post(&once, |room| due.claim.key(room), &due.post, poster, now)
                .await
            {
                Ok(rooms) => lines.push(ChatEventLine {
                    event: due.event,
                    outcome: crate::chat::events::outcome_of(&rooms),
                }),
                Err(source) => {
                    warn!(event = %due.event, error = %source, "chat post failed; the next minute tries again");
                    failure.get_or_insert(ChatSweepError::Post {
                        what: due.event,
                        source,
                    });
                }
            }
        }
        match failure {
            Some(e) => Err(e),
            None => Ok(lines),
        }
    }
}

/// The posts due at `now`: each maintenance that matters starting within [`SOON`], and each mail
/// that joined the review list within [`REVIEW_POST_WITHIN`] (not one still being parsed).
pub(crate) fn due_posts(
    records: &[MaintenanceRecord],
    circuits: Option<&Circuits>,
    reviews: &[ReviewItem],
    now: jiff::Timestamp,
) -> Vec<DuePost> {
    let groups = circuits.map(|c| outages(records, c)).unwrap_or_default();
    let at = now.as_second();
    let mut due = Vec::new();
    for record in records {
        if matches!(record.status, Status::Cancelled | Status::Completed)
            || !(at < record.start && record.start <= at + SOON.as_secs())
        {
            continue;
        }
        let name = format!("{}/{}", record.provider, record.maintenance_id);
        let group = groups
            .iter()
            .find(|o| o.maintenances.contains(&name))
            .map(|o| o.group.as_str());
        if record.only_reduces_redundancy() && group.is_none() {
            continue;
        }
        due.push(DuePost {
            event: record.subject(),
            claim: ClaimFor::Maintenance {
                provider: record.provider.clone(),
                id: record.maintenance_id.clone(),
                // A window moved to another start is another post.
                what: format!("chat-soon#{}", record.start),
            },
            post: ChatPost {
                marker: marker("maintenance-soon", &format!("{name}#{}", record.start)),
                text: soon_text(record, group, at),
            },
        });
    }
    let waiting = reviews.len();
    for item in reviews {
        let under_way = item.reason == PARSE_UNFINISHED && now < item.received_at + PARSE_UNDER_WAY;
        if under_way || item.received_at + REVIEW_POST_WITHIN < now {
            continue;
        }
        due.push(DuePost {
            event: format!("review/{}", item.id),
            claim: ClaimFor::Review {
                id: item.id.clone(),
            },
            post: ChatPost {
                marker: marker("review", &item.id),
                text: review_text(item, waiting),
            },
        });
    }
    due
}

/// A marker from outside ids, hashed so any provider's spelling fits the marker's alphabet.
fn marker(kind: &str, id: &str) -> PostMarker {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(id.as_bytes());
    PostMarker::new(format!("{kind}/{}", hex::encode(&digest[..12])))
        .expect("a kind and hex digits make a valid marker")
}

fn utc(second: i64) -> String {
    jiff::Timestamp::from_second(second)
        .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|_| second.to_string())
}

fn soon_text(record: &MaintenanceRecord, group: Option<&str>, now: i64) -> String {
    let hours = (record.start - now).div_euclid(3600);
    let minutes = (record.start - now).rem_euclid(3600) / 60;
    let until = if record.open_ended {
        "no end announced".to_owned()
    } else {
        utc(record.end)
    };
    let circuits: Vec<String> = record
        .circuits
        .iter()
        .map(|c| format!("{} ({})", quoted(&c.circuit_id), impact_name(c.impact)))
        .collect();
    let mut text = format!(
        "Vendor maintenance affecting service in {hours} h {minutes:02} min: {} {}, {} to {until}.",
        quoted(&record.provider),
        quoted(&record.maintenance_id),
        utc(record.start),
    );
    if !circuits.is_empty() {
        text.push_str(&format!(" Circuits: {}.", circuits.join(", ")));
    }
    if let Some(group) = group {
        text.push_str(&format!(
            " With others it takes redundancy group {} down.",
            quoted(group)
        ));
    }
    text
}

fn review_text(item: &ReviewItem, waiting: usize) -> String {
    let subject = item
        .subject
        .as_deref()
        .map(|s| format!("\"{}\"", quoted(s)))
        .unwrap_or_else(|| "(no subject)".to_owned());
    let from = item
        .from
        .as_deref()
        .map(|f| format!(" from {}", quoted(f)))
        .unwrap_or_default();
    let mails = if waiting == 1 { "mail" } else { "mails" };
    format!(
        "Maintenance mail for review: {subject}{from}: {}. {waiting} {mails} on the review list \
         (`clinic maintenance review`).",
        quoted(&item.reason)
    )
}

#[cfg(test)]
mod tests;
