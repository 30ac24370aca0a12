//! Each vendor maintenance's lifecycle: one record per provider and maintenance id, changed only by a
//! notice newer than the one it holds (later `stamp`, or the same stamp and a higher `sequence`), so a
//! late or repeated notice never undoes a newer one. Mail that cannot be read becomes a review item.

use serde::{Deserialize, Serialize};

use super::{Circuit, Impact, Maintenance, ReadingKind, Status};

/// Where a notice came from, kept with the record it changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct NoticeSource {
    pub message_id: Option<String>,
    pub bucket: String,
    pub key: String,
}

/// A maintenance as Clinic keeps it: the last accepted notice's content plus its history markers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MaintenanceRecord {
    pub provider: String,
    pub maintenance_id: String,
    pub account: String,
    pub circuits: Vec<Circuit>,
    pub status: Status,
    pub start: i64,
    pub end: i64,
    pub stamp: i64,
    pub sequence: i64,
    pub organizer: String,
    pub uid: String,
    pub summary: String,
    pub first_seen: jiff::Timestamp,
    pub updated_at: jiff::Timestamp,
    pub completed_at: Option<jiff::Timestamp>,
    pub source: NoticeSource,
    /// Notices accepted so far (the first one included).
    pub notices: u32,
    /// The last time a person said they looked at it (`clinic maintenance ack`); kept across
    /// notices. Absent from the item until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged: Option<Acknowledgement>,
    /// How its latest notice was read; a generic reading is unverified until a person confirms it.
    #[serde(default, skip_serializing_if = "ReadingKind::is_template")]
    pub reading: ReadingKind,
    /// The notices gave no end: `end` equals `start` until a notice or a person gives one.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub open_ended: bool,
    /// A person checked it against the mail (`clinic maintenance confirm`), correcting it or not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed: Option<Acknowledgement>,
}

/// A person checked a maintenance against its mail (`clinic maintenance confirm`): who, when, and the
/// corrections made, if any. Recorded as `confirmed` on the record, the corrections in the audit entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirmation {
    pub by: Acknowledgement,
    /// The window as it really is, start and end in Unix seconds (end not before start).
    pub window: Option<(i64, i64)>,
    pub status: Option<Status>,
}

impl Confirmation {
    /// A confirmation, refusing a corrected window that ends before it starts.
    pub fn new(
        by: Acknowledgement,
        window: Option<(i64, i64)>,
        status: Option<Status>,
    ) -> Result<Confirmation, String> {
        if let Some((start, end)) = window
            && end < start
        {
            return Err(format!(
                "the window ends ({}) before it starts ({})",
                utc(end),
                utc(start)
            ));
        }
        Ok(Confirmation { by, window, status })
    }

    /// What it changes, as the audit entry says it.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some((start, end)) = self.window {
            parts.push(format!("window {} to {}", utc(start), utc(end)));
        }
        if let Some(status) = self.status {
            parts.push(format!("status {}", status_name(status)));
        }
        if parts.is_empty() {
            "confirmed as read".to_owned()
        } else {
            format!("confirmed with {}", parts.join(", "))
        }
    }
}

/// Someone looked at a maintenance and said so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acknowledgement {
    pub by: String,
    pub at: jiff::Timestamp,
    #[serde(default)]
    pub note: String,
}

impl MaintenanceRecord {
    /// A confirmed maintenance of `provider`'s with one notice, for the domain's unit tests.
    #[cfg(test)]
    pub(crate) fn sample(
        provider: &str,
        id: &str,
        circuits: &[(&str, super::Impact)],
        (start, end): (i64, i64),
    ) -> Self {
        let at = jiff::Timestamp::from_second(1_800_000_000).unwrap();
        Self {
            provider: provider.into(),
            maintenance_id: id.into(),
            account: "ACME".into(),
            circuits: circuits
                .iter()
                .map(|(c, impact)| super::Circuit::new(*c, *impact))
                .collect(),
            status: super::Status::Confirmed,
            start,
            end,
            stamp: 1_799_000_000,
            sequence: 1,
            organizer: format!("noc@{provider}.example"),
            uid: id.into(),
            summary: String::new(),
            first_seen: at,
            updated_at: at,
            completed_at: None,
            source: NoticeSource::default(),
            notices: 1,
            acknowledged: None,
            reading: super::ReadingKind::Template,
            open_ended: false,
            confirmed: None,
        }
    }

    /// Read without a template and not yet confirmed by a person.
    pub fn unverified(&self) -> bool {
        self.reading == ReadingKind::Generic && self.confirmed.is_none()
    }

    /// True when every circuit only loses redundancy or is not affected: the seeds' "events that only
    /// reduce redundancy are not needed" in the calendar.
    pub fn only_reduces_redundancy(&self) -> bool {
        !self.circuits.is_empty()
            && self
                .circuits
                .iter()
                .all(|c| matches!(c.impact, Impact::ReducedRedundancy | Impact::NoImpact))
    }

    /// The worst impact of any circuit.
    pub fn impact(&self) -> Option<Impact> {
        self.circuits
            .iter()
            .map(|c| c.impact)
            .max_by_key(|i| impact_rank(*i))
    }

    pub fn subject(&self) -> String {
        format!("maintenance/{}/{}", self.provider, self.maintenance_id)
    }
}

fn impact_rank(impact: Impact) -> u8 {
    match impact {
        Impact::NoImpact => 0,
        Impact::ReducedRedundancy => 1,
        Impact::Degraded => 2,
        Impact::Outage => 3,
    }
}

/// What a notice does to the record it names.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// First notice of this maintenance.
    Create(MaintenanceRecord),
    /// A newer notice; the record becomes this, and `changes` says what moved.
    Update {
        record: MaintenanceRecord,
        changes: Vec<String>,
    },
    /// The same stamp and sequence as the record: a repeat.
    Duplicate,
    /// Older than the record: it arrived late and is ignored.
    Stale,
}

fn utc(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds)
        .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|_| seconds.to_string())
}

/// Decides what `notice` does to `existing`. Pure: the table write applies it with a condition that
/// re-checks the ordering, so two notices racing cannot both win.
pub fn judge(
    existing: Option<&MaintenanceRecord>,
    notice: &Maintenance,
    source: &NoticeSource,
    now: jiff::Timestamp,
) -> Verdict {
    let Some(old) = existing else {
        let completed_at = (notice.status == Status::Completed).then_some(now);
        return Verdict::Create(MaintenanceRecord {
            provider: notice.provider.clone(),
            maintenance_id: notice.maintenance_id.clone(),
            account: notice.account.clone(),
            circuits: notice.circuits.clone(),
            // A first notice that says "no change" has nothing to compare with: it confirms the window.
            status: if notice.status == Status::NoChange {
                Status::Confirmed
            } else {
                notice.status
            },
            start: notice.start,
            end: notice.end,
            stamp: notice.stamp,
            sequence: notice.sequence,
            organizer: notice.organizer.clone(),
            uid: notice.uid.clone(),
            summary: notice.summary.clone(),
            first_seen: now,
            updated_at: now,
            completed_at,
            source: source.clone(),
            notices: 1,
            acknowledged: None,
            reading: notice.reading,
            open_ended: notice.open_ended,
            confirmed: None,
        });
    };
    match (notice.stamp, notice.sequence).cmp(&(old.stamp, old.sequence)) {
        std::cmp::Ordering::Less => return Verdict::Stale,
        std::cmp::Ordering::Equal => return Verdict::Duplicate,
        std::cmp::Ordering::Greater => {}
    }
    let mut record = old.clone();
    let mut changes = Vec::new();
    // NO-CHANGE re-announces the maintenance as it stands: only the notice markers move.
    if notice.status != Status::NoChange && notice.status != old.status {
        changes.push(format!(
            "status {} -> {}",
            status_name(old.status),
            status_name(notice.status)
        ));
        record.status = notice.status;
    }
    if notice.status != Status::NoChange {
        if (notice.start, notice.end) != (old.start, old.end) {
            changes.push(format!(
                "window {} to {} -> {} to {}",
                utc(old.start),
                utc(old.end),
                utc(notice.start),
                utc(notice.end)
            ));
            record.start = notice.start;
            record.end = notice.end;
            // A person's confirmation was of the old window; a generic reading of a new one needs another.
            if notice.reading == ReadingKind::Generic {
                record.confirmed = None;
            }
        }
        if notice.open_ended != old.open_ended {
            changes.push(
                if notice.open_ended {
                    "end no longer known"
                } else {
                    "end now known"
                }
                .to_owned(),
            );
            record.open_ended = notice.open_ended;
        }
        if notice.reading != old.reading {
            record.reading = notice.reading;
        }
        if !notice.circuits.is_empty() && notice.circuits != old.circuits {
            changes.push(format!(
                "circuits {} -> {}",
                circuit_list(&old.circuits),
                circuit_list(&notice.circuits)
            ));
            record.circuits = notice.circuits.clone();
        }
        if !notice.summary.is_empty() {
            record.summary = notice.summary.clone();
        }
    }
    if notice.status == Status::Completed && old.completed_at.is_none() {
        record.completed_at = Some(now);
    }
    record.stamp = notice.stamp;
    record.sequence = notice.sequence;
    record.uid = notice.uid.clone();
    record.updated_at = now;
    record.source = source.clone();
    record.notices = old.notices.saturating_add(1);
    if changes.is_empty() {
        changes.push("re-announced, nothing changed".to_owned());
    }
    Verdict::Update { record, changes }
}

pub fn status_name(status: Status) -> &'static str {
    match status {
        Status::Tentative => "TENTATIVE",
        Status::Confirmed => "CONFIRMED",
        Status::Cancelled => "CANCELLED",
        Status::InProcess => "IN-PROCESS",
        Status::Completed => "COMPLETED",
        Status::ReScheduled => "RE-SCHEDULED",
        Status::NoChange => "NO-CHANGE",
    }
}

pub fn impact_name(impact: Impact) -> &'static str {
    match impact {
        Impact::NoImpact => "NO-IMPACT",
        Impact::ReducedRedundancy => "REDUCED-REDUNDANCY",
        Impact::Degraded => "DEGRADED",
        Impact::Outage => "OUTAGE",
    }
}

fn circuit_list(circuits: &[Circuit]) -> String {
    if circuits.is_empty() {
        return "(none)".to_owned();
    }
    circuits
        .iter()
        .map(|c| format!("{} {}", c.circuit_id, impact_name(c.impact)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A mail Clinic could not turn into maintenances; its raw object stays in S3.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewItem {
    pub id: String,
    pub received_at: jiff::Timestamp,
    pub reason: String,
    pub bucket: String,
    pub key: String,
    pub message_id: Option<String>,
    pub from: Option<String>,
    pub subject: Option<String>,
    pub size: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(stamp: i64, sequence: i64, status: Status, start: i64) -> Maintenance {
        Maintenance {
            account: "acct".into(),
            circuits: vec![Circuit::new("C-1", Impact::Outage)],
            end: start + 3600,
            maintenance_id: "M-1".into(),
            open_ended: false,
            reading: crate::maintenance::ReadingKind::Template,
            organizer: "noc@example.net".into(),
            provider: "exampletransit".into(),
            sequence,
            stamp,
            start,
            status,
            summary: "fibre work".into(),
            uid: "u1".into(),
        }
    }

    fn now() -> jiff::Timestamp {
        jiff::Timestamp::from_second(1_800_000_000).unwrap()
    }

    fn created(n: &Maintenance) -> MaintenanceRecord {
        match judge(None, n, &NoticeSource::default(), now()) {
            Verdict::Create(record) => record,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_later_notice_moves_the_window_and_says_so() {
        let first = created(&notice(100, 1, Status::Confirmed, 10_000));
        let verdict = judge(
            Some(&first),
            &notice(200, 1, Status::ReScheduled, 20_000),
            &NoticeSource::default(),
            now(),
        );
        let Verdict::Update { record, changes } = verdict else {
            panic!("not an update")
        };
        assert_eq!(record.start, 20_000);
        assert_eq!(record.status, Status::ReScheduled);
        assert_eq!(record.notices, 2);
        assert!(
            changes.iter().any(|c| c.starts_with("window")),
            "{changes:?}"
        );
    }

    #[test]
    fn an_older_notice_arriving_late_never_overwrites_a_newer_one() {
        let cancelled = created(&notice(300, 1, Status::Cancelled, 10_000));
        assert_eq!(
            judge(
                Some(&cancelled),
                &notice(200, 1, Status::Confirmed, 10_000),
                &NoticeSource::default(),
                now()
            ),
            Verdict::Stale
        );
        // Same stamp, lower sequence: also older.
        let seq2 = created(&notice(300, 2, Status::Confirmed, 10_000));
        assert_eq!(
            judge(
                Some(&seq2),
                &notice(300, 1, Status::Cancelled, 10_000),
                &NoticeSource::default(),
                now()
            ),
            Verdict::Stale
        );
    }

    #[test]
    fn the_same_notice_twice_is_a_duplicate() {
        let first = created(&notice(100, 1, Status::Confirmed, 10_000));
        assert_eq!(
            judge(
                Some(&first),
                &notice(100, 1, Status::Confirmed, 10_000),
                &NoticeSource::default(),
                now()
            ),
            Verdict::Duplicate
        );
    }

    #[test]
    fn a_higher_sequence_with_the_same_stamp_is_newer() {
        let first = created(&notice(100, 1, Status::Confirmed, 10_000));
        let verdict = judge(
            Some(&first),
            &notice(100, 2, Status::Cancelled, 10_000),
            &NoticeSource::default(),
            now(),
        );
        assert!(
            matches!(verdict, Verdict::Update { record, .. } if record.status == Status::Cancelled)
        );
    }

    #[test]
    fn completion_is_recorded_once() {
        let first = created(&notice(100, 1, Status::InProcess, 10_000));
        let Verdict::Update { record, .. } = judge(
            Some(&first),
            &notice(200, 1, Status::Completed, 10_000),
            &NoticeSource::default(),
            now(),
        ) else {
            panic!("not an update")
        };
        assert_eq!(record.completed_at, Some(now()));
    }

    #[test]
    fn no_change_keeps_the_status_and_window() {
        let first = created(&notice(100, 1, Status::Confirmed, 10_000));
        let Verdict::Update { record, changes } = judge(
            Some(&first),
            &notice(200, 1, Status::NoChange, 99_999),
            &NoticeSource::default(),
            now(),
        ) else {
            panic!("not an update")
        };
        assert_eq!(record.status, Status::Confirmed);
        assert_eq!(record.start, 10_000);
        assert_eq!(record.stamp, 200);
        assert_eq!(changes, vec!["re-announced, nothing changed".to_owned()]);
    }

    #[test]
    fn only_redundancy_losses_are_recognised() {
        let mut record = created(&notice(100, 1, Status::Confirmed, 10_000));
        assert!(!record.only_reduces_redundancy());
        record.circuits = vec![
            Circuit::new("A", Impact::ReducedRedundancy),
            Circuit::new("B", Impact::NoImpact),
        ];
        assert!(record.only_reduces_redundancy());
        assert_eq!(record.impact(), Some(Impact::ReducedRedundancy));
    }
}
