//! Planned downtime of our own: a window recorded in the table, posted as a Statuspage scheduled
//! maintenance, and announced by mail 7 days ahead (or at once with `--urgent`), 1 minute before it
//! starts, and optionally after it ends. The timed mails go out from the reminder sweep, once each.

use serde::Serialize;

use super::desk::{ACTOR, DeskError, IncidentDesk};
use super::mapping::Mapping;
use super::ports::{
    ANNOUNCE_AHEAD, Contact, Directory, DowntimeBook, DowntimeKind, DowntimeWindow, ENDED,
    IncidentLedger, NewMaintenance, START_AHEAD,
};
use super::publish::ScheduleMaintenance;
use crate::audit::AuditEntry;
use crate::claim::ClaimKey;
use crate::mail::EmailAddress;

const LONGEST: jiff::SignedDuration = jiff::SignedDuration::from_hours(14 * 24);

/// What the operator asked for, as typed.
#[derive(Debug, Clone)]
pub struct DowntimeRequest {
    pub services: Vec<String>,
    pub start: String,
    pub end: String,
    pub impact: String,
    pub urgent: bool,
    pub mail_after: bool,
    pub announce: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum DowntimeError {
    /// The request itself is wrong: nothing was recorded.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Desk(#[from] DeskError),
}

/// `YYYY-MM-DD HH:MM` (or with `T`), UTC.
pub fn parse_utc(what: &str, text: &str) -> Result<jiff::Timestamp, DowntimeError> {
    let normal = text.trim().replacen('T', " ", 1);
    let normal = normal.strip_suffix('Z').unwrap_or(&normal);
    jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M", normal)
        .ok()
        .and_then(|dt| dt.to_zoned(jiff::tz::TimeZone::UTC).ok())
        .map(|z| z.timestamp())
        .ok_or_else(|| {
            DowntimeError::Invalid(format!(
                "{what} must be YYYY-MM-DD HH:MM in UTC (got {text:?})"
            ))
        })
}

/// Validates a request into a window; refuses short notice unless `urgent`.
pub fn plan_window(
    request: &DowntimeRequest,
    mapping: &Mapping,
    now: jiff::Timestamp,
    created_by: &str,
) -> Result<DowntimeWindow, DowntimeError> {
    let invalid = |m: String| DowntimeError::Invalid(m);
    let start = parse_utc("--start", &request.start)?;
    let end = parse_utc("--end", &request.end)?;
    if end <= start {
        return Err(invalid("--end must be after --start".into()));
    }
    if end.duration_since(start) > LONGEST {
        return Err(invalid("a window lasts at most 14 days".into()));
    }
    if start <= now + START_AHEAD {
        return Err(invalid(format!("--start {start} is not in the future")));
    }
    if start.duration_since(now) < ANNOUNCE_AHEAD && !request.urgent {
        return Err(invalid(format!(
            "less than 7 days remain before {start}: announce earlier, or pass --urgent (the mail then says it is short notice)"
        )));
    }
    let mut services = Vec::new();
    let mut component_ids = Vec::new();
    for name in request
        .services
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    {
        let id = mapping.services.get(name).ok_or_else(|| {
            invalid(format!(
                "unknown service {name:?}; the mapping file's [services] names: {}",
                mapping
                    .services
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        if !services.iter().any(|s| s == name) {
            services.push(name.to_owned());
            component_ids.push(id.clone());
        }
    }
    if services.is_empty() {
        return Err(invalid("--services names no service".into()));
    }
    let announce = request
        .announce
        .iter()
        .map(|a| a.trim())
        .filter(|a| !a.is_empty())
        .map(|a| EmailAddress::parse(a).map_err(|e| invalid(e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    if announce.is_empty() {
        return Err(invalid(
            "nobody to announce to: give --announce-to or set CLINIC_ANNOUNCE_LIST".into(),
        ));
    }
    Ok(DowntimeWindow {
        id: format!(
            "{}-{}",
            start.strftime("%Y%m%dT%H%M"),
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        ),
        services,
        component_ids,
        start,
        end,
        kind: DowntimeKind::parse(&request.impact).map_err(invalid)?,
        urgent: request.urgent,
        mail_after: request.mail_after,
        announce,
        statuspage_id: None,
        mails_done: Vec::new(),
        created_at: now,
        created_by: created_by.to_owned(),
        version: 0,
    })
}

/// One window's fate in a sweep.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DowntimeLine {
    pub window: String,
    pub slot: &'static str,
    /// `sent`, `already-sent`, `skipped` (the window is over), `due` (dry run), `left-to-statuspage`
    /// (the mapping's `downtime_notices = "statuspage"`); for slot `ended`,
    /// `held-incident-published` once per held incident still open when the window ended.
    pub outcome: &'static str,
}

fn mail_text(window: &DowntimeWindow, slot: &str) -> (String, String) {
    let services = window.services.join(", ");
    let when = format!(
        "{} to {} UTC",
        window.start.strftime("%Y-%m-%d %H:%M"),
        window.end.strftime("%Y-%m-%d %H:%M")
    );
    let expect = window.kind.expectation();
    match slot {
        "announce" => (
            format!("[planned downtime] {services}: {when}"),
            format!(
                "{}Planned maintenance of {services} from {when}.\n\nWhat to expect: {expect}.\n",
                if window.urgent {
                    "SHORT NOTICE: this maintenance is announced less than 7 days ahead.\n\n"
                } else {
                    ""
                }
            ),
        ),
        "start" => (
            format!("[planned downtime] starting now: {services}"),
            format!(
                "The planned maintenance of {services} ({when}) starts in one minute.\n\nWhat to expect: {expect}.\n"
            ),
        ),
        _ => (
            format!("[planned downtime] finished: {services}"),
            format!("The planned maintenance of {services} ({when}) has ended.\n"),
        ),
    }
}

impl<S: IncidentLedger + Directory + DowntimeBook> IncidentDesk<S> {
    /// Records the window, posts the Statuspage scheduled maintenance, and sends what is due now
    /// (the announcement when `--urgent`).
    pub async fn schedule_downtime(
        &self,
        window: DowntimeWindow,
        cause: &str,
        now: jiff::Timestamp,
    ) -> Result<(DowntimeWindow, Vec<DowntimeLine>), DeskError> {
        let mut window = window;
        window.version = 1;
        let audit = AuditEntry::new(
            now,
            &window.created_by,
            "downtime.schedule",
            window.subject(),
            format!(
                "planned downtime of {} from {} to {} ({:?}{})",
                window.services.join(", "),
                window.start,
                window.end,
                window.kind,
                if window.urgent { ", urgent" } else { "" }
            ),
            cause,
        );
        if !self.store().save_window(&window, &audit).await? {
            return Err(DeskError::Contended(window.id.clone()));
        }
        let key = ClaimKey::downtime(&window.id, "statuspage-create");
        let post = ScheduleMaintenance {
            page: self.statuspage(),
            maintenance: NewMaintenance {
                downtime_id: window.id.clone(),
                name: format!("Planned maintenance: {}", window.services.join(", ")),
                body: format!(
                    "Planned maintenance of {}. What to expect: {}.",
                    window.services.join(", "),
                    window.kind.expectation()
                ),
                scheduled_for: window.start,
                scheduled_until: window.end,
                component_ids: window.component_ids.clone(),
                deliver_notifications: self.mapping().options.deliver_notifications,
                statuspage_reminds: self.mapping().options.statuspage_reminds_of_downtime(),
            },
            subject: window.subject(),
            cause,
        };
        let id = self.once(&window.subject(), &key, &post, now).await?;
        window.statuspage_id = Some(id);
        let audit = AuditEntry::new(
            now,
            ACTOR,
            "downtime.link",
            window.subject(),
            "linked to its Statuspage scheduled maintenance",
            cause,
        );
        window = self.save_window_change(window, audit).await?;
        let mut lines = Vec::new();
        let window = self.send_due(window, now, cause, false, &mut lines).await?;
        Ok((window, lines))
    }

    /// The timed mails due at `now` for every pending window.
    pub async fn downtime_sweep(
        &self,
        now: jiff::Timestamp,
        cause: &str,
        dry_run: bool,
    ) -> Result<Vec<DowntimeLine>, DeskError> {
        let mut lines = Vec::new();
        for window in self.store().pending_windows().await? {
            self.send_due(window, now, cause, dry_run, &mut lines)
                .await?;
        }
        Ok(lines)
    }

    async fn save_window_change(
        &self,
        mut window: DowntimeWindow,
        audit: AuditEntry,
    ) -> Result<DowntimeWindow, DeskError> {
        window.version += 1;
        if self.store().save_window(&window, &audit).await? {
            Ok(window)
        } else {
            Err(DeskError::Contended(window.id.clone()))
        }
    }

    async fn send_due(
        &self,
        mut window: DowntimeWindow,
        now: jiff::Timestamp,
        cause: &str,
        dry_run: bool,
        lines: &mut Vec<DowntimeLine>,
    ) -> Result<DowntimeWindow, DeskError> {
        for (slot, due) in window.slots() {
            if now < due || window.mails_done.iter().any(|d| d == slot) {
                continue;
            }
            // A "starting now" mail after the window ended would only confuse.
            let over = slot == "start" && now >= window.end;
            let outcome = if !self.mapping().options.clinic_mails_downtime() {
                // The operator left these notices to Statuspage: mailing too would say it twice.
                "left-to-statuspage"
            } else if dry_run {
                "due"
            } else if over {
                "skipped"
            } else {
                let (subject, text) = mail_text(&window, slot);
                let to: Vec<Contact> = window
                    .announce
                    .iter()
                    .map(|a| Contact {
                        id: a.to_string(),
                        name: a.to_string(),
                        email: a.clone(),
                    })
                    .collect();
                let sent = self
                    .send_once(
                        ClaimKey::downtime(&window.id, format!("mail-{slot}")),
                        &to,
                        subject,
                        text,
                        &window.subject(),
                        "downtime.mail",
                        cause,
                        now,
                    )
                    .await?;
                if sent.is_some() {
                    "sent"
                } else {
                    "already-sent"
                }
            };
            lines.push(DowntimeLine {
                window: window.id.clone(),
                slot,
                outcome,
            });
            if !dry_run {
                let audit = AuditEntry::new(
                    now,
                    ACTOR,
                    "downtime.progress",
                    window.subject(),
                    format!("{slot} mail {outcome}"),
                    cause,
                );
                let mut next = window.clone();
                next.mails_done.push(slot.to_owned());
                window = self.save_window_change(next, audit).await?;
            }
        }
        if !dry_run && now >= window.end && !window.mails_done.iter().any(|d| d == ENDED) {
            window = self.end_window(window, now, cause, lines).await?;
        }
        Ok(window)
    }

    /// The window is over: the incidents it held back that are still open were not (only) the
    /// planned work, so they are published now. Marked ended only once they are, so a Statuspage
    /// failure here is retried by the next sweep (each publication is claimed once).
    async fn end_window(
        &self,
        window: DowntimeWindow,
        now: jiff::Timestamp,
        cause: &str,
        lines: &mut Vec<DowntimeLine>,
    ) -> Result<DowntimeWindow, DeskError> {
        let mut published = 0;
        for record in self
            .store()
            .held_incidents(window.start - HELD_SLACK)
            .await?
        {
            let held_here = record.hold.as_ref().is_some_and(|h| h.window == window.id);
            if !held_here || !record.outlasted_its_window(now) {
                continue;
            }
            let (record, _, _) = self.publish(record, cause, now).await?;
            self.release_if_outlasted(record, cause, now).await?;
            published += 1;
            lines.push(DowntimeLine {
                window: window.id.clone(),
                slot: ENDED,
                outcome: "held-incident-published",
            });
        }
        let audit = AuditEntry::new(
            now,
            ACTOR,
            "downtime.ended",
            window.subject(),
            format!(
                "the window ended; {published} incident(s) it held back were still open and are published"
            ),
            cause,
        );
        let mut next = window;
        next.mails_done.push(ENDED.to_owned());
        self.save_window_change(next, audit).await
    }
}

/// Incidents are listed by when Clinic first saw them, which trails the VictorOps time the hold was
/// decided on; this much earlier than the window's start is searched too.
const HELD_SLACK: jiff::SignedDuration = jiff::SignedDuration::from_hours(1);

#[cfg(test)]
mod tests {
    use super::*;

    fn mapping() -> Mapping {
        Mapping::parse("[services]\napi = \"h7wv9qjxpl2s\"\n").unwrap()
    }

    fn request(start: &str, urgent: bool) -> DowntimeRequest {
        DowntimeRequest {
            services: vec!["api".into()],
            start: start.into(),
            end: "2027-02-20 03:00".into(),
            impact: "degraded".into(),
            urgent,
            mail_after: true,
            announce: vec!["users@example.org".into()],
        }
    }

    fn now() -> jiff::Timestamp {
        "2027-02-10T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn short_notice_is_refused_unless_urgent() {
        let err = plan_window(
            &request("2027-02-15 01:00", false),
            &mapping(),
            now(),
            "cli",
        )
        .unwrap_err();
        assert!(err.to_string().contains("--urgent"), "{err}");
        let w = plan_window(&request("2027-02-15 01:00", true), &mapping(), now(), "cli").unwrap();
        assert_eq!(w.slots()[0], ("announce", now()));
    }

    #[test]
    fn a_window_a_fortnight_ahead_is_announced_seven_days_before() {
        let w = plan_window(
            &request("2027-02-20 01:00", false),
            &mapping(),
            now(),
            "cli",
        )
        .unwrap();
        let slots = w.slots();
        assert_eq!(slots[0].1.to_string(), "2027-02-13T01:00:00Z");
        assert_eq!(slots[1].1.to_string(), "2027-02-20T00:59:00Z");
        assert_eq!(slots[2].1.to_string(), "2027-02-20T03:00:00Z");
        assert_eq!(w.component_ids, vec!["h7wv9qjxpl2s"]);
    }

    #[test]
    fn bad_requests_say_what_is_wrong() {
        let mut r = request("2027-02-20 01:00", false);
        r.services = vec!["nope".into()];
        assert!(
            plan_window(&r, &mapping(), now(), "cli")
                .unwrap_err()
                .to_string()
                .contains("unknown service")
        );
        assert!(parse_utc("--start", "20/02/2027 01:00").is_err());
        assert!(parse_utc("--start", "2027-02-20T01:00").is_ok());
        let r = request("2027-02-20 04:00", false);
        assert!(
            plan_window(&r, &mapping(), now(), "cli")
                .unwrap_err()
                .to_string()
                .contains("after --start")
        );
    }
}
