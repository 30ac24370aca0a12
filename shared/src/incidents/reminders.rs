//! The reminder sweep, run on a schedule: a Statuspage incident still open `remind_after` after
//! VictorOps resolved it earns one reminder per `remind_every` slot, to the responder and the person
//! on clinic duty, until Clinic sees it closed.

use serde::Serialize;
use tracing::info;

use super::desk::{ACTOR, DeskError, IncidentDesk};
use super::lifecycle::{IncidentRecord, Phase};
use super::ports::{Contact, Directory, DowntimeBook, IncidentLedger, StatuspageError};
use crate::audit::AuditEntry;
use crate::claim::ClaimKey;

/// One incident's fate in a sweep.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReminderLine {
    pub incident: String,
    pub statuspage_id: String,
    /// `not-resolved-in-victorops`, `not-yet-due`, `closed`, `sent`, `already-sent`, `due` (dry run),
    /// `no-recipient`, `failed` (logged; the next sweep tries again).
    pub outcome: &'static str,
    pub slot: Option<i64>,
    pub next_due: Option<jiff::Timestamp>,
    pub recipients: Vec<String>,
}

/// Which reminder slot `now` falls in: `None` before the first is due. Slots are counted from the
/// first due time; a sweep that missed a slot sends the current one only, never a backlog.
pub fn slot_at(
    resolved_at: jiff::Timestamp,
    after: jiff::SignedDuration,
    every: jiff::SignedDuration,
    now: jiff::Timestamp,
) -> Option<i64> {
    let first = resolved_at + after;
    if now < first {
        return None;
    }
    let elapsed = now.duration_since(first).as_secs();
    Some(elapsed / every.as_secs().max(1))
}

impl<S: IncidentLedger + Directory + DowntimeBook> IncidentDesk<S> {
    /// Sends the reminders due at `now`; with `dry_run` only lists them.
    pub async fn sweep(
        &self,
        now: jiff::Timestamp,
        cause: &str,
        dry_run: bool,
    ) -> Result<Vec<ReminderLine>, DeskError> {
        let mut lines = Vec::new();
        let mut first_error = None;
        for record in self.store().open_on_statuspage().await? {
            let number = record.number.to_string();
            let id = record.statuspage_id.clone().unwrap_or_default();
            // One incident's failure must not hold back the others' reminders; the sweep is retried.
            match self.remind(record, now, cause, dry_run).await {
                Ok(line) => lines.push(line),
                Err(e) => {
                    // Statuspage's answer may be quoted in it.
                    let reason = crate::log_text::escape(&e.to_string());
                    tracing::error!(incident = %number, error = %reason, "reminder failed");
                    lines.push(ReminderLine {
                        incident: number,
                        statuspage_id: id,
                        outcome: "failed",
                        slot: None,
                        next_due: None,
                        recipients: Vec::new(),
                    });
                    first_error.get_or_insert(e);
                }
            }
        }
        match first_error {
            Some(e) if lines.iter().all(|l| l.outcome == "failed") => Err(e),
            _ => Ok(lines),
        }
    }

    async fn remind(
        &self,
        record: IncidentRecord,
        now: jiff::Timestamp,
        cause: &str,
        dry_run: bool,
    ) -> Result<ReminderLine, DeskError> {
        let options = &self.mapping().options;
        let id = record.statuspage_id.clone().unwrap_or_default();
        let mut line = ReminderLine {
            incident: record.number.to_string(),
            statuspage_id: id.clone(),
            outcome: "not-resolved-in-victorops",
            slot: None,
            next_due: None,
            recipients: Vec::new(),
        };
        let (Phase::Resolved, Some(resolved_at)) = (record.phase, record.resolved_at) else {
            return Ok(line);
        };
        let Some(slot) = slot_at(resolved_at, options.remind_after, options.remind_every, now)
        else {
            line.outcome = "not-yet-due";
            line.next_due = Some(resolved_at + options.remind_after);
            return Ok(line);
        };
        line.slot = Some(slot);
        line.next_due = i32::try_from(slot + 1)
            .ok()
            .and_then(|n| options.remind_every.checked_mul(n))
            .and_then(|d| (resolved_at + options.remind_after).checked_add(d).ok());
        // A person may have closed it on Statuspage since the last sweep: ask before reminding.
        let status = match self.statuspage().incident_status(&id).await {
            Ok(status) => status,
            // Deleted on Statuspage by a person: as closed as it gets.
            Err(StatuspageError::Rejected { status: 404, .. }) => "deleted".to_owned(),
            Err(e) => return Err(e.into()),
        };
        if matches!(
            status.as_str(),
            "resolved" | "completed" | "postmortem" | "deleted"
        ) {
            line.outcome = "closed";
            line.next_due = None;
            if !dry_run {
                let audit = AuditEntry::new(
                    now,
                    ACTOR,
                    "statuspage.closed",
                    record.subject(),
                    format!("Statuspage incident {id} is {status}: reminders stop"),
                    cause,
                );
                self.amend(&record, audit, move |r| {
                    r.statuspage_status = Some(status.clone());
                    r.statuspage_closed_at.get_or_insert(now);
                })
                .await?;
            }
            return Ok(line);
        }
        let recipients = self.reminder_recipients(&record, now).await?;
        line.recipients = recipients.iter().map(|c| c.id.clone()).collect();
        if recipients.is_empty() {
            line.outcome = "no-recipient";
            return Ok(line);
        }
        if dry_run {
            line.outcome = "due";
            return Ok(line);
        }
        let subject = format!(
            "[clinic] Statuspage incident for VictorOps #{} is still open",
            record.number
        );
        let text = format!(
            "VictorOps incident #{} ({}) was resolved at {} but Statuspage incident {id} is still open ({}).\n\n\
             Please confirm recovery and resolve it on Statuspage. Clinic reminds again every {} minutes \
             until it is closed.\n",
            record.number,
            record.display_name,
            resolved_at.strftime("%Y-%m-%d %H:%M UTC"),
            status,
            options.remind_every.as_mins()
        );
        let sent = self
            .send_once(
                ClaimKey::incident(record.number.as_str(), format!("reminder-{slot}")),
                &recipients,
                subject,
                text,
                &record.subject(),
                "reminder.send",
                cause,
                now,
            )
            .await?;
        line.outcome = if sent.is_some() {
            "sent"
        } else {
            "already-sent"
        };
        info!(incident = %record.number, slot, outcome = line.outcome, "reminder");
        Ok(line)
    }

    async fn reminder_recipients(
        &self,
        record: &IncidentRecord,
        now: jiff::Timestamp,
    ) -> Result<Vec<Contact>, DeskError> {
        let mut people = Vec::new();
        if let Some(user) = record.responder() {
            match self.store().by_victorops_user(user).await? {
                Some(contact) => people.push(contact),
                None => tracing::warn!(user, "no roster entry names this VictorOps user"),
            }
        }
        if let Some(duty) = self.store().on_duty(self.duty_rotation(), now).await?
            && !people.iter().any(|p: &Contact| p.id == duty.id)
        {
            people.push(duty);
        }
        Ok(people)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> jiff::Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn reminder_slots_start_after_the_delay_and_repeat_each_interval() {
        let resolved = t("2026-01-01T10:00:00Z");
        let after = jiff::SignedDuration::from_mins(30);
        let every = jiff::SignedDuration::from_hours(3);
        assert_eq!(
            slot_at(resolved, after, every, t("2026-01-01T10:29:59Z")),
            None
        );
        assert_eq!(
            slot_at(resolved, after, every, t("2026-01-01T10:30:00Z")),
            Some(0)
        );
        assert_eq!(
            slot_at(resolved, after, every, t("2026-01-01T13:29:00Z")),
            Some(0)
        );
        assert_eq!(
            slot_at(resolved, after, every, t("2026-01-01T13:30:00Z")),
            Some(1)
        );
    }
}
