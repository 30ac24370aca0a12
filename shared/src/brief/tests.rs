//! The brief built from an in-memory source: every section empty and full, and both renderings.

use std::sync::Mutex;

use async_trait::async_trait;

use super::*;
use crate::maintenance::Circuit;
use crate::maintenance::Impact;
use crate::maintenance::lifecycle::NoticeSource;
use crate::triage::ports::{TaskIndex, TaskSummary};

/// The table's lists, in memory; counts the reads the way the DynamoDB adapter makes them.
#[derive(Default)]
pub(crate) struct MemorySource {
    pub people: Vec<PersonCard>,
    pub shifts: Vec<ShiftRecord>,
    pub tasks: Vec<(TaskList, ListedTask)>,
    pub incidents: Vec<(IncidentList, IncidentRecord)>,
    pub held: Vec<IncidentRecord>,
    pub maintenance: Vec<MaintenanceRecord>,
    pub reviews: Vec<ReviewItem>,
    /// The roster was mirrored before the rotations' names were kept with it.
    pub names_unlisted: bool,
    pub notice: Option<crate::notices::Notice>,
    pub reads: Mutex<usize>,
}

impl MemorySource {
    fn read(&self) {
        *self.reads.lock().unwrap() += 1;
    }
}

#[async_trait]
impl TaskIndex for MemorySource {
    async fn listed(
        &self,
        list: TaskList,
        idle_before: Option<jiff::Timestamp>,
    ) -> Result<Vec<ListedTask>, StoreError> {
        self.read();
        let mut rows: Vec<ListedTask> = self
            .tasks
            .iter()
            .filter(|(l, t)| *l == list && idle_before.is_none_or(|c| t.summary.last_activity < c))
            .map(|(_, t)| t.clone())
            .collect();
        rows.sort_by_key(|t| t.summary.last_activity);
        Ok(rows)
    }
}

#[async_trait]
impl BriefSource for MemorySource {
    async fn people(&self) -> Result<Vec<PersonCard>, StoreError> {
        self.read();
        Ok(self.people.clone())
    }
    async fn rotation_names(&self) -> Result<Option<Vec<String>>, StoreError> {
        self.read();
        Ok((!self.names_unlisted).then(|| {
            rotations_of(&self.people)
                .into_iter()
                .map(str::to_owned)
                .collect()
        }))
    }
    async fn people_named(&self, ids: &[String]) -> Result<Vec<PersonCard>, StoreError> {
        self.read();
        Ok(self
            .people
            .iter()
            .filter(|p| ids.contains(&p.id))
            .cloned()
            .collect())
    }
    async fn shifts_between(
        &self,
        rotation: &str,
        first: IsoWeek,
        last: IsoWeek,
    ) -> Result<Vec<ShiftRecord>, StoreError> {
        self.read();
        let (first, last) = (first.to_string(), last.to_string());
        Ok(self
            .shifts
            .iter()
            .filter(|s| s.rotation == rotation && s.week >= first && s.week <= last)
            .cloned()
            .collect())
    }
    async fn open_incidents(&self, list: IncidentList) -> Result<Vec<IncidentRecord>, StoreError> {
        self.read();
        Ok(self
            .incidents
            .iter()
            .filter(|(l, _)| *l == list)
            .map(|(_, r)| r.clone())
            .collect())
    }
    async fn held_incidents(
        &self,
        since: jiff::Timestamp,
    ) -> Result<Vec<IncidentRecord>, StoreError> {
        self.read();
        Ok(self
            .held
            .iter()
            .filter(|r| r.first_seen_at >= since)
            .cloned()
            .collect())
    }
    async fn maintenance_overlapping(
        &self,
        from: jiff::Timestamp,
        to: jiff::Timestamp,
    ) -> Result<Vec<MaintenanceRecord>, StoreError> {
        self.read();
        Ok(self
            .maintenance
            .iter()
            .filter(|m| (m.open_ended || m.end > from.as_second()) && m.start < to.as_second())
            .cloned()
            .collect())
    }
    async fn mail_for_review(&self) -> Result<Vec<ReviewItem>, StoreError> {
        self.read();
        Ok(self.reviews.clone())
    }
    async fn notice(&self) -> Result<Option<crate::notices::Notice>, StoreError> {
        self.read();
        Ok(self.notice.clone())
    }
}

/// Friday 2027-01-08 09:00 UTC, when the weekly job hands week 2 off.
pub(crate) fn now() -> jiff::Timestamp {
    "2027-01-08T09:00:00Z".parse().unwrap()
}

fn at(text: &str) -> jiff::Timestamp {
    text.parse().unwrap()
}

fn settings() -> BriefSettings {
    BriefSettings {
        stale_after_days: 14,
        phabricator_url: Some(HttpUrl::parse("https://phabricator.example.org").unwrap()),
        uid_domain: crate::mail::MailDomain::parse("clinic.example.org").unwrap(),
        circuits: None,
    }
}

pub(crate) fn person(id: &str, name: &str, zone: &str) -> PersonCard {
    PersonCard {
        id: id.into(),
        name: name.into(),
        email: format!("{id}@example.org"),
        team: "sre-infra".into(),
        timezone: zone.into(),
        rotations: vec!["sre-clinic".into()],
    }
}

pub(crate) fn shift(week: &str, primary: Option<&str>, start: &str, end: &str) -> ShiftRecord {
    ShiftRecord {
        rotation: "sre-clinic".into(),
        week: week.into(),
        primary: primary.map(str::to_owned),
        backup: None,
        team: None,
        start_utc: at(start),
        end_utc: at(end),
        relaxed: vec![],
        unstaffed_reason: primary.is_none().then(|| "everyone is away".to_owned()),
        overridden: None,
        committed_at: at(start),
        cause: "test".into(),
        victorops_overrides: Vec::new(),
    }
}

pub(crate) fn task(id: u64, title: &str, last: &str) -> ListedTask {
    ListedTask {
        task: format!("PHID-TASK-{id:020}"),
        summary: TaskSummary {
            restricted: false,
            id,
            title: title.into(),
            status: "open".into(),
            last_activity: at(last),
            clinic_duty: true,
            needs_triage: false,
            pending_approvals: vec![],
        },
        follow_ups: vec![],
    }
}

pub(crate) fn incident(number: &str, phase: Phase, statuspage: bool) -> IncidentRecord {
    IncidentRecord {
        number: crate::incidents::lifecycle::IncidentNumber::parse(number).unwrap(),
        phase,
        routing_key: "sre".into(),
        entity_id: format!("disk-space/db{number}"),
        display_name: format!("Disk space on db{number}"),
        first_seen_at: at("2027-01-08T07:00:00Z"),
        acked_by: (phase != Phase::Unacked).then(|| "jdoe".to_owned()),
        acked_at: None,
        resolved_by: (phase == Phase::Resolved).then(|| "jdoe".to_owned()),
        resolved_at: (phase == Phase::Resolved).then(|| at("2027-01-08T08:00:00Z")),
        publication: None,
        statuspage_id: statuspage.then(|| format!("sp{number}")),
        statuspage_status: statuspage.then(|| "identified".to_owned()),
        statuspage_closed_at: None,
        hold: None,
        version: 3,
    }
}

pub(crate) fn maintenance(
    id: &str,
    impact: Impact,
    status: Status,
    start: &str,
) -> MaintenanceRecord {
    let start = at(start).as_second();
    MaintenanceRecord {
        provider: "northwind".into(),
        maintenance_id: id.into(),
        account: "ACME".into(),
        circuits: vec![Circuit::new("NW-1001", impact)],
        status,
        start,
        end: start + 4 * 3600,
        stamp: 1,
        sequence: 1,
        organizer: "noc@northwind.example".into(),
        uid: id.into(),
        summary: "Fibre splice".into(),
        first_seen: now(),
        updated_at: now(),
        completed_at: None,
        source: NoticeSource::default(),
        notices: 1,
        acknowledged: None,
        reading: crate::maintenance::ReadingKind::Template,
        open_ended: false,
        confirmed: None,
    }
}

pub(crate) fn review(id: usize) -> ReviewItem {
    ReviewItem {
        id: format!("r{id}"),
        received_at: now() - jiff::SignedDuration::from_hours(id as i64),
        reason: "no maintenance could be read".into(),
        bucket: "inbound".into(),
        key: format!("mail/{id}"),
        message_id: None,
        from: Some("noc@unknown.example".into()),
        subject: Some(format!("Notice {id}")),
        size: 100,
    }
}

fn utc() -> Option<IanaTimeZone> {
    None
}

/// A source with something in every section.
pub(crate) fn full() -> MemorySource {
    let mut source = MemorySource {
        people: vec![
            person("akaur", "Asha Kaur", "Asia/Kolkata"),
            person("bmeyer", "Ben Meyer", "Europe/Berlin"),
        ],
        shifts: vec![
            shift(
                "2027-W01",
                Some("akaur"),
                "2027-01-03T18:30:00Z",
                "2027-01-08T18:30:00Z",
            ),
            shift(
                "2027-W02",
                Some("bmeyer"),
                "2027-01-10T23:00:00Z",
                "2027-01-15T23:00:00Z",
            ),
        ],
        ..MemorySource::default()
    };
    source.shifts[0].backup = Some("bmeyer".into());
    let mut triage = task(
        101,
        "Elevated 503s from the upload cluster",
        "2027-01-07T10:00:00Z",
    );
    triage.summary.needs_triage = true;
    let mut access = task(102, "Access to analytics for jdoe", "2026-12-01T10:00:00Z");
    access.summary.pending_approvals = vec!["#sre-access-requests: an SRE director".into()];
    let old = task(103, "Decommission db1001", "2026-11-20T10:00:00Z");
    let recent = task(
        104,
        "Renew the wildcard certificate",
        "2027-01-06T10:00:00Z",
    );
    source.tasks = vec![
        (TaskList::NeedsTriage, triage),
        (TaskList::AwaitingApproval, access),
        (TaskList::Open, old),
        (TaskList::Open, recent),
    ];
    source.incidents = vec![
        (
            IncidentList::InVictorOps,
            incident("2041", Phase::Acked, false),
        ),
        (
            IncidentList::OnStatuspage,
            incident("2042", Phase::Unacked, true),
        ),
        (
            IncidentList::OnStatuspage,
            incident("2040", Phase::Resolved, true),
        ),
    ];
    let mut held = incident("2043", Phase::Resolved, false);
    held.hold = Some(crate::incidents::lifecycle::Hold {
        window: "20270108T0600-1a2b3c4d".into(),
        services: vec!["database".into()],
        until: at("2027-01-08T08:30:00Z"),
        released_at: None,
    });
    source.held = vec![held];
    source.maintenance = vec![
        maintenance(
            "NW-1",
            Impact::Outage,
            Status::Confirmed,
            "2027-01-12T02:00:00Z",
        ),
        maintenance(
            "NW-2",
            Impact::ReducedRedundancy,
            Status::Confirmed,
            "2027-01-13T02:00:00Z",
        ),
        maintenance(
            "NW-3",
            Impact::Outage,
            Status::Cancelled,
            "2027-01-14T02:00:00Z",
        ),
        maintenance(
            "NW-4",
            Impact::Degraded,
            Status::Confirmed,
            "2027-02-14T02:00:00Z",
        ),
    ];
    source.reviews = vec![review(1)];
    source
}

#[tokio::test]
async fn an_empty_table_gives_a_brief_whose_every_section_says_nothing() {
    let brief = build(&MemorySource::default(), &settings(), now())
        .await
        .unwrap();
    let text = render::text(&brief, utc().as_ref());
    assert_eq!(text.matches("  nothing\n").count(), 9, "{text}");
    for heading in [
        "Who is on duty",
        "Phabricator tasks that need triage (0)",
        "Phabricator tasks nobody touched for more than 14 days (0)",
        "Access requests waiting for approvals (0)",
        "VictorOps incidents open (0)",
        "Statuspage incidents still open after VictorOps resolved them (0)",
        "Incidents held back from Statuspage by planned downtime (the last 7 days) (0)",
        "Vendor maintenance affecting service in the next 14 days (0)",
        "Mail that needs review (0)",
    ] {
        assert!(text.contains(heading), "{heading} missing from\n{text}");
    }
    let html = render::html_fragment(&brief, utc().as_ref());
    assert_eq!(html.matches("<em>nothing</em>").count(), 9, "{html}");
}

#[tokio::test]
async fn a_full_table_fills_every_section_with_links_and_times_in_the_readers_zone() {
    let source = full();
    let brief = build(&source, &settings(), now()).await.unwrap();
    let berlin = zone(Some("Europe/Berlin")).unwrap();
    let berlin = berlin.as_ref();
    let text = render::text(&brief, berlin);
    assert!(!text.contains("nothing"), "{text}");
    assert!(
        text.contains("sre-clinic: This week 2027-W01: Asha Kaur <akaur@example.org>"),
        "{text}"
    );
    assert!(text.contains("backup: Ben Meyer"), "{text}");
    assert!(
        text.contains(
            "held back from Statuspage: planned downtime 20270108T0600-1a2b3c4d of database until"
        ),
        "{text}"
    );
    assert!(
        text.contains("sre-clinic: Next week 2027-W02: Ben Meyer"),
        "{text}"
    );
    assert!(
        text.contains(
            "2027-01-10 23:00 to 2027-01-15 23:00 UTC (2027-01-11 00:00 to 2027-01-16 00:00 CET)"
        ),
        "{text}"
    );
    assert!(
        text.contains("Phabricator tasks that need triage (1)\n  - T101 Elevated 503s"),
        "{text}"
    );
    assert!(
        text.contains("https://phabricator.example.org/T101"),
        "{text}"
    );
    // Stale: the access request and the old open task, oldest first; the recent one is not stale.
    assert!(
        text.contains("more than 14 days (2)\n  - T103 Decommission db1001"),
        "{text}"
    );
    assert!(!text.contains("T104"), "{text}");
    assert!(
        text.contains("waiting for: #sre-access-requests: an SRE director"),
        "{text}"
    );
    assert!(text.contains("VictorOps incidents open (2)"), "{text}");
    assert!(
        text.contains("#2042 Disk space on db2042 (sre) [UNACKED]"),
        "{text}"
    );
    assert!(text.contains("resolved them (1)\n  - #2040"), "{text}");
    assert!(
        text.contains("Statuspage incident sp2040: identified"),
        "{text}"
    );
    // Only the maintenance that affects service, is not cancelled and starts within 14 days.
    assert!(
        text.contains("next 14 days (1)\n  - northwind NW-1: NW-1001 (OUTAGE) [CONFIRMED]"),
        "{text}"
    );
    assert!(
        text.contains(
            "2027-01-12 02:00 to 2027-01-12 06:00 UTC (2027-01-12 03:00 to 2027-01-12 07:00 CET)"
        ),
        "{text}"
    );
    assert!(text.contains("Mail that needs review (1)"), "{text}");
    assert!(text.contains("s3://inbound/mail/1"), "{text}");

    let html = render::html_fragment(&brief, berlin);
    assert!(
        html.contains("<a href=\"https://phabricator.example.org/T101\">T101 Elevated 503s"),
        "{html}"
    );
    assert!(!html.contains("<em>nothing</em>"), "{html}");
    let json = serde_json::to_value(&brief).unwrap();
    assert_eq!(json["stale"]["total"], 2);
    assert_eq!(json["open_incidents"]["items"][0]["number"], "2042");
}

#[tokio::test]
async fn the_brief_takes_a_bounded_number_of_reads_whatever_the_table_holds() {
    let source = full();
    build(&source, &settings(), now()).await.unwrap();
    // The rotations' names, one rotation's shifts, the people on duty, three task lists, two
    // incident lists, maintenance, review, the notice board.
    assert_eq!(*source.reads.lock().unwrap(), 12);
}

#[tokio::test]
async fn a_brief_of_the_work_alone_reads_neither_the_duty_nor_the_held_incidents() {
    let source = full();
    let whole = build(&source, &settings(), now()).await.unwrap();
    *source.reads.lock().unwrap() = 0;
    let work = build_reading(&source, &settings(), now(), Reading::Work)
        .await
        .unwrap();
    // Eight of the twelve: not the rotations' names, the rotation's shifts, the people on duty, nor
    // the held incidents.
    assert_eq!(*source.reads.lock().unwrap(), 8);
    assert!(work.duty.is_empty() && !whole.duty.is_empty());
    assert!(work.held_incidents.is_empty() && !whole.held_incidents.is_empty());
    // Every section a person works from is the whole brief's.
    assert_eq!(work.needs_triage, whole.needs_triage);
    assert_eq!(work.stale, whole.stale);
    assert_eq!(work.access_requests, whole.access_requests);
    assert_eq!(work.open_incidents, whole.open_incidents);
    assert_eq!(work.maintenance, whole.maintenance);
    assert_eq!(work.mail_review, whole.mail_review);
    assert_eq!(work.notice, whole.notice);
}

fn posted_notice(level: crate::notices::Level, hours: i64) -> crate::notices::Notice {
    crate::notices::Notice {
        level,
        text: crate::notices::NoticeText::parse("eqiad row C switch flapping").unwrap(),
        task: Some(crate::notices::TaskRef::parse("T123").unwrap()),
        posted_by: "akaur".into(),
        via: crate::notices::Via::Slack,
        posted_at: now(),
        expires_at: now() + jiff::SignedDuration::from_hours(hours),
    }
}

#[tokio::test]
async fn the_notice_standing_is_the_briefs_top_line_in_text_and_html() {
    let source = MemorySource {
        notice: Some(posted_notice(crate::notices::Level::Alert, 5)),
        ..MemorySource::default()
    };
    let brief = build(&source, &settings(), now()).await.unwrap();
    let text = render::text(&brief, None);
    let second = text.lines().nth(2).unwrap();
    assert_eq!(
        second,
        "ALERT (akaur, until 14:00 UTC): eqiad row C switch flapping — https://phabricator.example.org/T123"
    );
    let html = render::html_fragment(&brief, None);
    assert!(
        html.contains(
            "<p class=\"notice-alert\" role=\"alert\"><strong>ALERT (akaur, until 14:00 UTC): \
             eqiad row C switch flapping — <a href=\"https://phabricator.example.org/T123\">T123</a>"
        ),
        "{html}"
    );
    // Past its expiry it is gone from the brief at once, swept or not.
    let later = build(
        &source,
        &settings(),
        now() + jiff::SignedDuration::from_hours(5),
    )
    .await
    .unwrap();
    assert!(later.notice.is_none());
    let quiet = MemorySource {
        notice: Some(posted_notice(crate::notices::Level::Notice, 1)),
        ..MemorySource::default()
    };
    let brief = build(&quiet, &settings(), now()).await.unwrap();
    assert!(render::html_fragment(&brief, None).contains("role=\"status\""));
}

#[tokio::test]
async fn a_long_stale_list_shows_the_oldest_rows_of_all_lists_and_counts_every_one() {
    let mut tasks: Vec<(TaskList, ListedTask)> = (0..30)
        .map(|n| {
            let day = 1 + (n * 7) % 28;
            (
                TaskList::Open,
                task(
                    100 + n,
                    "open and idle",
                    &format!("2026-11-{day:02}T10:00:00Z"),
                ),
            )
        })
        .collect();
    let mut oldest = task(
        7,
        "waiting for triage since October",
        "2026-10-01T10:00:00Z",
    );
    oldest.summary.needs_triage = true;
    tasks.push((TaskList::NeedsTriage, oldest));
    let source = MemorySource {
        tasks,
        ..MemorySource::default()
    };
    let brief = build(&source, &settings(), now()).await.unwrap();
    assert_eq!(brief.stale.total, 31);
    assert_eq!(brief.stale.items.len(), LISTED);
    assert_eq!(brief.stale.items[0].name, "T7");
    let days: Vec<_> = brief.stale.items.iter().map(|t| t.last_activity).collect();
    assert!(days.windows(2).all(|w| w[0] <= w[1]), "{days:?}");
    let text = render::text(&brief, None);
    assert!(text.contains("more than 14 days (31)"), "{text}");
}

#[tokio::test]
async fn a_roster_mirrored_without_the_rotations_names_is_read_off_the_people() {
    let listed = full();
    let unlisted = MemorySource {
        names_unlisted: true,
        ..full()
    };
    let (a, b) = (
        build(&listed, &settings(), now()).await.unwrap(),
        build(&unlisted, &settings(), now()).await.unwrap(),
    );
    assert_eq!(a.duty, b.duty);
    assert_eq!(b.duty.len(), 1);
    assert!(b.duty[0].current.as_ref().unwrap().on_duty.is_some());
    // One read more: the people, for their rotations.
    assert_eq!(*unlisted.reads.lock().unwrap(), 13);
}

#[tokio::test]
async fn on_a_weekend_the_shift_that_ended_is_the_last_one_and_the_coming_one_is_next() {
    let source = full();
    let saturday = at("2027-01-09T12:00:00Z");
    let brief = build(&source, &settings(), saturday).await.unwrap();
    let duty = &brief.duty[0];
    assert_eq!(
        duty.current.as_ref().map(|w| w.week.as_str()),
        Some("2027-W01")
    );
    assert_eq!(
        duty.next.as_ref().map(|w| w.week.as_str()),
        Some("2027-W02")
    );
    let text = render::text(&brief, utc().as_ref());
    assert!(text.contains("sre-clinic: Last shift 2027-W01"), "{text}");
    let monday = at("2027-01-11T09:00:00Z");
    let brief = build(&source, &settings(), monday).await.unwrap();
    let text = render::text(&brief, utc().as_ref());
    assert!(
        text.contains("sre-clinic: This week 2027-W02: Ben Meyer"),
        "{text}"
    );
    assert!(
        text.contains("sre-clinic: Next week: not handed off yet"),
        "{text}"
    );
}

#[tokio::test]
async fn an_unstaffed_week_and_a_person_who_left_the_roster_are_named_as_such() {
    let mut source = full();
    source.shifts[1].primary = None;
    source.shifts[1].unstaffed_reason = Some("everyone is away".into());
    source.shifts[0].primary = Some("gone".into());
    let brief = build(&source, &settings(), now()).await.unwrap();
    let text = render::text(&brief, utc().as_ref());
    assert!(
        text.contains("This week 2027-W01: gone (no longer on the roster)"),
        "{text}"
    );
    assert!(
        text.contains("Next week 2027-W02: UNSTAFFED: everyone is away"),
        "{text}"
    );
}

#[tokio::test]
async fn a_long_section_shows_the_first_rows_and_counts_the_rest() {
    let source = MemorySource {
        reviews: (0..LISTED + 5).map(review).collect(),
        ..MemorySource::default()
    };
    let brief = build(&source, &settings(), now()).await.unwrap();
    assert_eq!(brief.mail_review.total, LISTED + 5);
    assert_eq!(brief.mail_review.items.len(), LISTED);
    // Newest first.
    assert_eq!(
        brief.mail_review.items[0].subject.as_deref(),
        Some("Notice 0")
    );
    let text = render::text(&brief, utc().as_ref());
    assert!(text.contains("  … and 5 more\n"), "{text}");
}

#[tokio::test]
async fn outside_text_is_escaped_in_html() {
    let mut source = MemorySource::default();
    let mut hostile = task(
        9,
        "<script>alert(1)</script> & \"quotes\"",
        "2027-01-07T00:00:00Z",
    );
    hostile.summary.needs_triage = true;
    source.tasks.push((TaskList::NeedsTriage, hostile));
    let brief = build(&source, &settings(), now()).await.unwrap();
    let html = render::html_page(&brief, utc().as_ref());
    assert!(!html.contains("<script>"), "{html}");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;"),
        "{html}"
    );
}

#[test]
fn times_show_the_readers_zone_only_when_it_is_not_utc() {
    let t = at("2027-07-01T12:00:00Z");
    assert_eq!(render::when(t, utc().as_ref()), "2027-07-01 12:00 UTC");
    assert_eq!(
        render::when(t, zone(Some("America/New_York")).unwrap().as_ref()),
        "2027-07-01 12:00 UTC (2027-07-01 08:00 EDT)"
    );
    assert!(zone(Some("Mars/Olympus")).is_err());
}

#[tokio::test]
async fn a_restricted_task_is_named_by_its_number_only_in_the_mail_and_the_page() {
    let mut hidden = task(301, "", "2027-01-07T10:00:00Z");
    hidden.summary.restricted = true;
    hidden.summary.needs_triage = true;
    let source = MemorySource {
        tasks: vec![(TaskList::NeedsTriage, hidden)],
        ..MemorySource::default()
    };
    let brief = build(&source, &settings(), now()).await.unwrap();
    let text = render::text(&brief, None);
    assert!(text.contains("T301 (restricted) [open]"), "{text}");
    let page = render::html_page(&brief, None);
    assert!(
        page.contains("T301") && page.contains("(restricted)"),
        "{page}"
    );
}

#[tokio::test]
async fn with_a_circuits_file_two_redundancy_only_maintenances_at_once_are_an_outage_in_the_brief()
{
    let first = maintenance(
        "NW-1",
        Impact::ReducedRedundancy,
        Status::Confirmed,
        "2027-01-09T01:00:00Z",
    );
    let mut second = maintenance(
        "HT-7",
        Impact::ReducedRedundancy,
        Status::Confirmed,
        "2027-01-09T03:00:00Z",
    );
    second.provider = "harbour-transit".into();
    second.circuits = vec![Circuit::new("HT-2002", Impact::ReducedRedundancy)];
    let source = MemorySource {
        maintenance: vec![first, second],
        ..MemorySource::default()
    };
    let without = build(&source, &settings(), now()).await.unwrap();
    assert_eq!(without.maintenance_outages, None);
    assert!(!render::text(&without, None).contains("take down together"));
    let mut with = settings();
    with.circuits = Some(
        crate::maintenance::circuits::Circuits::parse(
            "[[circuit]]\nid = \"NW-1001\"\nsite = \"ams1\"\nservice = \"transit\"\nredundancy_group = \"ams1-up\"\n\n\
             [[circuit]]\nid = \"HT-2002\"\nsite = \"ams1\"\nservice = \"transit\"\nredundancy_group = \"ams1-up\"\n",
        )
        .unwrap(),
    );
    let brief = build(&source, &with, now()).await.unwrap();
    // Neither is in the "affecting service" section: each only reduces redundancy.
    assert_eq!(brief.maintenance.total, 0);
    let outages = brief.maintenance_outages.as_ref().expect("a section");
    assert_eq!(outages.total, 1);
    assert_eq!(outages.items[0].start, at("2027-01-09T03:00:00Z"));
    assert_eq!(outages.items[0].end, at("2027-01-09T05:00:00Z"));
    let text = render::text(&brief, None);
    assert!(
        text.contains("ams1-up at ams1: every circuit down (HT-2002, NW-1001)"),
        "{text}"
    );
    assert!(
        text.contains("maintenances harbour-transit/HT-7 + northwind/NW-1; each notice says only reduced redundancy"),
        "{text}"
    );
}

#[tokio::test]
async fn an_acknowledged_maintenance_says_who_looked_and_when() {
    let mut looked = maintenance(
        "NW-2",
        Impact::Outage,
        Status::Confirmed,
        "2027-01-09T01:00:00Z",
    );
    looked.acknowledged = Some(crate::maintenance::lifecycle::Acknowledgement {
        by: "cli:akaur".into(),
        at: at("2027-01-08T08:30:00Z"),
        note: "backup path checked".into(),
    });
    let source = MemorySource {
        maintenance: vec![looked],
        ..MemorySource::default()
    };
    let brief = build(&source, &settings(), now()).await.unwrap();
    let text = render::text(&brief, None);
    assert!(
        text.contains("acknowledged by cli:akaur 2027-01-08 08:30 UTC: backup path checked"),
        "{text}"
    );
}

#[tokio::test]
async fn a_maintenance_read_without_a_template_says_it_is_unverified_and_how_to_confirm_it() {
    let mut read = maintenance(
        "NLN-42",
        Impact::Outage,
        Status::Confirmed,
        "2027-01-09T01:00:00Z",
    );
    read.reading = crate::maintenance::ReadingKind::Generic;
    // Started before now, with no end given: still shown.
    read.start = at("2027-01-04T01:00:00Z").as_second();
    read.end = read.start;
    read.open_ended = true;
    let source = MemorySource {
        maintenance: vec![read],
        ..MemorySource::default()
    };
    let brief = build(&source, &settings(), now()).await.unwrap();
    let text = render::text(&brief, None);
    assert!(text.contains("(no end given)"), "{text}");
    assert!(
        text.contains("unverified (read without a template): check the mail, then `clinic maintenance confirm "),
        "{text}"
    );
}
