//! The mail to the person on clinic duty when the circuits file shows that maintenances together
//! take a redundancy group down: two vendors that each "only reduce redundancy" on the two paths
//! of a group at overlapping times are an outage nobody announced. One mail per outage (the group,
//! its window and the maintenances taking part), under a claim, so a retried run or a second
//! notice that changes nothing about the outage never mails again; a notice that moves it does.

use std::sync::Arc;

use tracing::warn;

use super::circuits::{Circuits, GroupOutage, outages};
use super::lifecycle::MaintenanceRecord;
use super::model::Status;
use super::ports::DutyDirectory;
use crate::audit::AuditEntry;
use crate::claim::{ClaimKey, Claims, Once, OnceError, Outcome};
use crate::mail::{EmailAddress, MailError, Mailbox, Mailer, OnceMail, OutgoingMail};
use crate::store::StoreError;

/// The audit's actor: the maintenance-mail function, as the ingest's entries name it.
const ACTOR: &str = "maintenance-mail";
/// A claimed mail not sent within this is free for another invocation.
const LEASE: jiff::SignedDuration = jiff::SignedDuration::from_secs(120);

#[derive(Debug, thiserror::Error)]
pub enum OutageMailError {
    #[error("the table failed")]
    Store(#[from] StoreError),
    #[error("sending the outage mail failed")]
    Mail(#[from] MailError),
    #[error("another invocation is mailing {0} right now")]
    Busy(String),
}

/// What one outage came to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OutageNotice {
    pub group: String,
    /// `sent`, `already-sent`, or `nobody-on-duty` (kept for the next run to try again).
    pub outcome: &'static str,
}

/// Tells the person on duty in `rotation` of each outage.
pub struct OutageMail {
    claims: Arc<dyn Claims>,
    directory: Arc<dyn DutyDirectory>,
    mailer: Arc<dyn Mailer>,
    sender: EmailAddress,
    rotation: String,
}

impl OutageMail {
    pub fn new(
        claims: Arc<dyn Claims>,
        directory: Arc<dyn DutyDirectory>,
        mailer: Arc<dyn Mailer>,
        sender: EmailAddress,
        rotation: String,
    ) -> Self {
        Self {
            claims,
            directory,
            mailer,
            sender,
            rotation,
        }
    }

    /// Mails each outage of `records` through `circuits` not over at `now` that was not mailed yet.
    pub async fn notify(
        &self,
        records: &[MaintenanceRecord],
        circuits: &Circuits,
        now: jiff::Timestamp,
        cause: &str,
    ) -> Result<Vec<OutageNotice>, OutageMailError> {
        let coming: Vec<GroupOutage> = outages(records, circuits)
            .into_iter()
            .filter(|o| o.end > now.as_second())
            .collect();
        let mut notices = Vec::new();
        if coming.is_empty() {
            return Ok(notices);
        }
        let Some(duty) = self.directory.on_duty(&self.rotation, now).await? else {
            warn!(rotation = %self.rotation, outages = coming.len(), "nobody on duty to tell of an outage; the next run tries again");
            return Ok(coming
                .into_iter()
                .map(|o| OutageNotice {
                    group: o.group,
                    outcome: "nobody-on-duty",
                })
                .collect());
        };
        for outage in coming {
            let sent = self.mail_once(&outage, &duty, now, cause).await?;
            notices.push(OutageNotice {
                group: outage.group,
                outcome: if sent { "sent" } else { "already-sent" },
            });
        }
        Ok(notices)
    }

    async fn mail_once(
        &self,
        outage: &GroupOutage,
        to: &Mailbox,
        now: jiff::Timestamp,
        cause: &str,
    ) -> Result<bool, OutageMailError> {
        let key = ClaimKey::redundancy_group(&outage.group, claim_what(outage));
        let (subject, text) = mail_text(outage);
        let summary = format!(
            "outage of {} from {} to {} ({}) mailed to {}",
            outage.group,
            utc(outage.start),
            utc(outage.end),
            outage.maintenances.join(", "),
            to.address
        );
        let audited = Audited {
            action: "maintenance.outage-mail",
            subject: format!("redundancy-group/{}", outage.group),
            summary,
            cause,
        };
        self.send_once(&key, to, subject, text, audited, now).await
    }

    /// Sends one mail under `key`: `Ok(false)` when it was sent before.
    async fn send_once(
        &self,
        key: &ClaimKey,
        to: &Mailbox,
        subject: String,
        text: String,
        audited: Audited<'_>,
        now: jiff::Timestamp,
    ) -> Result<bool, OutageMailError> {
        let mail = OutgoingMail {
            from: Mailbox::new("Clinic", self.sender.clone()),
            to: vec![to.clone()],
            cc: Vec::new(),
            subject,
            html: format!("<pre>{}</pre>", crate::mail::escape_html(&text)),
            text,
        };
        let tag = key.to_string();
        let once = OnceMail {
            mailer: self.mailer.as_ref(),
            mail: &mail,
            message_id: Box::new(|attempt| {
                crate::mail::stable_message_id(&tag, &key.what, attempt)
            }),
            audit: Box::new(|_message_id, at| {
                AuditEntry::new(
                    at,
                    ACTOR,
                    audited.action,
                    audited.subject.clone(),
                    audited.summary.clone(),
                    audited.cause,
                )
            }),
        };
        match Once::new(self.claims.as_ref(), LEASE)
            .run(key, &once, now)
            .await
        {
            Ok(Outcome::Done { acted, .. }) => Ok(acted),
            Ok(Outcome::Busy { .. }) => Err(OutageMailError::Busy(key.to_string())),
            Err(OnceError::Store(e)) => Err(e.into()),
            Err(OnceError::Effect(e)) => Err(e.into()),
        }
    }

    /// The minute sweep's notices: to the person on duty, once each, when a maintenance that
    /// matters (it affects service, or takes part in an outage of a redundancy group) starts and
    /// when it ends. A notice more than [`NOTICE_GRACE`] late is not sent: it would only confuse.
    pub async fn start_and_end(
        &self,
        records: &[MaintenanceRecord],
        circuits: Option<&Circuits>,
        now: jiff::Timestamp,
        cause: &str,
        dry_run: bool,
    ) -> Result<Vec<MaintenanceNotice>, OutageMailError> {
        let due = due_notices(records, circuits, now);
        if due.is_empty() {
            return Ok(Vec::new());
        }
        let duty = if dry_run {
            None
        } else {
            self.directory.on_duty(&self.rotation, now).await?
        };
        let mut lines = Vec::new();
        for (record, slot, outage) in due {
            let name = format!("{}/{}", record.provider, record.maintenance_id);
            let outcome = match (&duty, dry_run) {
                (_, true) => "due",
                (None, false) => {
                    warn!(maintenance = %name, slot, "nobody on duty to tell; the next minute tries again");
                    "nobody-on-duty"
                }
                (Some(to), false) => {
                    let at = if slot == "start" {
                        record.start
                    } else {
                        record.end
                    };
                    let key = ClaimKey::maintenance(
                        &record.provider,
                        &record.maintenance_id,
                        format!("notice#{slot}#{at}"),
                    );
                    let (subject, text) = notice_text(record, slot, outage.as_deref());
                    let audited = Audited {
                        action: "maintenance.notice",
                        subject: record.subject(),
                        summary: format!("{slot} notice mailed to {}", to.address),
                        cause,
                    };
                    if self
                        .send_once(&key, to, subject, text, audited, now)
                        .await?
                    {
                        "sent"
                    } else {
                        "already-sent"
                    }
                }
            };
            lines.push(MaintenanceNotice {
                maintenance: name,
                slot,
                outcome,
            });
        }
        Ok(lines)
    }
}

/// How late a start or end notice may still go out.
pub const NOTICE_GRACE: jiff::SignedDuration = jiff::SignedDuration::from_mins(15);

/// How far around the minute the sweep reads maintenances to tell which take part in an outage:
/// an outage is an overlap, so a maintenance up to this long before or after one due now counts.
pub const OUTAGE_LOOKAROUND: jiff::SignedDuration = jiff::SignedDuration::from_hours(72);

/// One start or end notice of the minute sweep.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MaintenanceNotice {
    pub maintenance: String,
    /// `start` or `end`.
    pub slot: &'static str,
    /// `sent`, `already-sent`, `due` (dry run) or `nobody-on-duty`.
    pub outcome: &'static str,
}

/// What an audit entry of a sent mail says.
struct Audited<'a> {
    action: &'static str,
    subject: String,
    summary: String,
    cause: &'a str,
}

/// The notices due at `now`: each maintenance that matters whose start or end passed less than
/// [`NOTICE_GRACE`] ago, with the redundancy group it helps take down, if any.
fn due_notices<'r>(
    records: &'r [MaintenanceRecord],
    circuits: Option<&Circuits>,
    now: jiff::Timestamp,
) -> Vec<(&'r MaintenanceRecord, &'static str, Option<String>)> {
    let groups = circuits.map(|c| outages(records, c)).unwrap_or_default();
    let now = now.as_second();
    let grace = NOTICE_GRACE.as_secs();
    let mut due = Vec::new();
    for record in records {
        // An open-ended window (stored with its end at its start) has a start to tell, no end.
        let open_ended = record.open_ended;
        if matches!(record.status, Status::Cancelled) || (record.end <= record.start && !open_ended)
        {
            continue;
        }
        let name = format!("{}/{}", record.provider, record.maintenance_id);
        let outage = groups
            .iter()
            .find(|o| o.maintenances.contains(&name))
            .map(|o| o.group.clone());
        if record.only_reduces_redundancy() && outage.is_none() {
            continue;
        }
        for (slot, at) in [("start", record.start), ("end", record.end)] {
            // A vendor that said it completed early has nothing left to start.
            if (slot == "start" && matches!(record.status, Status::Completed))
                || (slot == "end" && open_ended)
            {
                continue;
            }
            if at <= now && now < at + grace {
                due.push((record, slot, outage.clone()));
            }
        }
    }
    due
}

fn notice_text(record: &MaintenanceRecord, slot: &str, outage: Option<&str>) -> (String, String) {
    let name = format!("{} {}", record.provider, record.maintenance_id);
    let circuits: Vec<String> = record
        .circuits
        .iter()
        .map(|c| {
            format!(
                "{} ({})",
                c.circuit_id,
                super::lifecycle::impact_name(c.impact)
            )
        })
        .collect();
    let until = if record.open_ended {
        "no end announced".to_owned()
    } else {
        utc(record.end)
    };
    let (subject, opening) = if slot == "start" {
        (
            format!("[clinic] Vendor maintenance starting: {name} until {until}"),
            format!(
                "Vendor maintenance {name} starts now ({} to {until}).",
                utc(record.start)
            ),
        )
    } else {
        (
            format!("[clinic] Vendor maintenance over: {name}"),
            format!(
                "Vendor maintenance {name} ({} to {}) should be over now: check that its circuits are back.",
                utc(record.start),
                utc(record.end)
            ),
        )
    };
    let mut text = format!("Hello,\n\n{opening}\n\nCircuits: {}\n", circuits.join(", "));
    if let Some(group) = outage {
        text.push_str(&format!(
            "It takes part in an outage of redundancy group {group}: with the others, no path is left.\n"
        ));
    }
    if let Some(ack) = &record.acknowledged {
        text.push_str(&format!("{} looked at it: {}\n", ack.by, ack.note));
    }
    text.push_str("\n-- Clinic\n");
    (subject, text)
}

/// The claim of one outage: its window and the maintenances taking part, so a notice that moves
/// the window or adds a maintenance is a new outage to tell of, and nothing else is.
fn claim_what(outage: &GroupOutage) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(outage.maintenances.join("\n").as_bytes());
    format!(
        "outage#{}#{}#{}",
        outage.start,
        outage.end,
        hex::encode(&digest[..8])
    )
}

fn utc(second: i64) -> String {
    jiff::Timestamp::from_second(second)
        .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|_| second.to_string())
}

fn mail_text(outage: &GroupOutage) -> (String, String) {
    let subject = format!(
        "[clinic] Outage risk: redundancy group {} ({}) down {} to {}",
        outage.group,
        outage.site,
        utc(outage.start),
        utc(outage.end)
    );
    let mut text = format!(
        "Hello,\n\nThe vendor maintenances below together affect every circuit of redundancy group {} \
         (site {}) from {} to {}: the group has no path left for that time.\n\n",
        outage.group,
        outage.site,
        utc(outage.start),
        utc(outage.end)
    );
    if outage.unannounced {
        text.push_str(
            "Every one of these notices says it only reduces redundancy: no vendor announced this outage.\n\n",
        );
    }
    text.push_str("Maintenances:\n");
    for m in &outage.maintenances {
        text.push_str(&format!("  - {m}\n"));
    }
    text.push_str("\nCircuits of the group:\n");
    for c in &outage.circuits {
        text.push_str(&format!("  - {c}\n"));
    }
    text.push_str(
        "\nAsk a vendor to move its window, or plan for the outage. Once someone has looked, record it with\n\
         `clinic maintenance ack PROVIDER/ID --note ...` for each maintenance: the brief and the calendar\n\
         show who looked.\n\n-- Clinic\n",
    );
    (subject, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outage(maintenances: &[&str], start: i64) -> GroupOutage {
        GroupOutage {
            group: "lis1-mad1".into(),
            site: "lis1".into(),
            start,
            end: start + 3600,
            maintenances: maintenances.iter().map(|m| m.to_string()).collect(),
            circuits: vec!["HT-LIS-MAD-07".into(), "NWF-LIS-MAD-01".into()],
            unannounced: true,
        }
    }

    #[test]
    fn an_outage_is_claimed_by_its_window_and_its_maintenances() {
        let a = outage(&["harbour/HT-1", "northwind/NW-1"], 1_800_000_000);
        assert_eq!(claim_what(&a), claim_what(&a.clone()));
        assert_ne!(
            claim_what(&a),
            claim_what(&outage(&["harbour/HT-1", "northwind/NW-1"], 1_800_000_600)),
            "a moved window is a new outage"
        );
        assert_ne!(
            claim_what(&a),
            claim_what(&outage(&["harbour/HT-1", "northwind/NW-2"], 1_800_000_000)),
            "another maintenance is a new outage"
        );
    }

    #[test]
    fn the_mail_says_which_group_goes_down_when_and_that_nobody_announced_it() {
        let (subject, text) =
            mail_text(&outage(&["harbour/HT-1", "northwind/NW-1"], 1_800_000_000));
        assert!(
            subject.contains("lis1-mad1") && subject.contains("2027-01-15 08:00 UTC"),
            "{subject}"
        );
        assert!(text.contains("no vendor announced this outage"), "{text}");
        assert!(text.contains("  - northwind/NW-1\n"), "{text}");
        assert!(text.contains("clinic maintenance ack"), "{text}");
    }

    const PATHS: &str = r#"
[[circuit]]
id = "HT-LIS-MAD-07"
site = "lis1"
service = "wave (second path)"
redundancy_group = "lis1-mad1"

[[circuit]]
id = "NWF-LIS-MAD-01"
site = "lis1"
service = "wave"
redundancy_group = "lis1-mad1"
"#;

    fn record(
        provider: &str,
        id: &str,
        circuit: &str,
        impact: crate::maintenance::Impact,
        window: (i64, i64),
    ) -> MaintenanceRecord {
        MaintenanceRecord::sample(provider, id, &[(circuit, impact)], window)
    }

    fn due_at(records: &[MaintenanceRecord], circuits: Option<&Circuits>, at: i64) -> Vec<String> {
        due_notices(records, circuits, jiff::Timestamp::from_second(at).unwrap())
            .into_iter()
            .map(|(r, slot, group)| {
                format!(
                    "{}/{} {slot}{}",
                    r.provider,
                    r.maintenance_id,
                    group.map(|g| format!(" ({g})")).unwrap_or_default()
                )
            })
            .collect()
    }

    const H: i64 = 3600;
    const T0: i64 = 1_900_000_000;

    #[test]
    fn a_start_or_end_notice_is_due_from_its_moment_for_the_grace_period_only() {
        use crate::maintenance::Impact;
        let r = [record(
            "acme",
            "A-1",
            "X-1",
            Impact::Outage,
            (T0, T0 + 4 * H),
        )];
        assert!(due_at(&r, None, T0 - 1).is_empty(), "not yet");
        assert_eq!(due_at(&r, None, T0), vec!["acme/A-1 start"]);
        assert_eq!(due_at(&r, None, T0 + 14 * 60 + 59), vec!["acme/A-1 start"]);
        assert!(
            due_at(&r, None, T0 + 15 * 60).is_empty(),
            "too late to help"
        );
        assert!(
            due_at(&r, None, T0 + 2 * H).is_empty(),
            "nothing mid-window"
        );
        assert_eq!(due_at(&r, None, T0 + 4 * H + 60), vec!["acme/A-1 end"]);
    }

    #[test]
    fn cancelled_and_redundancy_only_maintenances_give_no_notice_and_completed_ones_no_start() {
        use crate::maintenance::Impact;
        let mut cancelled = record("acme", "A-2", "X-2", Impact::Outage, (T0, T0 + H));
        cancelled.status = Status::Cancelled;
        let redundancy = record(
            "acme",
            "A-3",
            "X-3",
            Impact::ReducedRedundancy,
            (T0, T0 + H),
        );
        let mut completed = record("acme", "A-4", "X-4", Impact::Outage, (T0, T0 + H));
        completed.status = Status::Completed;
        let r = [cancelled, redundancy, completed];
        assert!(due_at(&r, None, T0 + 60).is_empty());
        assert_eq!(due_at(&r, None, T0 + H), vec!["acme/A-4 end"]);
    }

    #[test]
    fn redundancy_only_maintenances_that_together_take_a_group_down_get_notices_naming_it() {
        use crate::maintenance::Impact;
        let circuits = Circuits::parse(PATHS).unwrap();
        // The second path goes down two hours after the first, and comes back after it.
        let r = [
            record(
                "harbour-transit",
                "HT-1",
                "HT-LIS-MAD-07",
                Impact::ReducedRedundancy,
                (T0, T0 + 4 * H),
            ),
            record(
                "northwind",
                "NW-1",
                "NWF-LIS-MAD-01",
                Impact::ReducedRedundancy,
                (T0 + 2 * H, T0 + 6 * H),
            ),
        ];
        assert_eq!(
            due_at(&r, Some(&circuits), T0),
            vec!["harbour-transit/HT-1 start (lis1-mad1)"]
        );
        assert_eq!(
            due_at(&r, Some(&circuits), T0 + 6 * H),
            vec!["northwind/NW-1 end (lis1-mad1)"]
        );
        assert!(
            due_at(&r[..1], Some(&circuits), T0).is_empty(),
            "one path alone is no outage"
        );
        assert!(
            due_at(&r, None, T0).is_empty(),
            "without the circuits file nothing says they are the same group"
        );
    }

    #[test]
    fn an_open_ended_maintenance_gets_a_start_notice_and_no_end_notice() {
        use crate::maintenance::Impact;
        let mut r = record("acme", "A-6", "X-6", Impact::Outage, (T0, T0));
        r.open_ended = true;
        let r = [r];
        assert_eq!(due_at(&r, None, T0 + 60), vec!["acme/A-6 start"]);
        let mut closed = r[0].clone();
        closed.open_ended = false;
        assert!(
            due_at(&[closed], None, T0 + 60).is_empty(),
            "an empty window is nothing"
        );
    }

    #[test]
    fn the_notice_says_the_window_and_the_group_it_takes_down() {
        use crate::maintenance::Impact;
        let r = record("acme", "A-5", "X-5", Impact::Outage, (T0, T0 + H));
        let (subject, text) = notice_text(&r, "start", Some("lis1-mad1"));
        assert!(subject.contains("starting: acme A-5"), "{subject}");
        assert!(text.contains("lis1-mad1"), "{text}");
        let (subject, _) = notice_text(&r, "end", None);
        assert!(subject.contains("over: acme A-5"), "{subject}");
    }
}
