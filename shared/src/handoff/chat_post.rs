//! What Clinic says in a rotation's rooms at a handoff: who comes on duty and who backs them up,
//! the brief's headline counts, and where the page is. The same plain text on Slack and Matrix.

use std::fmt::Write as _;

use crate::brief::{Brief, render};
use crate::chat::{ChatPost, PostMarker, PostMarkerError};
use crate::rotation::roster::Person;
use crate::shifts::ShiftRecord;

/// The marker of a week's handoff post: `handoff/<rotation>/<week>`.
pub fn handoff_marker(rotation: &str, week: &str) -> Result<PostMarker, PostMarkerError> {
    PostMarker::new(format!("handoff/{rotation}/{week}"))
}

/// Who a handoff post names, as the roster has them (`None` when the roster no longer names the
/// person the shift was committed for: the post then gives their id).
pub struct HandoffPeople<'a> {
    pub incoming: Option<&'a Person>,
    pub backup: Option<&'a Person>,
}

/// The handoff post of `shift`. `brief` is the brief at the handoff, or why it could not be built;
/// `page` is the web page's address, when the deployment has one.
pub fn handoff_post(
    shift: &ShiftRecord,
    people: &HandoffPeople<'_>,
    brief: Option<&Result<Brief, String>>,
    page: Option<&str>,
) -> Result<ChatPost, PostMarkerError> {
    let named = |person: Option<&Person>, id: Option<&str>| {
        person
            .map(|p| p.name.clone())
            .or_else(|| id.map(str::to_owned))
    };
    let mut text = format!(
        "Clinic handoff: {} {}, from {}: ",
        shift.rotation,
        shift.week,
        render::when(shift.start_utc, None)
    );
    match named(people.incoming, shift.primary.as_deref()) {
        Some(name) => {
            let _ = write!(text, "{name} is on duty");
            match named(people.backup, shift.backup.as_deref()) {
                Some(backup) => {
                    let _ = write!(text, ", backup {backup}.");
                }
                None => text.push_str(", no backup."),
            }
        }
        None => {
            let why = shift
                .unstaffed_reason
                .as_deref()
                .unwrap_or("nobody can serve");
            let _ = write!(text, "NOBODY is on duty ({why}).");
        }
    }
    match brief {
        Some(Ok(brief)) => {
            let _ = write!(text, "\nNow: {}.", headline_counts(brief));
        }
        Some(Err(_)) => text.push_str("\nThe brief could not be built; `clinic status` prints it."),
        None => {}
    }
    if let Some(page) = page {
        let _ = write!(text, "\n{}/now", page.trim_end_matches('/'));
    }
    Ok(ChatPost {
        marker: handoff_marker(&shift.rotation, &shift.week)?,
        text,
    })
}

/// The brief's sections as counts: `2 tasks need triage, 1 stale task, ...`.
pub fn headline_counts(brief: &Brief) -> String {
    let count =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    [
        count(
            brief.needs_triage.total,
            "task needs triage",
            "tasks need triage",
        ),
        count(brief.stale.total, "stale task", "stale tasks"),
        count(
            brief.access_requests.total,
            "access request",
            "access requests",
        ),
        count(
            brief.open_incidents.total,
            "open incident",
            "open incidents",
        ),
        format!(
            "{} in the next {} days",
            count(
                brief.maintenance.total,
                "vendor maintenance",
                "vendor maintenances"
            ),
            brief.maintenance_days
        ),
        count(brief.mail_review.total, "mail to review", "mails to review"),
    ]
    .join(", ")
}
