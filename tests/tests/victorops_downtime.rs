//! Planned downtime of our own as Statuspage shows it: the scheduled maintenance puts its components
//! under maintenance, and only one of Statuspage and Clinic tells people as it comes near, unless the
//! operator chooses both. Table and SES on moto, Statuspage as a local fake.

use clinic::brief::{self, BriefSettings, render};
use clinic::incidents::downtime::{DowntimeLine, DowntimeRequest, plan_window};
use clinic::incidents::mapping::Mapping;
use clinic_tests::fault_proxy::{Fault, Matcher, Times};
use clinic_tests::incident_rig::{Setup, deliver, mails_to, mapping_with, setup_mapped, t};
use clinic_tests::statuspage_fake::SCHEDULED_FLAGS;

fn request(domain: &str) -> DowntimeRequest {
    DowntimeRequest {
        services: vec!["database".into()],
        start: "2027-02-20 01:00".into(),
        end: "2027-02-20 03:00".into(),
        impact: "degraded".into(),
        urgent: false,
        mail_after: true,
        announce: vec![format!("users@{domain}")],
    }
}

fn outcomes(lines: &[DowntimeLine]) -> Vec<(&'static str, &'static str)> {
    lines.iter().map(|l| (l.slot, l.outcome)).collect()
}

/// What the window's end did (the sweep's mail slots left out).
fn at_the_end(lines: &[DowntimeLine]) -> Vec<(&'static str, &'static str)> {
    outcomes(lines)
        .into_iter()
        .filter(|(slot, _)| *slot == "ended")
        .collect()
}

#[tokio::test]
async fn downtime_left_to_statuspage_gets_its_reminders_there_and_no_mail_from_clinic() {
    let options = "deliver_notifications = true\ndowntime_notices = \"statuspage\"";
    let s = setup_mapped("left-to-page.example.org", mapping_with(options), false).await;
    let desk = s.webhook.desk();
    let now = t("2027-02-10T12:00:00Z");
    let window = plan_window(&request(&s.domain), desk.mapping(), now, "test").unwrap();
    desk.schedule_downtime(window, "test", now).await.unwrap();
    let posted = &s.fake.incidents()[0];
    for flag in SCHEDULED_FLAGS {
        assert_eq!(posted[*flag], true, "{flag}");
    }
    assert_eq!(posted["deliver_notifications"], true);

    let mut lines = Vec::new();
    for when in [
        "2027-02-13T01:02:00Z",
        "2027-02-20T00:59:10Z",
        "2027-02-20T03:00:30Z",
    ] {
        lines.extend(desk.downtime_sweep(t(when), "test", false).await.unwrap());
    }
    assert_eq!(
        outcomes(&lines),
        vec![
            ("announce", "left-to-statuspage"),
            ("start", "left-to-statuspage"),
            ("after", "left-to-statuspage"),
        ]
    );
    assert!(
        desk.downtime_sweep(t("2027-02-21T00:00:00Z"), "test", false)
            .await
            .unwrap()
            .is_empty(),
        "each slot is settled once"
    );
    assert!(mails_to(&s.domain).await.is_empty(), "Clinic sent no mail");
}

#[tokio::test]
async fn an_operator_who_chooses_both_gets_statuspage_reminders_and_clinic_mails() {
    let options = "deliver_notifications = true\ndowntime_notices = \"both\"";
    let s = setup_mapped("both-notices.example.org", mapping_with(options), false).await;
    let desk = s.webhook.desk();
    let now = t("2027-02-10T12:00:00Z");
    let window = plan_window(&request(&s.domain), desk.mapping(), now, "test").unwrap();
    desk.schedule_downtime(window, "test", now).await.unwrap();
    let posted = &s.fake.incidents()[0];
    assert_eq!(posted["scheduled_remind_prior"], true);
    assert_eq!(
        posted["auto_transition_deliver_notifications_at_start"],
        true
    );
    let lines = desk
        .downtime_sweep(t("2027-02-13T01:02:00Z"), "test", false)
        .await
        .unwrap();
    assert_eq!(outcomes(&lines), vec![("announce", "sent")]);
    assert_eq!(
        mails_to(&s.domain)
            .await
            .get(&format!("users@{}", s.domain)),
        Some(&1)
    );
}

// Incidents inside planned downtime of our own: held back from Statuspage as Statuspage keeps its
// own automation quiet during a maintenance, listed in the brief, and published after all when
// they outlast the window.

/// The incident in `events/victorops-outgoing-triggered.json` opens at 09:50 on 2027-01-05; this
/// window on its component runs 09:00–11:00 that day, scheduled a week and a day ahead.
fn window_around_the_sample(domain: &str) -> DowntimeRequest {
    DowntimeRequest {
        start: "2027-01-05 09:00".into(),
        end: "2027-01-05 11:00".into(),
        mail_after: false,
        ..request(domain)
    }
}

const SCHEDULED_AT: &str = "2026-12-28T12:00:00Z";
const ACKED_MS: i64 = 1799143200000; // 10:00
const RESOLVED_MS: i64 = 1799145000000; // 10:30

async fn with_window(s: &Setup) -> String {
    let desk = s.webhook.desk();
    let window = plan_window(
        &window_around_the_sample(&s.domain),
        desk.mapping(),
        t(SCHEDULED_AT),
        "test",
    )
    .unwrap();
    let (window, _) = desk
        .schedule_downtime(window, "test", t(SCHEDULED_AT))
        .await
        .unwrap();
    window.id
}

/// Realtime incidents on the fake page (the scheduled maintenance left out).
fn realtime(s: &Setup) -> Vec<serde_json::Value> {
    s.fake
        .incidents()
        .into_iter()
        .filter(|i| i.get("scheduled_for").is_none_or(|v| v.is_null()))
        .collect()
}

async fn brief_at(s: &Setup, now: &str) -> brief::Brief {
    let settings = BriefSettings {
        stale_after_days: 14,
        phabricator_url: None,
        uid_domain: clinic::mail::MailDomain::parse("clinic.example.org").unwrap(),
        circuits: None,
    };
    brief::build(&s.store, &settings, t(now)).await.unwrap()
}

fn quiet_mapping() -> Mapping {
    mapping_with("deliver_notifications = false")
}

#[tokio::test]
async fn an_incident_inside_our_planned_downtime_is_recorded_and_listed_but_not_published() {
    let s = setup_mapped("held-back.example.org", quiet_mapping(), false).await;
    let window = with_window(&s).await;
    let (status, report) = deliver(&s, "UNACKED", "", 1799142600123, "2027-01-05T09:50:02Z").await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["held_by"], window.as_str());
    assert_eq!(report["published"], false);
    let (status, report) =
        deliver(&s, "RESOLVED", "jdoe", RESOLVED_MS, "2027-01-05T10:30:02Z").await;
    assert_eq!(status, 200, "{report}");
    assert!(
        realtime(&s).is_empty(),
        "nothing on the page: {:?}",
        s.fake.incidents()
    );
    assert!(
        mails_to(&s.domain).await.is_empty(),
        "no duty mail for what the planned work caused"
    );

    let brief = brief_at(&s, "2027-01-05T12:00:00Z").await;
    assert_eq!(brief.held_incidents.total, 1);
    let line = &brief.held_incidents.items[0];
    assert_eq!(line.number, "2041");
    assert!(
        line.held_by.as_deref().unwrap().contains(&window),
        "{line:?}"
    );
    let text = render::text(&brief, None);
    assert!(
        text.contains("Incidents held back from Statuspage by planned downtime"),
        "{text}"
    );
    assert!(
        text.contains("held back from Statuspage: planned downtime"),
        "{text}"
    );

    // Resolved inside the window, it stays unpublished when the window ends.
    let lines = s
        .webhook
        .desk()
        .downtime_sweep(t("2027-01-05T11:00:30Z"), "test", false)
        .await
        .unwrap();
    assert!(lines.iter().all(|l| l.slot != "ended"), "{lines:?}");
    assert!(realtime(&s).is_empty());
    assert_eq!(
        brief_at(&s, "2027-01-13T09:00:00Z")
            .await
            .held_incidents
            .total,
        0,
        "a week later the brief has let it go"
    );
}

#[tokio::test]
async fn a_held_incident_still_open_when_the_window_ends_is_published_once() {
    let s = setup_mapped("outlasts.example.org", quiet_mapping(), false).await;
    let window = with_window(&s).await;
    deliver(&s, "UNACKED", "", 1799142600123, "2027-01-05T09:50:02Z").await;
    let (_, report) = deliver(&s, "ACKED", "jdoe", ACKED_MS, "2027-01-05T10:00:02Z").await;
    assert_eq!(report["held_by"], window.as_str(), "{report}");
    let desk = s.webhook.desk();
    let lines = desk
        .downtime_sweep(t("2027-01-05T10:59:00Z"), "test", false)
        .await
        .unwrap();
    assert!(at_the_end(&lines).is_empty(), "not while the window runs");
    assert!(realtime(&s).is_empty());

    let lines = desk
        .downtime_sweep(t("2027-01-05T11:00:30Z"), "test", false)
        .await
        .unwrap();
    assert_eq!(
        at_the_end(&lines),
        vec![("ended", "held-incident-published")]
    );
    let page = realtime(&s);
    assert_eq!(page.len(), 1, "{page:?}");
    assert_eq!(page[0]["status"], "identified");
    assert_eq!(
        mails_to(&s.domain).await.get(&format!("duty@{}", s.domain)),
        Some(&1),
        "the person on duty hears of it now"
    );
    assert!(
        desk.downtime_sweep(t("2027-01-05T11:01:30Z"), "test", false)
            .await
            .unwrap()
            .is_empty()
    );
    let (_, report) = deliver(
        &s,
        "RESOLVED",
        "jdoe",
        1799146800000,
        "2027-01-05T11:05:02Z",
    )
    .await;
    assert_eq!(report["statuspage_status"], "monitoring", "{report}");
    assert_eq!(realtime(&s).len(), 1, "the same incident, not a new one");
}

#[tokio::test]
async fn a_delivery_after_the_window_ended_publishes_the_held_incident_if_the_sweep_has_not() {
    let s = setup_mapped("late-ack.example.org", quiet_mapping(), false).await;
    with_window(&s).await;
    deliver(&s, "UNACKED", "", 1799142600123, "2027-01-05T09:50:02Z").await;
    let (status, report) =
        deliver(&s, "ACKED", "jdoe", 1799146800000, "2027-01-05T11:00:02Z").await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["published"], true);
    assert_eq!(report["held_by"], serde_json::Value::Null);
    assert_eq!(realtime(&s).len(), 1);
    let lines = s
        .webhook
        .desk()
        .downtime_sweep(t("2027-01-05T11:00:30Z"), "test", false)
        .await
        .unwrap();
    assert!(at_the_end(&lines).is_empty(), "already released: {lines:?}");
    assert_eq!(realtime(&s).len(), 1);
}

#[tokio::test]
async fn a_lost_answer_while_publishing_at_the_window_end_does_not_publish_twice() {
    let s = setup_mapped("end-lost-answer.example.org", quiet_mapping(), true).await;
    with_window(&s).await;
    deliver(&s, "UNACKED", "", 1799142600123, "2027-01-05T09:50:02Z").await;
    s.page_proxy.as_ref().unwrap().inject(
        Matcher::any().method("POST"),
        Fault::LoseAnswer,
        Times::Next(1),
    );
    let desk = s.webhook.desk();
    let first = desk
        .downtime_sweep(t("2027-01-05T11:00:30Z"), "test", false)
        .await;
    assert!(first.is_err(), "the lost answer is retried: {first:?}");
    let lines = desk
        .downtime_sweep(t("2027-01-05T11:01:30Z"), "test", false)
        .await
        .unwrap();
    assert_eq!(
        at_the_end(&lines),
        vec![("ended", "held-incident-published")]
    );
    assert_eq!(
        realtime(&s).len(),
        1,
        "found by its metadata, not made again"
    );
}

#[tokio::test]
async fn a_rule_may_publish_incidents_during_downtime_all_the_same() {
    let text = "[options]\ndeliver_notifications = false\n\n[[rule]]\nname = \"database\"\n\
                routing_keys = [\"sre\"]\nimpact = \"major\"\nduring_downtime = \"publish\"\n\
                components = { ftgks51sfs2d = \"partial_outage\" }\n\n[services]\ndatabase = \"ftgks51sfs2d\"\n";
    let s = setup_mapped(
        "publish-anyway.example.org",
        Mapping::parse(text).unwrap(),
        false,
    )
    .await;
    with_window(&s).await;
    let (status, report) = deliver(&s, "UNACKED", "", 1799142600123, "2027-01-05T09:50:02Z").await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["published"], true);
    assert_eq!(realtime(&s).len(), 1);
}

#[tokio::test]
async fn downtime_on_other_components_holds_nothing_back() {
    let text = "[options]\ndeliver_notifications = false\n\n[[rule]]\nname = \"database\"\n\
                routing_keys = [\"sre\"]\nimpact = \"major\"\n\
                components = { ftgks51sfs2d = \"partial_outage\" }\n\n[services]\ndatabase = \"ftgks51sfs2d\"\n\
                api = \"h7wv9qjxpl2s\"\n";
    let s = setup_mapped(
        "other-component.example.org",
        Mapping::parse(text).unwrap(),
        false,
    )
    .await;
    let desk = s.webhook.desk();
    let mut request = window_around_the_sample(&s.domain);
    request.services = vec!["api".into()];
    let window = plan_window(&request, desk.mapping(), t(SCHEDULED_AT), "test").unwrap();
    desk.schedule_downtime(window, "test", t(SCHEDULED_AT))
        .await
        .unwrap();
    let (_, report) = deliver(&s, "UNACKED", "", 1799142600123, "2027-01-05T09:50:02Z").await;
    assert_eq!(report["published"], true, "{report}");
    assert_eq!(realtime(&s).len(), 1);
}
