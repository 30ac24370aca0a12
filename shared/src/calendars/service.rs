//! Issuing, listing and revoking feed tokens, and building the calendar a token opens. A token is
//! 32 random bytes shown once as 64 hex digits; the table knows only its SHA-256, so opening a feed
//! is one read by key and a leaked table leaks no feed.

use std::sync::Arc;

use async_trait::async_trait;
use sha2::{Digest as _, Sha256};

use super::feed::{self, DutyEvent, FeedLayout, Firmness};
use super::ports::{FeedKind, FeedRecord, FeedTokens, Revoked};
use crate::brief::{BriefSource, PersonCard};
use crate::mail::MailDomain;
use crate::rotation::calendar::IsoWeek;
use crate::rotation::plan;
use crate::rotation::roster::Roster;
use crate::shifts::{ShiftLedger, ShiftRecord, override_from_record};
use crate::signin::ports::Nonces;
use crate::store::StoreError;

/// Where feeds are served: `/feeds/<token>.ics`.
pub const FEED_PREFIX: &str = "/feeds/";
/// Planned weeks are shown this far ahead of the current one (the weekly job's horizon).
pub const WEEKS_AHEAD: i64 = 12;
/// Committed weeks this far back stay in a feed.
pub const WEEKS_BACK: i64 = 26;
/// The longest alarm offered: a week before.
pub const MAX_ALARM_MINUTES: u16 = 7 * 24 * 60;

/// The published vendor maintenance calendar, as the maintenance-mail function last wrote it.
#[async_trait]
pub trait PublishedCalendar: Send + Sync {
    async fn maintenance_calendar(&self) -> Result<String, String>;
}

/// A token as issued: shown to the person once, never stored.
#[derive(Debug, Clone)]
pub struct IssuedFeed {
    pub token: String,
    pub record: FeedRecord,
}

#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    #[error("there is no rotation named {0:?}")]
    NoSuchRotation(String),
    #[error("an alarm must be between 0 and {MAX_ALARM_MINUTES} minutes before")]
    BadAlarm,
    #[error("this deployment publishes no maintenance calendar")]
    NoMaintenanceCalendar,
    #[error("no random bytes for a token: {0}")]
    Random(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the rotation could not be planned: {0}")]
    Plan(String),
    #[error("the maintenance calendar could not be read: {0}")]
    Maintenance(String),
}

/// The SHA-256 of a token, as the table keys it.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The token in a feed path, when the path is `/feeds/<64 lower-case hex digits>.ics`.
pub fn parse_feed_path(path: &str) -> Option<&str> {
    let token = path.strip_prefix(FEED_PREFIX)?.strip_suffix(".ics")?;
    let shaped = token.len() == 64
        && token
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    shaped.then_some(token)
}

/// Parses the alarm field of the issue form: empty for none, else whole minutes.
pub fn parse_alarm(text: &str) -> Result<Option<u16>, IssueError> {
    let text = text.trim();
    if text.is_empty() || text == "none" {
        return Ok(None);
    }
    match text.parse::<u16>() {
        Ok(minutes) if minutes <= MAX_ALARM_MINUTES => Ok(Some(minutes)),
        _ => Err(IssueError::BadAlarm),
    }
}

pub struct Calendars {
    pub tokens: Arc<dyn FeedTokens>,
    pub nonces: Arc<dyn Nonces>,
    pub source: Arc<dyn BriefSource>,
    pub shifts: Arc<dyn ShiftLedger>,
    /// The reviewed roster, when the deployment ships it: without it feeds hold committed weeks only.
    pub roster: Option<Arc<Roster>>,
    pub maintenance: Option<Arc<dyn PublishedCalendar>>,
    pub domain: MailDomain,
}

impl Calendars {
    /// The rotations a team feed can be issued for.
    pub async fn rotations(&self) -> Result<Vec<String>, StoreError> {
        if let Some(names) = self.source.rotation_names().await? {
            return Ok(names);
        }
        let people = self.source.people().await?;
        Ok(crate::brief::rotations_of(&people)
            .into_iter()
            .map(str::to_owned)
            .collect())
    }

    pub fn publishes_maintenance(&self) -> bool {
        self.maintenance.is_some()
    }

    pub async fn issue(
        &self,
        person: &str,
        kind: FeedKind,
        alarm_minutes: Option<u16>,
        now: jiff::Timestamp,
    ) -> Result<IssuedFeed, IssueError> {
        if alarm_minutes.is_some_and(|m| m > MAX_ALARM_MINUTES) {
            return Err(IssueError::BadAlarm);
        }
        if let FeedKind::Team { rotation } = &kind
            && !self.rotations().await?.contains(rotation)
        {
            return Err(IssueError::NoSuchRotation(rotation.clone()));
        }
        if kind == FeedKind::Maintenance && !self.publishes_maintenance() {
            return Err(IssueError::NoMaintenanceCalendar);
        }
        let bytes = self
            .nonces
            .nonce()
            .map_err(|e| IssueError::Random(e.0.clone()))?;
        let token = hex::encode(bytes);
        let record = FeedRecord {
            hash: token_hash(&token),
            person: person.to_owned(),
            kind,
            alarm_minutes,
            issued_at: now,
        };
        if !self.tokens.record_feed(&record).await? {
            return Err(IssueError::Random("a token was drawn twice".to_owned()));
        }
        Ok(IssuedFeed { token, record })
    }

    pub async fn feeds_of(&self, person: &str) -> Result<Vec<FeedRecord>, StoreError> {
        self.tokens.feeds_of(person).await
    }

    pub async fn revoke(&self, person: &str, hash: &str) -> Result<Revoked, StoreError> {
        let shaped = hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit());
        if !shaped {
            return Ok(Revoked::NoSuchFeed);
        }
        self.tokens.revoke_feed(person, hash).await
    }

    /// The calendar `token` opens, or `None` for a token never issued or revoked (read only).
    pub async fn open(
        &self,
        token: &str,
        now: jiff::Timestamp,
    ) -> Result<Option<String>, FeedError> {
        let Some(record) = self.tokens.feed(&token_hash(token)).await? else {
            return Ok(None);
        };
        let rotations = match &record.kind {
            FeedKind::Maintenance => {
                let Some(calendar) = &self.maintenance else {
                    return Ok(None);
                };
                return calendar
                    .maintenance_calendar()
                    .await
                    .map(Some)
                    .map_err(FeedError::Maintenance);
            }
            FeedKind::Team { rotation } => vec![rotation.clone()],
            FeedKind::Personal => {
                let cards = self
                    .source
                    .people_named(std::slice::from_ref(&record.person))
                    .await?;
                // Someone who left the roster has no feed any more.
                let Some(card) = cards.into_iter().next() else {
                    return Ok(None);
                };
                card.rotations
            }
        };
        let mut events = Vec::new();
        for rotation in &rotations {
            events.extend(self.rotation_events(rotation, now).await?);
        }
        let reader = matches!(record.kind, FeedKind::Personal).then_some(record.person.as_str());
        if let Some(me) = reader {
            events.retain(|e| e.primary.as_deref() == Some(me) || e.backup.as_deref() == Some(me));
        }
        let mut named: Vec<String> = events
            .iter()
            .flat_map(|e| [e.primary.clone(), e.backup.clone()])
            .flatten()
            .collect();
        named.sort();
        named.dedup();
        let people: Vec<PersonCard> = if named.is_empty() {
            Vec::new()
        } else {
            self.source.people_named(&named).await?
        };
        let name = match &record.kind {
            FeedKind::Personal => "Clinic duty: my shifts".to_owned(),
            other => format!("Clinic duty: {}", other.describe()),
        };
        let layout = FeedLayout {
            name: &name,
            alarm_minutes: record.alarm_minutes,
            reader,
        };
        Ok(Some(feed::render(
            &events,
            &people,
            &layout,
            now,
            &self.domain,
        )))
    }

    /// A rotation's committed weeks from [`WEEKS_BACK`] ago and, with the roster, the weeks the
    /// weekly job's planner plans after the last committed one, up to [`WEEKS_AHEAD`] ahead.
    async fn rotation_events(
        &self,
        rotation: &str,
        now: jiff::Timestamp,
    ) -> Result<Vec<DutyEvent>, FeedError> {
        let this_week = IsoWeek::containing(now.to_zoned(jiff::tz::TimeZone::UTC).date());
        let shifts = self.shifts.shifts(rotation).await?;
        let mut events: Vec<DutyEvent> = shifts
            .iter()
            .filter(|s| {
                s.week
                    .parse::<IsoWeek>()
                    .is_ok_and(|w| w.weeks_until(this_week) <= WEEKS_BACK)
            })
            .map(committed)
            .collect();
        let Some(roster) = &self.roster else {
            return Ok(events);
        };
        if roster.rotation(rotation).is_none() {
            return Ok(events);
        }
        let last_committed = shifts
            .iter()
            .filter_map(|s| s.week.parse::<IsoWeek>().ok())
            .max();
        let first = match last_committed {
            Some(week) if week >= this_week => week.next(),
            _ => Some(this_week),
        };
        let mut last = Some(this_week);
        for _ in 0..WEEKS_AHEAD {
            last = last.and_then(IsoWeek::next);
        }
        let (Some(first), Some(last)) = (first, last) else {
            return Ok(events);
        };
        if first > last {
            return Ok(events);
        }
        let served = shifts
            .iter()
            .map(ShiftRecord::served)
            .collect::<Result<Vec<_>, _>>()?;
        let overrides = self
            .shifts
            .overrides(rotation)
            .await?
            .iter()
            .map(override_from_record)
            .collect::<Result<Vec<_>, _>>()?;
        let planned = plan::plan_between(roster, rotation, &served, &overrides, first, last)
            .map_err(|e| FeedError::Plan(e.to_string()))?;
        events.extend(planned.weeks.iter().map(|w| DutyEvent {
            rotation: rotation.to_owned(),
            week: w.week.to_string(),
            primary: w.primary.as_ref().map(|p| p.as_str().to_owned()),
            backup: w.backup.as_ref().map(|p| p.as_str().to_owned()),
            start: w.start_utc,
            end: w.end_utc,
            firmness: Firmness::Planned,
            overridden: w.overridden.clone(),
            unstaffed_reason: w.unstaffed_reason.clone(),
        }));
        Ok(events)
    }
}

fn committed(shift: &ShiftRecord) -> DutyEvent {
    DutyEvent {
        rotation: shift.rotation.clone(),
        week: shift.week.clone(),
        primary: shift.primary.clone(),
        backup: shift.backup.clone(),
        start: shift.start_utc,
        end: shift.end_utc,
        firmness: Firmness::Committed,
        overridden: shift.overridden.clone(),
        unstaffed_reason: shift.unstaffed_reason.clone(),
    }
}
