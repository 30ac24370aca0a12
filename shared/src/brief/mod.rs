//! The brief: one page saying what is supposed to be happening now, for the people on duty and those
//! not involved day to day. Built from the table alone through one port, in a bounded number of
//! Queries on sparse index partitions (docs/brief.md), then rendered as text, HTML or JSON.

pub mod duty_calendar;
pub mod ports;
pub mod render;

pub use ports::{BriefSource, IncidentList, PersonCard};

use serde::Serialize;

use crate::http_url::HttpUrl;
use crate::incidents::lifecycle::{IncidentRecord, Phase};
use crate::maintenance::Status;
use crate::maintenance::lifecycle::{MaintenanceRecord, ReviewItem, impact_name, status_name};
use crate::rotation::calendar::IsoWeek;
use crate::rotation::roster::IanaTimeZone;
use crate::shifts::ShiftRecord;
use crate::store::StoreError;
use crate::triage::ports::{ListedTask, TaskList};

/// Vendor maintenance this many days ahead is in the brief.
pub const MAINTENANCE_DAYS: u32 = 14;
/// How far back the brief lists incidents held back by planned downtime: a week's handoff.
pub const HELD_DAYS: u32 = 7;
/// Rows shown per section; the others are counted.
pub const LISTED: usize = 25;

/// How the brief is built: what counts as stale, and where task links point.
#[derive(Debug, Clone, PartialEq)]
pub struct BriefSettings {
    pub stale_after_days: u32,
    pub phabricator_url: Option<HttpUrl>,
    /// The rotation feed's event UIDs end in it (`CLINIC_MAIL_DOMAIN`).
    pub uid_domain: crate::mail::MailDomain,
    /// The team's circuits (`CLINIC_CIRCUITS`): with it, the brief lists redundancy groups the
    /// coming maintenances take down together.
    pub circuits: Option<crate::maintenance::circuits::Circuits>,
}

/// Up to [`LISTED`] rows of a section, and how many there are in all.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Section<T> {
    pub total: usize,
    pub items: Vec<T>,
}

impl<T> Section<T> {
    fn of(items: Vec<T>) -> Self {
        let total = items.len();
        Self::counted(items, total)
    }

    /// The first [`LISTED`] of `items`, of `total` in all (rows past them were counted, not read).
    fn counted(mut items: Vec<T>, total: usize) -> Self {
        items.truncate(LISTED);
        Self { total, items }
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }
}

/// One committed shift as the brief shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DutyWeek {
    pub week: String,
    pub start: jiff::Timestamp,
    pub end: jiff::Timestamp,
    pub on_duty: Option<PersonCard>,
    pub backup: Option<PersonCard>,
    /// The person's id when the roster in the table no longer names them.
    pub on_duty_id: Option<String>,
    pub unstaffed_reason: Option<String>,
    pub override_reason: Option<String>,
}

/// Who is on duty in one rotation: the shift that started last, and the next committed one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RotationDuty {
    pub rotation: String,
    pub current: Option<DutyWeek>,
    pub next: Option<DutyWeek>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskLine {
    pub phid: String,
    /// `T<id>`.
    pub name: String,
    pub title: String,
    pub status: String,
    pub last_activity: jiff::Timestamp,
    pub idle_days: i64,
    pub url: Option<String>,
    pub pending_approvals: Vec<String>,
    pub needs_triage: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncidentLine {
    pub number: String,
    pub name: String,
    pub entity_id: String,
    pub routing_key: String,
    pub phase: Phase,
    pub since: jiff::Timestamp,
    pub acked_by: Option<String>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<jiff::Timestamp>,
    pub statuspage_id: Option<String>,
    pub statuspage_status: Option<String>,
    /// `planned downtime <window> of <services> until <end>`, while that window holds it back.
    pub held_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MaintenanceLine {
    pub provider: String,
    pub maintenance_id: String,
    pub status: &'static str,
    pub start: jiff::Timestamp,
    pub end: jiff::Timestamp,
    /// `circuit (IMPACT)`.
    pub circuits: Vec<String>,
    pub summary: String,
    /// Who said they looked at it (`clinic maintenance ack`).
    pub acknowledged: Option<crate::maintenance::lifecycle::Acknowledgement>,
    /// Read without a template and not yet confirmed (`clinic maintenance confirm`).
    pub unverified: bool,
    /// The notice gave no end.
    pub open_ended: bool,
}

/// A redundancy group whose every circuit is inside maintenances at once.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutageLine {
    pub group: String,
    pub site: String,
    pub start: jiff::Timestamp,
    pub end: jiff::Timestamp,
    /// `provider/id` of each maintenance taking part.
    pub maintenances: Vec<String>,
    pub circuits: Vec<String>,
    /// Every notice said it only reduces redundancy: no vendor announced this outage.
    pub unannounced: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewLine {
    pub received_at: jiff::Timestamp,
    pub from: Option<String>,
    pub subject: Option<String>,
    pub reason: String,
    /// `s3://bucket/key` of the raw mail.
    pub object: String,
}

/// The notice standing, as the brief's top line says it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NoticeLine {
    pub level: crate::notices::Level,
    /// `ALERT (akaur, until 14:00 UTC): eqiad row C switch flapping — T123`.
    pub line: String,
    /// The task's link, when the deployment knows Phorge's URL.
    pub link: Option<String>,
    pub notice: crate::notices::Notice,
}

impl NoticeLine {
    pub fn of(
        notice: crate::notices::Notice,
        phorge: Option<&HttpUrl>,
        now: jiff::Timestamp,
    ) -> Self {
        Self {
            level: notice.level,
            line: notice.line(phorge, now),
            link: phorge.and_then(|_| notice.task_link(phorge)),
            notice,
        }
    }
}

/// The brief at one moment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Brief {
    pub at: jiff::Timestamp,
    /// The notice people posted (`alert`, `notice`), while it stands: the brief's top line.
    pub notice: Option<NoticeLine>,
    pub duty: Vec<RotationDuty>,
    pub needs_triage: Section<TaskLine>,
    pub stale_after_days: u32,
    pub stale: Section<TaskLine>,
    pub access_requests: Section<TaskLine>,
    pub open_incidents: Section<IncidentLine>,
    pub statuspage_after_resolution: Section<IncidentLine>,
    /// Incidents of the last [`HELD_DAYS`] days a planned downtime window held back from Statuspage.
    pub held_incidents: Section<IncidentLine>,
    pub maintenance_days: u32,
    pub maintenance: Section<MaintenanceLine>,
    /// `None` without a circuits file.
    pub maintenance_outages: Option<Section<OutageLine>>,
    pub mail_review: Section<ReviewLine>,
}

/// Which sections a brief reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// Every section: the brief of the handoff mail, `/status`, `/now`.
    Whole,
    /// What needs someone, for a person's own page (*mine*): the tasks, the open incidents, the
    /// maintenance and the mail to review. Who is on duty (`duty`, the page lists the person's own
    /// shifts instead) and the incidents planned downtime held back are left empty, unread: on a
    /// year of data they were a quarter of the page's reads.
    Work,
}

/// Builds the brief for `now`. The reads run concurrently; none scans.
pub async fn build(
    source: &dyn BriefSource,
    settings: &BriefSettings,
    now: jiff::Timestamp,
) -> Result<Brief, StoreError> {
    build_reading(source, settings, now, Reading::Whole).await
}

/// As [`build`], reading only the sections `reading` names; the others are empty.
pub async fn build_reading(
    source: &dyn BriefSource,
    settings: &BriefSettings,
    now: jiff::Timestamp,
    reading: Reading,
) -> Result<Brief, StoreError> {
    let whole = reading == Reading::Whole;
    let stale_cutoff = now - days(settings.stale_after_days);
    let horizon = now + days(MAINTENANCE_DAYS);
    let (
        duty,
        approval,
        triage,
        open_stale,
        on_statuspage,
        in_victorops,
        held,
        maintenance,
        review,
        notice,
    ) = tokio::join!(
        async {
            if whole {
                duty(source, now).await
            } else {
                Ok(Vec::new())
            }
        },
        source.listed(TaskList::AwaitingApproval, None),
        source.listed(TaskList::NeedsTriage, None),
        source.oldest_listed(TaskList::Open, Some(stale_cutoff), LISTED),
        source.open_incidents(IncidentList::OnStatuspage),
        source.open_incidents(IncidentList::InVictorOps),
        async {
            if whole {
                source.held_incidents(now - days(HELD_DAYS)).await
            } else {
                Ok(Vec::new())
            }
        },
        source.maintenance_overlapping(now, horizon),
        source.mail_for_review(),
        source.notice(),
    );
    let (approval, triage, open_stale) = (approval?, triage?, open_stale?);
    let line = |t: &ListedTask| task_line(t, settings, now);

    let mut needs_triage: Vec<TaskLine> = triage
        .iter()
        .chain(approval.iter())
        .filter(|t| t.summary.needs_triage)
        .map(line)
        .collect();
    needs_triage.sort_by_key(|t| t.last_activity);
    // The open list gives its oldest rows and a count: the oldest stale rows of all three lists are
    // among them and the other two lists.
    let (open_oldest, open_stale) = open_stale;
    let mut stale: Vec<TaskLine> = approval
        .iter()
        .chain(triage.iter())
        .filter(|t| t.summary.last_activity < stale_cutoff)
        .map(line)
        .collect();
    let stale_total = stale.len() + open_stale;
    stale.extend(open_oldest.iter().map(line));
    stale.sort_by_key(|t| t.last_activity);
    let mut access_requests: Vec<TaskLine> = approval.iter().map(line).collect();
    access_requests.sort_by_key(|t| t.last_activity);

    let (on_statuspage, in_victorops) = (on_statuspage?, in_victorops?);
    let mut open_incidents: Vec<IncidentLine> = on_statuspage
        .iter()
        .chain(in_victorops.iter())
        .filter(|r| r.phase != Phase::Resolved)
        .map(incident_line)
        .collect();
    open_incidents.sort_by_key(|i| i.since);
    let mut after_resolution: Vec<IncidentLine> = on_statuspage
        .iter()
        .filter(|r| r.phase == Phase::Resolved)
        .map(incident_line)
        .collect();
    after_resolution.sort_by_key(|i| i.resolved_at);
    let mut held: Vec<IncidentLine> = held?.iter().map(incident_line).collect();
    held.sort_by_key(|i| i.since);

    let maintenance = maintenance?;
    // From every maintenance, the ones the section below leaves out included: two that each only
    // reduce redundancy can together take a group down.
    let maintenance_outages = settings.circuits.as_ref().map(|circuits| {
        Section::of(
            crate::maintenance::circuits::outages(&maintenance, circuits)
                .into_iter()
                .map(|o| OutageLine {
                    group: o.group,
                    site: o.site,
                    start: instant(o.start),
                    end: instant(o.end),
                    maintenances: o.maintenances,
                    circuits: o.circuits,
                    unannounced: o.unannounced,
                })
                .collect(),
        )
    });
    let maintenance: Vec<MaintenanceLine> = maintenance
        .iter()
        .filter(|r| affects_service(r, now))
        .map(maintenance_line)
        .collect();
    let mut review: Vec<ReviewLine> = review?.iter().map(review_line).collect();
    review.sort_by_key(|r| std::cmp::Reverse(r.received_at));

    let notice = notice?
        .filter(|n| n.stands_at(now))
        .map(|n| NoticeLine::of(n, settings.phabricator_url.as_ref(), now));
    Ok(Brief {
        at: now,
        notice,
        duty: duty?,
        needs_triage: Section::of(needs_triage),
        stale_after_days: settings.stale_after_days,
        stale: Section::counted(stale, stale_total),
        access_requests: Section::of(access_requests),
        open_incidents: Section::of(open_incidents),
        statuspage_after_resolution: Section::of(after_resolution),
        held_incidents: Section::of(held),
        maintenance_days: MAINTENANCE_DAYS,
        maintenance: Section::of(maintenance),
        maintenance_outages,
        mail_review: Section::of(review),
    })
}

/// A source and settings, to build the brief at any moment (the handoff job, the status endpoint).
#[derive(Clone)]
pub struct Briefing {
    source: std::sync::Arc<dyn BriefSource>,
    settings: BriefSettings,
}

impl Briefing {
    pub fn new(source: std::sync::Arc<dyn BriefSource>, settings: BriefSettings) -> Self {
        Self { source, settings }
    }

    pub async fn at(&self, now: jiff::Timestamp) -> Result<Brief, StoreError> {
        build(self.source.as_ref(), &self.settings, now).await
    }

    pub fn settings(&self) -> &BriefSettings {
        &self.settings
    }

    pub fn source(&self) -> &dyn BriefSource {
        self.source.as_ref()
    }
}

fn days(n: u32) -> jiff::SignedDuration {
    jiff::SignedDuration::from_hours(i64::from(n) * 24)
}

/// Each rotation's shifts around `now`: the rotations' names (one read by key), one Query per
/// rotation, then the people those shifts name (one read by key).
pub async fn duty(
    source: &dyn BriefSource,
    now: jiff::Timestamp,
) -> Result<Vec<RotationDuty>, StoreError> {
    let mut rotations = match source.rotation_names().await? {
        Some(names) => names,
        None => rotations_of(&source.people().await?)
            .into_iter()
            .map(str::to_owned)
            .collect(),
    };
    rotations.sort_unstable();
    rotations.dedup();
    // A shift may start up to a day before its ISO week in UTC (zones east of UTC) and the one that
    // started last may be last week's (a weekend): last week to the week after next cover both.
    let (first, last) = weeks_around(now, 1);
    let mut weeks = Vec::new();
    for rotation in rotations {
        let shifts = source.shifts_between(&rotation, first, last).await?;
        let current = shifts
            .iter()
            .filter(|s| s.start_utc <= now)
            .max_by_key(|s| s.start_utc)
            .cloned();
        let next = shifts
            .iter()
            .filter(|s| s.start_utc > now)
            .min_by_key(|s| s.start_utc)
            .cloned();
        weeks.push((rotation, current, next));
    }
    let mut named: Vec<String> = weeks
        .iter()
        .flat_map(|(_, current, next)| [current, next])
        .flatten()
        .flat_map(|s| [&s.primary, &s.backup])
        .flatten()
        .cloned()
        .collect();
    named.sort_unstable();
    named.dedup();
    let people = source.people_named(&named).await?;
    Ok(weeks
        .into_iter()
        .map(|(rotation, current, next)| RotationDuty {
            rotation,
            current: current.as_ref().map(|s| duty_week(s, &people)),
            next: next.as_ref().map(|s| duty_week(s, &people)),
        })
        .collect())
}

/// The rotations people of the roster serve in, by name.
pub fn rotations_of(people: &[PersonCard]) -> Vec<&str> {
    let mut rotations: Vec<&str> = people
        .iter()
        .flat_map(|p| p.rotations.iter().map(String::as_str))
        .collect();
    rotations.sort_unstable();
    rotations.dedup();
    rotations
}

/// From `back` weeks before the ISO week (UTC) containing `now` to the week after next.
pub(crate) fn weeks_around(now: jiff::Timestamp, back: usize) -> (IsoWeek, IsoWeek) {
    let this_week = IsoWeek::containing(now.to_zoned(jiff::tz::TimeZone::UTC).date());
    let mut first = this_week;
    for _ in 0..back {
        first = first.previous().unwrap_or(first);
    }
    let last = this_week
        .next()
        .and_then(IsoWeek::next)
        .unwrap_or(this_week);
    (first, last)
}

fn duty_week(shift: &ShiftRecord, people: &[PersonCard]) -> DutyWeek {
    let card = |id: Option<&String>| id.and_then(|id| people.iter().find(|p| p.id == *id).cloned());
    let on_duty = card(shift.primary.as_ref());
    DutyWeek {
        week: shift.week.clone(),
        start: shift.start_utc,
        end: shift.end_utc,
        on_duty_id: shift.primary.clone().filter(|_| on_duty.is_none()),
        on_duty,
        backup: card(shift.backup.as_ref()),
        unstaffed_reason: shift.unstaffed_reason.clone(),
        override_reason: shift.overridden.clone(),
    }
}

fn task_line(task: &ListedTask, settings: &BriefSettings, now: jiff::Timestamp) -> TaskLine {
    let s = &task.summary;
    let name = format!("T{}", s.id);
    TaskLine {
        phid: task.task.clone(),
        url: settings
            .phabricator_url
            .as_ref()
            .map(|base| format!("{}/{name}", base.as_str())),
        name,
        title: if s.restricted {
            "(restricted)".to_owned()
        } else {
            s.title.clone()
        },
        status: s.status.clone(),
        last_activity: s.last_activity,
        idle_days: now.duration_since(s.last_activity).as_hours() / 24,
        pending_approvals: s.pending_approvals.clone(),
        needs_triage: s.needs_triage,
    }
}

fn incident_line(record: &IncidentRecord) -> IncidentLine {
    IncidentLine {
        number: record.number.to_string(),
        name: record.display_name.clone(),
        entity_id: record.entity_id.clone(),
        routing_key: record.routing_key.clone(),
        phase: record.phase,
        since: record.first_seen_at,
        acked_by: record.acked_by.clone(),
        resolved_by: record.resolved_by.clone(),
        resolved_at: record.resolved_at,
        statuspage_id: record.statuspage_id.clone(),
        statuspage_status: record.statuspage_status.clone(),
        held_by: record.hold.as_ref().filter(|_| record.is_held()).map(|h| {
            format!(
                "planned downtime {} of {} until {}",
                h.window,
                h.services.join(", "),
                h.until
            )
        }),
    }
}

/// Service is affected: some circuit loses more than redundancy, the window is not over (an open-ended
/// one is not over until a notice or a person ends it), and the vendor has not cancelled or completed it.
fn affects_service(record: &MaintenanceRecord, now: jiff::Timestamp) -> bool {
    !record.only_reduces_redundancy()
        && (record.open_ended || record.end > now.as_second())
        && record.completed_at.is_none()
        && !matches!(record.status, Status::Cancelled | Status::Completed)
}

fn maintenance_line(record: &MaintenanceRecord) -> MaintenanceLine {
    MaintenanceLine {
        provider: record.provider.clone(),
        maintenance_id: record.maintenance_id.clone(),
        status: status_name(record.status),
        start: instant(record.start),
        end: instant(record.end.max(record.start)),
        circuits: record
            .circuits
            .iter()
            .map(|c| format!("{} ({})", c.circuit_id, impact_name(c.impact)))
            .collect(),
        summary: record.summary.clone(),
        acknowledged: record.acknowledged.clone(),
        unverified: record.unverified(),
        open_ended: record.open_ended,
    }
}

fn review_line(item: &ReviewItem) -> ReviewLine {
    ReviewLine {
        received_at: item.received_at,
        from: item.from.clone(),
        subject: item.subject.clone(),
        reason: item.reason.clone(),
        object: format!("s3://{}/{}", item.bucket, item.key),
    }
}

/// The reader's zone for times in the brief, from an IANA name (none: UTC only).
pub fn zone(
    name: Option<&str>,
) -> Result<Option<IanaTimeZone>, crate::rotation::roster::UnknownTimeZone> {
    name.map(IanaTimeZone::parse).transpose()
}

#[cfg(test)]
pub(crate) mod tests;

/// Epoch seconds as an instant (the maintenance records' times).
fn instant(seconds: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_second(seconds).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}
