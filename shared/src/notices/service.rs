//! Running a command against the board: only allow-listed people post; a post replaces the notice
//! standing, `ok` clears it, each write conditional on the version read (a lost race reads again)
//! and written with its audit entry. Expiry needs no write to take effect; the sweep records it once.

use serde_json::json;
use tracing::{info, warn};

use super::command::Command;
use super::model::{Notice, Via};
use super::ports::{Board, BoardWrite, HandledCommand, NoticeBoard};
use crate::audit::AuditEntry;
use crate::rotation::roster::{MatrixUserId, NoticeSettings, PersonId, Roster, SlackUserId};
use crate::store::StoreError;

/// The audit subject of every notice entry: the history of notices is the audit log's.
pub const SUBJECT: &str = "notices/current";
/// Reads and writes of a contended board before giving up: two people posting at once settle in one
/// retry; more means something is looping.
const TRIES: usize = 4;

/// Who runs a command, and through what, as the audit entry records it.
#[derive(Debug, Clone)]
pub struct Poster<'a> {
    /// The roster person the notice is theirs.
    pub person: &'a PersonId,
    pub via: Via,
    /// Who acted, beside the person: `cli:$USER` for an operator, `slack:U…`, `matrix:@…`, `web`.
    pub actor: &'a str,
    /// The invocation, delivery or event that caused it.
    pub cause: &'a str,
}

/// What a command did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Posted {
    /// The notice stands, in place of `replaced` (one still standing) when there was one.
    Posted {
        notice: Notice,
        replaced: Option<Notice>,
    },
    /// The board is clear; `was` the notice that stood until now.
    Cleared { was: Option<Notice> },
    /// This very command was handled before (a retried delivery, a re-read message): its reply.
    AlreadyHandled(String),
}

impl Posted {
    /// The answer the poster sees (a Slack ephemeral message, a Matrix reply, the CLI's line).
    pub fn reply(&self, now: jiff::Timestamp) -> String {
        match self {
            Posted::Posted { notice, replaced } => {
                let mut reply = format!("posted: {}", notice.line(None, now));
                if let Some(old) = replaced {
                    reply.push_str(&format!(
                        " (replacing {}'s {}: {})",
                        old.posted_by,
                        old.level,
                        old.text.as_str()
                    ));
                }
                reply
            }
            Posted::Cleared { was: Some(old) } => format!(
                "cleared {}'s {}: {}",
                old.posted_by,
                old.level,
                old.text.as_str()
            ),
            Posted::Cleared { was: None } => "no notice was standing; the board is clear".into(),
            Posted::AlreadyHandled(reply) => reply.clone(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum NoticeError {
    /// The person is not in the roster's `[notices] allow`.
    #[error("{0} may not post notices: ask to be added to the roster's [notices] allow")]
    NotAllowed(String),
    #[error("the notice board could not be read or written")]
    Store(#[from] StoreError),
    /// The board kept moving under this command (someone posting in a loop?).
    #[error("the notice board changed {TRIES} times while this command ran; try again")]
    Contended,
}

impl NoticeError {
    /// Whether the command itself was refused (no use retrying it as it is).
    pub fn is_callers(&self) -> bool {
        matches!(self, NoticeError::NotAllowed(_))
    }
}

/// The roster person a Slack user is (`slack_user`).
pub fn person_by_slack<'a>(roster: &'a Roster, user: &str) -> Option<&'a PersonId> {
    let user = SlackUserId::parse(user).ok()?;
    roster
        .people()
        .iter()
        .find(|p| p.chat.slack_user.as_ref() == Some(&user))
        .map(|p| &p.id)
}

/// The roster person a Matrix user is (`matrix_user`).
pub fn person_by_matrix<'a>(roster: &'a Roster, user: &MatrixUserId) -> Option<&'a PersonId> {
    roster
        .people()
        .iter()
        .find(|p| p.chat.matrix_user.as_ref() == Some(user))
        .map(|p| &p.id)
}

/// The notice standing at `now`, if any: one read; a notice past its expiry is not current.
pub async fn current(
    board: &dyn NoticeBoard,
    now: jiff::Timestamp,
) -> Result<Option<Notice>, StoreError> {
    Ok(board.board().await?.notice.filter(|n| n.stands_at(now)))
}

/// Runs `command` for `poster`. `handled_as` names a command that must take effect once however
/// often it arrives (a Slack delivery, a Matrix event): a repeat answers the first one's reply.
/// Nothing is written when the person is not allowed.
pub async fn run(
    board: &dyn NoticeBoard,
    settings: &NoticeSettings,
    poster: &Poster<'_>,
    command: &Command,
    handled_as: Option<&str>,
    now: jiff::Timestamp,
) -> Result<Posted, NoticeError> {
    if !settings.allows(poster.person) {
        warn!(person = %poster.person, via = %poster.via, "notice refused: not on the allow list");
        return Err(NoticeError::NotAllowed(poster.person.to_string()));
    }
    for _ in 0..TRIES {
        let read = board.board().await?;
        let standing = read.notice.clone().filter(|n| n.stands_at(now));
        let (next, posted, audit) = change(&read, standing, settings, poster, command, now);
        let reply = posted.reply(now);
        let handled = handled_as.map(|id| HandledCommand { id, reply: &reply });
        match board
            .write_board(read.version, &next, &audit, handled, now)
            .await?
        {
            BoardWrite::Written => {
                info!(person = %poster.person, via = %poster.via, action = %audit.action, "notice board changed");
                return Ok(posted);
            }
            BoardWrite::Handled(reply) => return Ok(Posted::AlreadyHandled(reply)),
            BoardWrite::Moved => continue,
        }
    }
    Err(NoticeError::Contended)
}

/// The board after `command`, what to tell the poster, and the audit entry.
fn change(
    read: &Board,
    standing: Option<Notice>,
    settings: &NoticeSettings,
    poster: &Poster<'_>,
    command: &Command,
    now: jiff::Timestamp,
) -> (Board, Posted, AuditEntry) {
    let version = read.version + 1;
    // An earlier notice past its expiry that the sweep has not recorded yet ends here.
    let lapsed = read.notice.clone().filter(|n| !n.stands_at(now));
    match command {
        Command::Post {
            level,
            text,
            task,
            hours,
        } => {
            let hours = hours.unwrap_or(settings.expiry_hours);
            let notice = Notice {
                level: *level,
                text: text.clone(),
                task: *task,
                posted_by: poster.person.to_string(),
                via: poster.via,
                posted_at: now,
                expires_at: now + jiff::SignedDuration::from_hours(i64::from(hours)),
            };
            let why = match &standing {
                Some(old) => format!(
                    "{} {level} via {}: {} (replacing {}'s {}: {})",
                    poster.person,
                    poster.via,
                    text.as_str(),
                    old.posted_by,
                    old.level,
                    old.text.as_str()
                ),
                None => format!(
                    "{} {level} via {}: {}",
                    poster.person,
                    poster.via,
                    text.as_str()
                ),
            };
            let audit =
                AuditEntry::new(now, poster.actor, "notice.post", SUBJECT, why, poster.cause)
                    .with_details(json!({
                        "person": poster.person.as_str(),
                        "notice": notice,
                        "replaced": standing,
                        "lapsed": lapsed,
                    }));
            (
                Board {
                    notice: Some(notice.clone()),
                    version,
                },
                Posted::Posted {
                    notice,
                    replaced: standing,
                },
                audit,
            )
        }
        Command::Ok { text } => {
            let said = text
                .as_ref()
                .map(|t| format!(": {}", t.as_str()))
                .unwrap_or_default();
            let why = match &standing {
                Some(old) => format!(
                    "{} ok via {}{said} (clearing {}'s {}: {})",
                    poster.person,
                    poster.via,
                    old.posted_by,
                    old.level,
                    old.text.as_str()
                ),
                None => format!(
                    "{} ok via {}{said} (nothing was standing)",
                    poster.person, poster.via
                ),
            };
            let audit = AuditEntry::new(
                now,
                poster.actor,
                "notice.clear",
                SUBJECT,
                why,
                poster.cause,
            )
            .with_details(json!({
                "person": poster.person.as_str(),
                "cleared": standing,
                "lapsed": lapsed,
                "text": text.as_ref().map(|t| t.as_str()),
            }));
            (
                Board {
                    notice: None,
                    version,
                },
                Posted::Cleared { was: standing },
                audit,
            )
        }
    }
}

/// Records the end of a notice past its expiry, once: the write is conditional on the version
/// read, so of two sweeps racing only one audits `notice.expired`. Returns the notice it ended.
pub async fn sweep_expired(
    board: &dyn NoticeBoard,
    actor: &str,
    cause: &str,
    now: jiff::Timestamp,
) -> Result<Option<Notice>, StoreError> {
    let read = board.board().await?;
    let Some(notice) = read.notice.clone().filter(|n| !n.stands_at(now)) else {
        return Ok(None);
    };
    let audit = AuditEntry::new(
        now,
        actor,
        "notice.expired",
        SUBJECT,
        format!(
            "{}'s {} expired at {}: {}",
            notice.posted_by,
            notice.level,
            notice.expires_at,
            notice.text.as_str()
        ),
        cause,
    )
    .with_details(json!({ "notice": notice }));
    let next = Board {
        notice: None,
        version: read.version + 1,
    };
    match board
        .write_board(read.version, &next, &audit, None, now)
        .await?
    {
        BoardWrite::Written => Ok(Some(notice)),
        // Another sweep or a post got there first; it recorded the end.
        BoardWrite::Moved | BoardWrite::Handled(_) => Ok(None),
    }
}
