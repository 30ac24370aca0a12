//! The incident desk's chat posts: one when a mapped incident opens, one when VictorOps resolves it,
//! in each room of the clinic-duty rotation. They follow the Statuspage publication: an incident no
//! rule maps, or one held back by planned downtime, is not posted (a held one is, once it outlasts
//! its window and is published after all).

use serde::Serialize;

use super::ACTOR;
use super::desk::{DeskError, IncidentDesk};
use super::lifecycle::{IncidentRecord, Phase};
use super::ports::{Directory, DowntimeBook, IncidentLedger};
use crate::chat::events::{EventRooms, RoomPost, quoted};
use crate::chat::{ChatPost, PostMarker, Poster};
use crate::claim::{ClaimKey, Claims, Once, WEBHOOK_PATIENCE};

/// A claimed post not finished within this is free for another invocation (as the desk's other claims).
const LEASE: jiff::SignedDuration = jiff::SignedDuration::from_secs(120);
/// The minute sweep makes up posts only for incidents first seen this recently: an incident
/// published before chat was configured is not announced days later.
pub const SWEEP_POSTS_WITHIN: jiff::SignedDuration = jiff::SignedDuration::from_hours(24);

/// One incident's post in the minute sweep.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChatSweepLine {
    pub incident: String,
    /// `opened` or `resolved`.
    pub event: &'static str,
    /// `posted` (in at least one room), `refused`, `already-posted`, `no-client`
    /// ([`crate::chat::events::outcome_of`]), `due` (dry run) or `failed` (logged; the next minute
    /// tries again).
    pub outcome: &'static str,
}

/// Which post an incident calls for now: `opened` while it is open, `resolved` once VictorOps
/// resolved it (an incident first seen resolved gets only that one). `None` when it is not published.
pub(super) fn incident_post(
    record: &IncidentRecord,
    auto_resolve: bool,
    now: jiff::Timestamp,
) -> Option<(&'static str, ChatPost)> {
    let publication = record.publication.as_ref()?;
    if record.held_back(now) {
        return None;
    }
    let name = format!(
        "VictorOps #{} — {} ({}, routing key {})",
        record.number,
        quoted(&record.display_name),
        quoted(&record.entity_id),
        quoted(&record.routing_key)
    );
    let (event, text) = if record.phase < Phase::Resolved {
        (
            "opened",
            format!(
                "Incident opened: {name}. Clinic publishes it on Statuspage as \"{}\".",
                quoted(&publication.title)
            ),
        )
    } else {
        let by = record
            .resolved_by
            .as_deref()
            .map(|who| format!(" by {}", quoted(who)))
            .unwrap_or_default();
        let at = record
            .resolved_at
            .map(|at| format!(" at {}", at.strftime("%Y-%m-%d %H:%M UTC")))
            .unwrap_or_default();
        let after = if auto_resolve {
            "Clinic resolves the Statuspage incident too."
        } else {
            "Statuspage shows it as monitoring until someone confirms recovery and closes it there."
        };
        (
            "resolved",
            format!("Incident resolved in VictorOps{by}{at}: {name}. {after}"),
        )
    };
    let marker = PostMarker::new(format!("incident/{}/{event}", record.number))
        .expect("an incident number is digits: the marker is valid");
    Some((event, ChatPost { marker, text }))
}

impl<S: IncidentLedger + Directory + DowntimeBook> IncidentDesk<S> {
    /// The minute sweep's share: makes up the post of each incident open on Statuspage and first
    /// seen within [`SWEEP_POSTS_WITHIN`], when its delivery could not post it (the network was
    /// down and VictorOps did not deliver again). A post made already is found by its claim.
    pub async fn chat_sweep(
        &self,
        now: jiff::Timestamp,
        cause: &str,
        dry_run: bool,
    ) -> Result<Vec<ChatSweepLine>, DeskError> {
        if self.chat().is_empty() {
            return Ok(Vec::new());
        }
        let mut lines = Vec::new();
        let mut first_error = None;
        for record in self.store().open_on_statuspage().await? {
            if record.first_seen_at + SWEEP_POSTS_WITHIN < now {
                continue;
            }
            let auto_resolve = self.mapping().options.auto_resolve;
            let Some((event, _)) = incident_post(&record, auto_resolve, now) else {
                continue;
            };
            let outcome = if dry_run {
                "due"
            } else {
                match self.post_to_chat(&record, cause, now).await {
                    Ok(rooms) => crate::chat::events::outcome_of(&rooms),
                    Err(e) => {
                        tracing::warn!(incident = %record.number, error = %e, "chat post failed; the next minute tries again");
                        first_error.get_or_insert(e);
                        "failed"
                    }
                }
            };
            lines.push(ChatSweepLine {
                incident: record.number.to_string(),
                event,
                outcome,
            });
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(lines),
        }
    }

    /// Posts the incident's event in each room, once per room (claim `chat-<event>#<room>`).
    pub(super) async fn post_to_chat(
        &self,
        record: &IncidentRecord,
        cause: &str,
        now: jiff::Timestamp,
    ) -> Result<Vec<RoomPost>, DeskError> {
        let rooms: &EventRooms = self.chat();
        if rooms.is_empty() {
            return Ok(Vec::new());
        }
        let Some((event, post)) = incident_post(record, self.mapping().options.auto_resolve, now)
        else {
            return Ok(Vec::new());
        };
        let claims: &dyn Claims = self.store();
        let once = Once::new(claims, LEASE).patient(WEBHOOK_PATIENCE);
        let number = record.number.as_str();
        Ok(rooms
            .post(
                &once,
                |room| ClaimKey::incident(number, format!("chat-{event}#{room}")),
                &post,
                Poster {
                    actor: ACTOR,
                    cause,
                },
                now,
            )
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incidents::lifecycle::{Delivery, Hold, IncidentNumber, Transition, apply};
    use crate::incidents::mapping::{Impact, Publication};

    fn now() -> jiff::Timestamp {
        "2027-01-05T10:00:00Z".parse().unwrap()
    }

    fn record(phase: Phase, mapped: bool) -> IncidentRecord {
        let delivery = Delivery {
            number: IncidentNumber::parse("1873").unwrap(),
            phase,
            routing_key: "sre".into(),
            entity_id: "disk-space/db01".into(),
            display_name: "Disk <!channel> @room".into(),
            user: Some("asmith".into()),
            at: "2027-01-05T09:50:00Z".parse().unwrap(),
            source: "test",
        };
        let publication = mapped.then(|| Publication {
            rule: "db".into(),
            title: "Database slow".into(),
            impact: Impact::Minor,
            components: Default::default(),
            during_downtime: Default::default(),
        });
        match apply(None, &delivery, || publication, now()) {
            Transition::Opened(record) => record,
            other => panic!("a first delivery opens: {other:?}"),
        }
    }

    #[test]
    fn an_open_mapped_incident_calls_for_the_opened_post_and_a_resolved_one_for_the_resolved_post()
    {
        let (event, post) = incident_post(&record(Phase::Acked, true), false, now()).unwrap();
        assert_eq!(event, "opened");
        assert_eq!(post.marker.as_str(), "incident/1873/opened");
        assert!(
            post.text.starts_with("Incident opened: VictorOps #1873")
                && post.text.contains("\"Database slow\""),
            "{}",
            post.text
        );
        let (event, post) = incident_post(&record(Phase::Resolved, true), false, now()).unwrap();
        assert_eq!(event, "resolved");
        assert_eq!(post.marker.as_str(), "incident/1873/resolved");
        assert!(
            post.text
                .contains("resolved in VictorOps by asmith at 2027-01-05 09:50 UTC")
                && post.text.contains("monitoring until someone confirms"),
            "{}",
            post.text
        );
        let (_, auto) = incident_post(&record(Phase::Resolved, true), true, now()).unwrap();
        assert!(auto.text.contains("resolves the Statuspage incident too"));
    }

    #[test]
    fn an_unmapped_or_held_incident_calls_for_no_post() {
        assert!(incident_post(&record(Phase::Unacked, false), false, now()).is_none());
        let mut held = record(Phase::Unacked, true);
        held.hold = Some(Hold {
            window: "w1".into(),
            services: vec!["database".into()],
            until: "2027-01-05T11:00:00Z".parse().unwrap(),
            released_at: None,
        });
        assert!(incident_post(&held, false, now()).is_none());
        let after_the_window = "2027-01-05T11:00:00Z".parse().unwrap();
        assert!(
            incident_post(&held, false, after_the_window).is_some(),
            "still open after its window: published, so posted"
        );
    }

    #[test]
    fn what_victorops_sent_cannot_mention_the_whole_room() {
        let (_, post) = incident_post(&record(Phase::Unacked, true), false, now()).unwrap();
        assert!(
            !post.text.contains("<!channel>") && !post.text.contains("@room"),
            "{}",
            post.text
        );
    }
}
