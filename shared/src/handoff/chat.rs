//! The handoff in chat: at a committed handoff, one post per room of the rotation (claimed per
//! week and room), and — once the shift has started — Clinic's topic section and the Slack user
//! group; the minute sweep (`rotation-chat`) makes up a post the weekly run could not make and
//! re-asserts the topic section of the shift running now when it differs. Each change is audited.
//! A chat failure never fails the handoff's mails: it is reported, and the sweep catches up.

use async_trait::async_trait;
use serde::Serialize;
use tracing::{info, warn};

use super::chat_post::{HandoffPeople, handoff_marker, handoff_post};
pub use super::chat_report::{ChatOutcome, ChatReport, ChatStep, HandoffChat};
use super::job::{ACTOR, HandoffJob, JobError};
pub use super::ports::{RoomCommands, StandingNotices};
use crate::audit::{AuditEntry, AuditLog};
use crate::brief::Brief;
use crate::chat::deliver::{Poster, post_once, post_once_later};
use crate::chat::topic::{self, SectionValues, TOPIC_LIMIT};
use crate::chat::{ChatApi, ChatError, ChatRoom};
use crate::claim::{
    ClaimKey, Claims, Effect, Failure, JOB_PATIENCE, Lookup, Once, OnceError, Outcome,
};
use crate::http_url::HttpUrl;
use crate::idempotency::IdempotencyStore;
use crate::rotation::ports::{PlanSnapshots, RosterMirror};
use crate::rotation::roster::{ChatLink, Person, PersonId, SlackUserGroupId, SlackUserId};
use crate::shifts::{ShiftLedger, ShiftRecord};
use crate::trigger::Trigger;

/// The Scheduler job name of the minute sweep.
pub const CHAT_JOB: &str = "rotation-chat";

/// The minute sweep's report, per rotation with chat settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChatSweepReport {
    pub event: String,
    pub rotations: Vec<RotationChat>,
    /// What the room commands hook answered, when one is wired in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commands: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RotationChat {
    pub rotation: String,
    /// The week running now; `None` when no committed shift runs now.
    pub week: Option<String>,
    #[serde(flatten)]
    pub chat: ChatReport,
}

impl ChatSweepReport {
    pub fn failures(&self) -> usize {
        self.rotations.iter().map(|r| r.chat.failures()).sum()
    }

    pub fn summary(&self) -> String {
        let mut out = String::new();
        for r in &self.rotations {
            match &r.week {
                Some(week) => out.push_str(&format!("{} {week} (running now):\n", r.rotation)),
                None => out.push_str(&format!("{}: no committed shift runs now\n", r.rotation)),
            }
            out.push_str(&r.chat.summary());
        }
        out
    }
}

/// Why a run sets the topic: the weekly run at the handoff, or the sweep re-asserting it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TopicCause {
    Handoff,
    Sweep,
}

impl TopicCause {
    fn action(self) -> &'static str {
        match self {
            Self::Handoff => "chat.topic.set",
            Self::Sweep => "chat.topic.reassert",
        }
    }
}

fn rooms(link: &ChatLink) -> Vec<ChatRoom> {
    link.slack_channels
        .iter()
        .cloned()
        .map(ChatRoom::Slack)
        .chain(link.matrix_rooms.iter().cloned().map(ChatRoom::Matrix))
        .collect()
}

/// The claim of a week's handoff post in one room.
pub fn post_claim(rotation: &str, room: &ChatRoom, week: &str) -> ClaimKey {
    ClaimKey::rotation(rotation, format!("chat#{room}#{week}"))
}

/// The claim of setting the user group for a week's shift: once per shift, since the port cannot
/// read a group's members to compare.
pub fn group_claim(rotation: &str, group: &SlackUserGroupId, week: &str) -> ClaimKey {
    ClaimKey::rotation(rotation, format!("chat-group#{group}#{week}"))
}

fn no_client(room: &ChatRoom) -> ChatOutcome {
    ChatOutcome::Skipped {
        why: format!(
            "no {} credentials are configured for this deployment",
            room.network()
        ),
    }
}

impl<S> HandoffJob<S>
where
    S: ShiftLedger + Claims + RosterMirror + AuditLog + IdempotencyStore + PlanSnapshots,
{
    fn person_of(&self, id: Option<&str>) -> Option<&Person> {
        id.and_then(|id| PersonId::parse(id).ok())
            .and_then(|id| self.roster.person(&id))
    }

    /// The weekly run's chat step for a committed `shift`: `None` when its rotation has no chat.
    pub(super) async fn chat_handoff(
        &self,
        shift: &ShiftRecord,
        trigger: &Trigger,
        brief: Option<&Result<Brief, String>>,
    ) -> Option<ChatReport> {
        let link = self.roster.rotation(&shift.rotation)?.chat.clone()?;
        let chat = self.chat.clone().unwrap_or_default();
        let mut report = ChatReport::default();
        let people = HandoffPeople {
            incoming: self.person_of(shift.primary.as_deref()),
            backup: self.person_of(shift.backup.as_deref()),
        };
        let post = handoff_post(
            shift,
            &people,
            brief,
            chat.page.as_ref().map(HttpUrl::as_str),
        );
        for room in rooms(&link) {
            let outcome = match (&post, chat.networks.for_room(&room)) {
                _ if trigger.dry_run => ChatOutcome::DryRun,
                (Err(e), _) => ChatOutcome::Failed {
                    reason: e.to_string(),
                },
                (_, None) => no_client(&room),
                (Ok(post), Some(api)) => {
                    let key = post_claim(&shift.rotation, &room, &shift.week);
                    let once = Once::new(&self.store, self.lease).patient(JOB_PATIENCE);
                    let poster = Poster {
                        actor: ACTOR,
                        cause: &trigger.event_id,
                    };
                    let result =
                        post_once(&once, &key, api, &room, post, poster, self.clock.now()).await;
                    post_outcome(&room, result)
                }
            };
            report.posts.push(ChatStep {
                target: room.to_string(),
                outcome,
            });
        }
        if trigger.dry_run {
            return Some(report);
        }
        if shift.start_utc > trigger.time {
            let why = format!(
                "the shift starts at {}: the topic and user group follow it then (the rotation-chat sweep)",
                shift.start_utc
            );
            for room in rooms(&link) {
                report.topics.push(ChatStep {
                    target: room.to_string(),
                    outcome: ChatOutcome::Skipped { why: why.clone() },
                });
            }
            return Some(report);
        }
        self.follow_duty(
            &link,
            shift,
            &chat,
            TopicCause::Handoff,
            &trigger.event_id,
            &mut report,
        )
        .await;
        Some(report)
    }

    /// The minute sweep: for each rotation with chat, the shift running at `trigger.time` gets its
    /// handoff post (when the weekly run's failed), its topic section and its user group.
    pub async fn chat_sweep(&self, trigger: &Trigger) -> Result<ChatSweepReport, JobError> {
        let chat = self.chat.clone().unwrap_or_default();
        let commands = match (&chat.commands, trigger.dry_run) {
            (Some(commands), false) => Some(
                match commands
                    .read_commands(&chat.networks, trigger.time, &trigger.event_id)
                    .await
                {
                    Ok(answer) => answer,
                    Err(error) => {
                        warn!(error = %crate::log_text::escape(&error), "room commands could not be read");
                        serde_json::json!({ "error": error })
                    }
                },
            ),
            _ => None,
        };
        let mut rotations = Vec::new();
        for rules in self
            .roster
            .rotation_names()
            .filter_map(|n| self.roster.rotation(n.as_str()))
        {
            let Some(link) = rules.chat.clone() else {
                continue;
            };
            let name = rules.name.as_str();
            let shifts = self.store.shifts(name).await?;
            let running = shifts
                .into_iter()
                .find(|s| s.start_utc <= trigger.time && trigger.time < s.end_utc);
            let Some(shift) = running else {
                rotations.push(RotationChat {
                    rotation: name.to_owned(),
                    week: None,
                    chat: ChatReport::default(),
                });
                continue;
            };
            let mut report = ChatReport::default();
            for room in rooms(&link) {
                let outcome = if trigger.dry_run {
                    ChatOutcome::DryRun
                } else {
                    self.catch_up_post(&shift, &room, &chat, &trigger.event_id)
                        .await
                };
                report.posts.push(ChatStep {
                    target: room.to_string(),
                    outcome,
                });
            }
            if !trigger.dry_run {
                self.follow_duty(
                    &link,
                    &shift,
                    &chat,
                    TopicCause::Sweep,
                    &trigger.event_id,
                    &mut report,
                )
                .await;
            }
            rotations.push(RotationChat {
                rotation: name.to_owned(),
                week: Some(shift.week.clone()),
                chat: report,
            });
        }
        let report = ChatSweepReport {
            event: trigger.event_id.clone(),
            rotations,
            commands,
        };
        match report.failures() {
            0 => Ok(report),
            failed => {
                warn!(failed, summary = %crate::log_text::escape(&report.summary()), "chat sweep left steps to the next minute");
                Err(JobError::ChatPending { failed })
            }
        }
    }

    /// The week's post in `room`, made now only if no run made it (the same claim as the weekly
    /// run's); the brief it carries is built only then.
    async fn catch_up_post(
        &self,
        shift: &ShiftRecord,
        room: &ChatRoom,
        chat: &HandoffChat,
        cause: &str,
    ) -> ChatOutcome {
        let Some(api) = chat.networks.for_room(room) else {
            return no_client(room);
        };
        let marker = match handoff_marker(&shift.rotation, &shift.week) {
            Ok(marker) => marker,
            Err(e) => {
                return ChatOutcome::Failed {
                    reason: e.to_string(),
                };
            }
        };
        let page = chat.page.as_ref().map(HttpUrl::as_str);
        let write =
            || -> std::pin::Pin<Box<dyn std::future::Future<Output = String> + Send + '_>> {
                Box::pin(async move {
                    let brief = self.brief_for_chat(self.clock.now()).await;
                    let people = HandoffPeople {
                        incoming: self.person_of(shift.primary.as_deref()),
                        backup: self.person_of(shift.backup.as_deref()),
                    };
                    // The marker was checked above, so the post's own check passes.
                    handoff_post(shift, &people, brief.as_ref(), page)
                        .map(|p| p.text)
                        .unwrap_or_default()
                })
            };
        let once = Once::new(&self.store, self.lease);
        let poster = Poster {
            actor: ACTOR,
            cause,
        };
        let key = post_claim(&shift.rotation, room, &shift.week);
        let result = post_once_later(
            &once,
            &key,
            api,
            room,
            &marker,
            &write,
            poster,
            self.clock.now(),
        )
        .await;
        let outcome = post_outcome(room, result);
        if let ChatOutcome::Posted { .. } = outcome {
            info!(room = %room, week = %shift.week, "the week's handoff post was missing: posted by the sweep");
        }
        outcome
    }

    /// Clinic's topic section in every room, and the user group, for the shift `shift`.
    async fn follow_duty(
        &self,
        link: &ChatLink,
        shift: &ShiftRecord,
        chat: &HandoffChat,
        why: TopicCause,
        cause: &str,
        report: &mut ChatReport,
    ) {
        let notice = match &chat.notices {
            Some(notices) => match notices.standing(&shift.rotation, self.clock.now()).await {
                Ok(notice) => notice,
                Err(e) => {
                    warn!(error = %e, "the standing notice could not be read; the topic shows none");
                    None
                }
            },
            None => None,
        };
        let incoming = self.person_of(shift.primary.as_deref());
        let backup = self.person_of(shift.backup.as_deref());
        let name = incoming
            .map(|p| p.name.as_str())
            .or(shift.primary.as_deref())
            .unwrap_or("nobody");
        let section = topic::render_section(
            &link.topic,
            &SectionValues {
                name,
                backup: backup.map(|p| p.name.as_str()).or(shift.backup.as_deref()),
                week: &shift.week,
                notice: notice.as_deref(),
            },
        );
        for room in rooms(link) {
            let outcome = match chat.networks.for_room(&room) {
                None => no_client(&room),
                Some(api) => {
                    self.assert_topic(api, &room, link, &section, shift, why, cause)
                        .await
                }
            };
            report.topics.push(ChatStep {
                target: room.to_string(),
                outcome,
            });
        }
        if let Some(group) = &link.slack_user_group {
            let outcome = self.set_group(group, incoming, shift, chat, cause).await;
            report.user_group = Some(ChatStep {
                target: format!("slack-group:{group}"),
                outcome,
            });
        }
    }

    /// Reads the room's topic and sets it when Clinic's section differs from `section`.
    #[allow(clippy::too_many_arguments)]
    async fn assert_topic(
        &self,
        api: &dyn ChatApi,
        room: &ChatRoom,
        link: &ChatLink,
        section: &str,
        shift: &ShiftRecord,
        why: TopicCause,
        cause: &str,
    ) -> ChatOutcome {
        let failed = |e: &dyn std::fmt::Display| ChatOutcome::Failed {
            reason: e.to_string(),
        };
        let current = match api.topic(room).await {
            Ok(topic) => topic,
            Err(e) => return failed(&e),
        };
        let update =
            match topic::replace_section(&current, link.topic.prefix(), section, TOPIC_LIMIT) {
                Ok(update) => update,
                Err(e) => {
                    warn!(room = %room, error = %e, "the topic has no room for Clinic's section");
                    return failed(&e);
                }
            };
        if !update.changes(&current) {
            return ChatOutcome::TopicKept;
        }
        if let Err(e) = api.set_topic(room, &update.topic).await {
            return failed(&e);
        }
        let because = match (why, &update.was) {
            (TopicCause::Handoff, _) => format!("the handoff of {}", shift.week),
            (TopicCause::Sweep, None) => "the topic had no Clinic section".to_owned(),
            (TopicCause::Sweep, Some(was)) => {
                format!("Clinic's section read {was:?}, not what the shift running now says")
            }
        };
        let audit = AuditEntry::new(
            self.clock.now(),
            ACTOR,
            why.action(),
            format!("chat/{room}/topic"),
            format!("section set to {:?}: {because}", update.section),
            cause,
        )
        .with_details(serde_json::json!({
            "rotation": shift.rotation, "week": shift.week, "was": update.was,
            "section": update.section, "trimmed": update.trimmed, "topic_before": current,
        }));
        if let Err(e) = self.store.record(&audit).await {
            // The topic is set; only its record is missing. Reported, so the run is retried; the
            // retry finds the topic right and records nothing more.
            return failed(&format!(
                "the topic was set but its audit entry failed: {e}"
            ));
        }
        info!(room = %room, action = why.action(), "topic section set");
        ChatOutcome::TopicSet {
            was: update.was,
            section: update.section,
        }
    }

    /// Makes the incoming person the user group's one member, once per shift (claimed).
    async fn set_group(
        &self,
        group: &SlackUserGroupId,
        incoming: Option<&Person>,
        shift: &ShiftRecord,
        chat: &HandoffChat,
        cause: &str,
    ) -> ChatOutcome {
        let Some(api) = chat.networks.slack.as_deref() else {
            return ChatOutcome::Skipped {
                why: "no slack credentials are configured for this deployment".into(),
            };
        };
        let Some(user) = incoming.and_then(|p| p.chat.slack_user.clone()) else {
            return ChatOutcome::Skipped {
                why: "nobody with a slack_user is on duty: the group is left as it is".into(),
            };
        };
        let setting = GroupSetting {
            api,
            group,
            users: vec![user],
            rotation: &shift.rotation,
            week: &shift.week,
            cause,
        };
        let key = group_claim(&shift.rotation, group, &shift.week);
        let result = Once::new(&self.store, self.lease)
            .patient(JOB_PATIENCE)
            .run(&key, &setting, self.clock.now())
            .await;
        match result {
            Ok(Outcome::Done { acted: true, .. }) => ChatOutcome::GroupSet {
                users: setting.users.iter().map(ToString::to_string).collect(),
            },
            Ok(Outcome::Done { acted: false, .. }) => ChatOutcome::GroupAlreadySet,
            Ok(Outcome::Busy { .. }) => ChatOutcome::HeldElsewhere,
            Err(OnceError::Store(e)) => ChatOutcome::Failed {
                reason: format!("the claims table failed: {e}"),
            },
            Err(OnceError::Effect(e)) => ChatOutcome::Failed {
                reason: e.to_string(),
            },
        }
    }

    /// The brief for a post the sweep makes up, or why it could not be built.
    async fn brief_for_chat(&self, at: jiff::Timestamp) -> Option<Result<Brief, String>> {
        self.brief_at(at).await
    }
}

fn post_outcome(room: &ChatRoom, result: Result<Outcome, OnceError<ChatError>>) -> ChatOutcome {
    match result {
        Ok(Outcome::Done {
            outcome,
            acted: true,
        }) => ChatOutcome::Posted { message: outcome },
        Ok(Outcome::Done { acted: false, .. }) => ChatOutcome::AlreadyPosted,
        Ok(Outcome::Busy { .. }) => ChatOutcome::HeldElsewhere,
        Err(OnceError::Store(e)) => ChatOutcome::Failed {
            reason: format!("the claims table failed: {e}"),
        },
        Err(OnceError::Effect(e)) => {
            warn!(room = %room, error = %crate::log_text::escape(&e.to_string()), retryable = e.is_retryable(), "chat post failed");
            ChatOutcome::Failed {
                reason: e.to_string(),
            }
        }
    }
}

/// Setting a user group's members: applying it twice is applying it once, so an attempt whose
/// answer was lost is simply made again.
struct GroupSetting<'a> {
    api: &'a dyn ChatApi,
    group: &'a SlackUserGroupId,
    users: Vec<SlackUserId>,
    rotation: &'a str,
    week: &'a str,
    cause: &'a str,
}

#[async_trait]
impl Effect for GroupSetting<'_> {
    type Error = ChatError;

    async fn look_up(&self) -> Result<Lookup, ChatError> {
        Ok(Lookup::Unsupported)
    }

    async fn act(
        &self,
        _attempt: u32,
        _now: jiff::Timestamp,
    ) -> Result<String, Failure<ChatError>> {
        match self.api.set_user_group(self.group, &self.users).await {
            Ok(()) => Ok(self
                .users
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(",")),
            Err(e @ ChatError::Unavailable { .. }) => Err(Failure::Unknown(e)),
            Err(e) => Err(Failure::Refused(e)),
        }
    }

    fn audit(&self, outcome: &str, _found: bool, now: jiff::Timestamp) -> AuditEntry {
        AuditEntry::new(
            now,
            ACTOR,
            "chat.usergroup.set",
            format!("chat/slack-group:{}", self.group),
            format!(
                "members set to {outcome}: on duty in {} {}",
                self.rotation, self.week
            ),
            self.cause,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::Network;
    use crate::chat::memory::{ChatFault, MemoryChat};
    use crate::claim::memory::MemoryClaims;

    fn at(minute: i64) -> jiff::Timestamp {
        jiff::Timestamp::from_second(1_800_000_000 + minute * 60).unwrap()
    }

    #[tokio::test]
    async fn the_user_group_is_set_once_per_shift_and_again_after_a_lost_answer() {
        let (claims, chat) = (MemoryClaims::default(), MemoryChat::new(Network::Slack));
        let group = SlackUserGroupId::parse("S0123ABCDEF").unwrap();
        let setting = GroupSetting {
            api: &chat,
            group: &group,
            users: vec![SlackUserId::parse("U0AKAUR001").unwrap()],
            rotation: "sre-clinic",
            week: "2027-W01",
            cause: "test",
        };
        let key = group_claim("sre-clinic", &group, "2027-W01");
        let once = Once::new(&claims, jiff::SignedDuration::from_secs(60));
        chat.script([ChatFault::LoseAnswer]);
        assert!(once.run(&key, &setting, at(0)).await.is_err());
        // Members cannot be read back; setting them again is setting them once.
        let again = once.run(&key, &setting, at(1)).await.unwrap();
        assert!(
            matches!(again, Outcome::Done { acted: true, .. }),
            "{again:?}"
        );
        let later = once.run(&key, &setting, at(2)).await.unwrap();
        assert!(
            matches!(later, Outcome::Done { acted: false, .. }),
            "{later:?}"
        );
        assert_eq!(chat.calls().len(), 2);
        assert_eq!(chat.members(&group).unwrap()[0].as_str(), "U0AKAUR001");
        assert_eq!(claims.audit.lock().unwrap()[0].action, "chat.usergroup.set");
    }
}
