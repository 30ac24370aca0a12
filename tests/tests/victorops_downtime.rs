//! Planned downtime of our own as Statuspage shows it: the scheduled maintenance puts its components
//! under maintenance, and only one of Statuspage and Clinic tells people as it comes near, unless the
//! operator chooses both. Table and SES on moto, Statuspage as a local fake.

use clinic::incidents::downtime::{DowntimeLine, DowntimeRequest, plan_window};
use clinic_tests::incident_rig::{mails_to, mapping_with, setup_mapped, t};
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
