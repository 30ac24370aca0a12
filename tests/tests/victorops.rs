//! The VictorOps webhook end to end: the handler Lambda calls, the table and SES on moto, Statuspage
//! as a local fake.

use clinic::audit::AuditLog;
use clinic::claim::{ClaimKey, Claims, Holder, Taken};
use clinic::incidents::downtime::{DowntimeLine, DowntimeRequest, plan_window};
use clinic::incidents::lifecycle::{IncidentNumber, Phase};
use clinic::incidents::ports::IncidentLedger;
use clinic_tests::received_mail;
use lambda_http::{Body, Request};

use clinic_tests::incident_rig::{
    ACK_MS, KEY, PAGE, RESOLVE_MS, SECRET, Setup, body, deliver, mails_to, request, sample, setup,
    t,
};

fn number() -> IncidentNumber {
    IncidentNumber::parse("2041").unwrap()
}

#[tokio::test]
async fn the_whole_lifecycle_creates_one_statuspage_incident_and_leaves_it_monitoring_for_a_person_to_close()
 {
    let s = setup("lifecycle.example.org", false).await;
    let (status, report) = deliver(&s, "UNACKED", "", 1799142600123, "2027-01-05T09:50:05Z").await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["change"], "opened");
    assert_eq!(report["statuspage_status"], "investigating");
    let (status, _) = deliver(&s, "ACKED", "jdoe", ACK_MS, "2027-01-05T09:54:05Z").await;
    assert_eq!(status, 200);
    let (status, report) =
        deliver(&s, "RESOLVED", "jdoe", RESOLVE_MS, "2027-01-05T10:35:05Z").await;
    assert_eq!(status, 200);
    assert_eq!(
        report["statuspage_status"], "monitoring",
        "VictorOps resolved: fix in place, watching; not closed without auto_resolve"
    );

    let calls = s.fake.calls();
    let summary: Vec<(String, u16, serde_json::Value)> = calls
        .iter()
        .map(|c| {
            (
                c.method.clone(),
                c.status,
                c.body["incident"]["status"].clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("POST".into(), 201, "investigating".into()),
            ("PATCH".into(), 200, "identified".into()),
            ("PATCH".into(), 200, "monitoring".into()),
        ]
    );
    let monitoring = &calls[2].body["incident"];
    assert_eq!(
        monitoring["components"]["ftgks51sfs2d"], "operational",
        "the alert cleared: the component shows it while people watch"
    );
    assert_eq!(s.fake.incidents()[0]["status"], "monitoring");
    let created = &calls[0].body["incident"];
    assert_eq!(created["components"]["ftgks51sfs2d"], "partial_outage");
    assert_eq!(created["deliver_notifications"], false);
    assert_eq!(created["metadata"]["victorops"]["incident_number"], "2041");
    assert!(calls[1].at_ms - calls[0].at_ms >= 45, "requests are paced");

    let record = s.store.incident(&number()).await.unwrap().unwrap();
    assert_eq!(record.phase, Phase::Resolved);
    assert_eq!(record.acked_by.as_deref(), Some("jdoe"));
    assert_eq!(
        record.resolved_at,
        Some(jiff::Timestamp::from_millisecond(RESOLVE_MS).unwrap())
    );

    let mails = mails_to(&s.domain).await;
    assert_eq!(
        mails.get(&format!("duty@{}", s.domain)),
        Some(&1),
        "{mails:?}"
    );

    let actions: Vec<String> = s
        .store
        .list(
            t("2027-01-05T00:00:00Z")
                .to_zoned(jiff::tz::TimeZone::UTC)
                .date(),
            t("2027-01-06T00:00:00Z")
                .to_zoned(jiff::tz::TimeZone::UTC)
                .date(),
            100,
        )
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    for expected in [
        "incident.unacked",
        "statuspage.create",
        "mail.send",
        "incident.acked",
        "statuspage.update",
        "incident.resolved",
        "incident.status",
    ] {
        assert!(
            actions.iter().any(|a| a == expected),
            "{expected} missing from {actions:?}"
        );
    }
}

#[tokio::test]
async fn repeated_and_out_of_order_deliveries_never_move_the_incident_backwards() {
    let s = setup("order.example.org", false).await;
    let (_, report) = deliver(&s, "ACKED", "jdoe", ACK_MS, "2027-01-05T09:54:05Z").await;
    assert_eq!(report["statuspage_status"], "identified");
    let (status, report) = deliver(&s, "UNACKED", "", 1799142600123, "2027-01-05T09:55:00Z").await;
    assert_eq!(status, 200);
    assert_eq!(report["change"], "unchanged");
    assert_eq!(report["phase"], "ACKED");
    let (_, report) = deliver(&s, "ACKED", "jdoe", ACK_MS, "2027-01-05T09:56:00Z").await;
    assert_eq!(report["change"], "unchanged");
    let before = s.store.incident(&number()).await.unwrap().unwrap();
    deliver(
        &s,
        "ACKED",
        "someone-else",
        ACK_MS + 5,
        "2027-01-05T09:57:00Z",
    )
    .await;
    let after = s.store.incident(&number()).await.unwrap().unwrap();
    assert_eq!(before, after, "a repeat writes nothing");

    let calls = s.fake.calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].body["incident"]["status"], "identified");
    assert_eq!(s.fake.incidents().len(), 1);
    assert_eq!(mails_to(&s.domain).await.values().sum::<usize>(), 1);
}

#[tokio::test]
async fn a_bad_or_missing_secret_is_refused_with_401_and_nothing_happens() {
    let s = setup("secret.example.org", false).await;
    let good = body("UNACKED", "", 1799142600123);
    for token in [
        None,
        Some("wrong"),
        Some(""),
        Some("demo-clinic-webhook-token-0"),
    ] {
        let response = s
            .webhook
            .handle_at(request(&good, token), t("2027-01-05T09:50:05Z"))
            .await;
        assert_eq!(response.status().as_u16(), 401, "{token:?}");
    }
    let wrong_query = lambda_http::http::Request::builder()
        .method("POST")
        .uri("/hooks/victorops?token=nope")
        .body(Body::from(good.clone()))
        .unwrap();
    assert_eq!(
        s.webhook
            .handle_at(wrong_query, t("2027-01-05T09:50:05Z"))
            .await
            .status()
            .as_u16(),
        401
    );
    assert!(s.store.incident(&number()).await.unwrap().is_none());
    assert!(s.fake.calls().is_empty());

    let right_query = lambda_http::http::Request::builder()
        .method("POST")
        .uri(format!("/hooks/victorops?token={SECRET}"))
        .body(Body::from(good))
        .unwrap();
    assert_eq!(
        s.webhook
            .handle_at(right_query, t("2027-01-05T09:50:05Z"))
            .await
            .status()
            .as_u16(),
        200
    );
}

#[tokio::test]
async fn a_bad_body_is_refused_with_400_and_says_why() {
    let s = setup("body.example.org", false).await;
    let cases = [
        ("not json".to_owned(), "payload template"),
        (
            body("PENDING", "", 1799142600123),
            "UNACKED, ACKED or RESOLVED",
        ),
        (
            body("UNACKED", "", 1799142600123).replace("\"routing_key\"", "\"routingKey\""),
            "unknown field",
        ),
    ];
    for (text, expected) in cases {
        let response = s
            .webhook
            .handle_at(request(&text, Some(SECRET)), t("2027-01-05T09:50:05Z"))
            .await;
        assert_eq!(response.status().as_u16(), 400);
        let answer: serde_json::Value = serde_json::from_slice(response.body().as_ref()).unwrap();
        assert!(
            answer["error"].as_str().unwrap().contains(expected),
            "{answer}"
        );
    }
    assert!(s.store.incident(&number()).await.unwrap().is_none());
    assert!(s.fake.calls().is_empty());
}

fn function_url_event(name: &str) -> Request {
    let event: serde_json::Value = serde_json::from_str(&sample(name)).unwrap();
    let parsed: lambda_http::request::LambdaRequest = serde_json::from_value(event).unwrap();
    Request::from(parsed)
}

#[tokio::test]
async fn a_signed_escalation_webhook_is_accepted_and_a_bad_signature_is_refused() {
    let s = setup("signature.example.org", false).await;
    let response = s
        .webhook
        .handle_at(
            function_url_event("victorops-escalation-function-url.json"),
            t("2027-01-05T09:50:05Z"),
        )
        .await;
    assert_eq!(response.status().as_u16(), 200, "{:?}", response.body());
    assert_eq!(
        s.store.incident(&number()).await.unwrap().unwrap().phase,
        Phase::Unacked
    );

    let mut tampered = function_url_event("victorops-escalation-function-url.json");
    tampered.headers_mut().insert(
        "x-victorops-signature",
        "AZ1ZmYZKbhxRHOv+k2clGL5uZlc=".parse().unwrap(),
    );
    let response = s
        .webhook
        .handle_at(tampered, t("2027-01-05T09:50:05Z"))
        .await;
    assert_eq!(response.status().as_u16(), 401);
}

#[tokio::test]
async fn a_function_url_event_with_the_token_in_the_query_is_accepted() {
    let s = setup("functionurl.example.org", false).await;
    let mut request = function_url_event("victorops-function-url-triggered.json");
    request.headers_mut().remove("x-clinic-webhook-token");
    let response = s
        .webhook
        .handle_at(request, t("2027-01-05T09:50:05Z"))
        .await;
    assert_eq!(response.status().as_u16(), 200, "{:?}", response.body());
}

#[tokio::test]
async fn a_429_from_statuspage_is_waited_out_and_creates_exactly_one_incident() {
    let s = setup("ratelimit.example.org", false).await;
    s.fake.rate_limit_next(2);
    let (status, report) = deliver(&s, "UNACKED", "", 1799142600123, "2027-01-05T09:50:05Z").await;
    assert_eq!(status, 200, "{report}");
    let statuses: Vec<u16> = s.fake.calls().iter().map(|c| c.status).collect();
    assert_eq!(statuses, vec![429, 429, 201]);
    assert_eq!(s.fake.incidents().len(), 1);
}

#[tokio::test]
async fn statuspage_still_rate_limiting_gives_503_and_the_repeat_delivery_creates_it_once() {
    let s = setup("ratelimit2.example.org", false).await;
    s.fake.rate_limit_next(10);
    let (status, _) = deliver(&s, "UNACKED", "", 1799142600123, "2027-01-05T09:50:05Z").await;
    assert_eq!(status, 503);
    assert!(s.fake.incidents().is_empty());
    s.fake.rate_limit_next(0);
    let (status, report) = deliver(&s, "UNACKED", "", 1799142600123, "2027-01-05T09:51:05Z").await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["change"], "unchanged");
    assert_eq!(s.fake.incidents().len(), 1);
    deliver(&s, "UNACKED", "", 1799142600123, "2027-01-05T09:52:05Z").await;
    assert_eq!(s.fake.incidents().len(), 1);
}

#[tokio::test]
async fn a_creation_whose_answer_was_lost_is_found_again_instead_of_duplicated() {
    let s = setup("lost.example.org", false).await;
    // An earlier invocation claimed the creation, Statuspage created the incident, and the
    // invocation died before recording it: the claim's lease runs out with no outcome.
    let key = ClaimKey::incident(number().as_str(), "statuspage-create");
    let holder = Holder::new();
    let claimed = s
        .store
        .take(
            &key,
            &holder,
            t("2027-01-05T09:50:05Z"),
            t("2027-01-05T09:52:05Z"),
        )
        .await
        .unwrap();
    assert_eq!(
        claimed,
        Taken::Mine {
            attempt: 1,
            unsettled_since: None
        }
    );
    assert!(
        s.store
            .begin(&key, &holder, t("2027-01-05T09:50:06Z"))
            .await
            .unwrap()
    );
    let created: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/pages/{PAGE}/incidents", s.fake.base_url()))
        .header("Authorization", format!("OAuth {KEY}"))
        .json(
            &serde_json::json!({"incident": {"name": "x", "status": "investigating",
            "metadata": {"victorops": {"incident_number": "2041"}}}}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    let (status, report) = deliver(&s, "UNACKED", "", 1799142600123, "2027-01-05T09:55:00Z").await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["statuspage_id"], created["id"]);
    assert_eq!(s.fake.incidents().len(), 1, "no second incident");
}

#[tokio::test]
async fn anything_but_post_is_refused_with_405() {
    let s = setup("method.example.org", false).await;
    let get = lambda_http::http::Request::builder()
        .method("GET")
        .uri(format!("/hooks/victorops?token={SECRET}"))
        .body(Body::Empty)
        .unwrap();
    assert_eq!(
        s.webhook
            .handle_at(get, t("2027-01-05T09:50:05Z"))
            .await
            .status()
            .as_u16(),
        405
    );
}

#[tokio::test]
async fn simultaneous_deliveries_create_one_statuspage_incident() {
    let s = setup("race.example.org", false).await;
    let (a, b) = tokio::join!(
        deliver(&s, "UNACKED", "", 1799142600123, "2027-01-05T09:50:05Z"),
        deliver(&s, "UNACKED", "", 1799142600123, "2027-01-05T09:50:05Z"),
    );
    assert!(a.0 == 200 && b.0 == 200, "{a:?} {b:?}");
    deliver(&s, "UNACKED", "", 1799142600123, "2027-01-05T09:50:09Z").await;
    assert_eq!(s.fake.incidents().len(), 1);
    let posts = s.fake.calls().iter().filter(|c| c.method == "POST").count();
    assert_eq!(posts, 1);
}

#[tokio::test]
async fn the_reminder_fires_once_per_slot_and_never_after_the_statuspage_incident_is_closed() {
    let s = setup("reminder.example.org", false).await;
    deliver(&s, "UNACKED", "", 1799142600123, "2027-01-05T09:50:05Z").await;
    deliver(&s, "RESOLVED", "jdoe", RESOLVE_MS, "2027-01-05T10:35:05Z").await;
    let desk = s.webhook.desk();
    let duty = format!("duty@{}", s.domain);
    let responder = format!("responder@{}", s.domain);

    let lines = desk
        .sweep(t("2027-01-05T10:50:00Z"), "test", false)
        .await
        .unwrap();
    assert_eq!(lines[0].outcome, "not-yet-due");
    let lines = desk
        .sweep(t("2027-01-05T11:06:00Z"), "test", false)
        .await
        .unwrap();
    assert_eq!(lines[0].outcome, "sent");
    assert_eq!(lines[0].recipients, vec!["responder", "duty"]);
    assert_eq!(
        s.fake.incidents()[0]["status"],
        "monitoring",
        "a monitoring incident is still open: it is reminded of"
    );
    let lines = desk
        .sweep(t("2027-01-05T11:20:00Z"), "test", false)
        .await
        .unwrap();
    assert_eq!(lines[0].outcome, "already-sent");
    let mails = mails_to(&s.domain).await;
    assert_eq!(mails.get(&responder), Some(&1), "{mails:?}");
    assert_eq!(
        mails.get(&duty),
        Some(&2),
        "opening mail + one reminder: {mails:?}"
    );

    let id = lines[0].statuspage_id.clone();
    s.fake.resolve_by_hand(&id);
    let lines = desk
        .sweep(t("2027-01-05T14:10:00Z"), "test", false)
        .await
        .unwrap();
    assert_eq!(lines[0].outcome, "closed");
    let lines = desk
        .sweep(t("2027-01-05T17:10:00Z"), "test", false)
        .await
        .unwrap();
    assert!(lines.is_empty(), "{lines:?}");
    let after = mails_to(&s.domain).await;
    assert_eq!(after, mails, "no reminder after closing");
}

#[tokio::test]
async fn a_statuspage_incident_deleted_by_hand_gets_no_more_reminders() {
    let s = setup("deleted.example.org", false).await;
    deliver(&s, "UNACKED", "", 1799142600123, "2027-01-05T09:50:05Z").await;
    deliver(&s, "RESOLVED", "jdoe", RESOLVE_MS, "2027-01-05T10:35:05Z").await;
    let desk = s.webhook.desk();
    let id = s
        .store
        .incident(&number())
        .await
        .unwrap()
        .unwrap()
        .statuspage_id
        .unwrap();
    s.fake.delete_by_hand(&id);
    let lines = desk
        .sweep(t("2027-01-05T11:06:00Z"), "test", false)
        .await
        .unwrap();
    assert_eq!(lines[0].outcome, "closed");
    assert!(
        desk.sweep(t("2027-01-05T14:06:00Z"), "test", false)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        mails_to(&s.domain).await.values().sum::<usize>(),
        1,
        "only the opening mail"
    );
}

#[tokio::test]
async fn auto_resolve_closes_the_statuspage_incident_with_components_operational() {
    let s = setup("autoresolve.example.org", true).await;
    deliver(&s, "UNACKED", "", 1799142600123, "2027-01-05T09:50:05Z").await;
    let (_, report) = deliver(&s, "RESOLVED", "jdoe", RESOLVE_MS, "2027-01-05T10:35:05Z").await;
    assert_eq!(report["statuspage_status"], "resolved");
    let last = s.fake.calls().pop().unwrap();
    assert_eq!(
        last.body["incident"]["components"]["ftgks51sfs2d"],
        "operational"
    );
    let lines = s
        .webhook
        .desk()
        .sweep(t("2027-01-05T12:00:00Z"), "test", false)
        .await
        .unwrap();
    assert!(lines.is_empty(), "nothing to remind: {lines:?}");
}

#[tokio::test]
async fn an_unmapped_incident_is_recorded_but_not_published() {
    let s = setup("unmapped.example.org", false).await;
    let text = body("UNACKED", "", 1799142600123)
        .replace("\"routing_key\": \"sre\"", "\"routing_key\": \"network\"");
    let response = s
        .webhook
        .handle_at(request(&text, Some(SECRET)), t("2027-01-05T09:50:05Z"))
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let record = s.store.incident(&number()).await.unwrap().unwrap();
    assert!(record.publication.is_none());
    assert!(s.fake.calls().is_empty());
    assert!(mails_to(&s.domain).await.is_empty());
}

fn downtime_request(domain: &str, start: &str, end: &str, urgent: bool) -> DowntimeRequest {
    DowntimeRequest {
        services: vec!["database".into()],
        start: start.into(),
        end: end.into(),
        impact: "degraded".into(),
        urgent,
        mail_after: true,
        announce: vec![format!("users@{domain}")],
    }
}

#[tokio::test]
async fn planned_downtime_is_posted_once_and_each_timed_mail_goes_out_exactly_once() {
    let s = setup("downtime.example.org", false).await;
    let desk = s.webhook.desk();
    let now = t("2027-02-10T12:00:00Z");
    let request = downtime_request(&s.domain, "2027-02-20 01:00", "2027-02-20 03:00", false);
    let window = plan_window(&request, desk.mapping(), now, "test").unwrap();
    let (window, lines) = desk.schedule_downtime(window, "test", now).await.unwrap();
    assert!(lines.is_empty(), "nothing due yet: {lines:?}");
    let posted = s.fake.incidents();
    assert_eq!(posted.len(), 1);
    assert_eq!(posted[0]["status"], "scheduled");
    assert_eq!(posted[0]["scheduled_for"], "2027-02-20T01:00:00Z");
    assert_eq!(window.statuspage_id.as_deref(), posted[0]["id"].as_str());
    for flag in [
        "auto_transition_to_maintenance_state",
        "auto_transition_to_operational_state",
    ] {
        assert_eq!(
            posted[0][flag], true,
            "components under maintenance: {flag}"
        );
    }
    for flag in [
        "scheduled_remind_prior",
        "auto_transition_deliver_notifications_at_start",
        "auto_transition_deliver_notifications_at_end",
    ] {
        assert_eq!(
            posted[0][flag], false,
            "Clinic's mails are the reminders by default: {flag}"
        );
    }

    let outcomes = |lines: Vec<DowntimeLine>| -> Vec<(&'static str, &'static str)> {
        lines.into_iter().map(|l| (l.slot, l.outcome)).collect()
    };
    let at = |when: &'static str| async move {
        desk.downtime_sweep(t(when), "test", false).await.unwrap()
    };
    assert!(at("2027-02-12T12:00:00Z").await.is_empty());
    assert_eq!(
        outcomes(at("2027-02-13T01:02:00Z").await),
        vec![("announce", "sent")]
    );
    assert!(at("2027-02-13T01:03:00Z").await.is_empty(), "sent once");
    assert!(at("2027-02-20T00:58:00Z").await.is_empty());
    assert_eq!(
        outcomes(at("2027-02-20T00:59:10Z").await),
        vec![("start", "sent")]
    );
    assert_eq!(
        outcomes(at("2027-02-20T03:00:30Z").await),
        vec![("after", "sent")]
    );
    assert!(
        at("2027-02-21T00:00:00Z").await.is_empty(),
        "the window is finished"
    );
    let mails = mails_to(&s.domain).await;
    assert_eq!(
        mails.get(&format!("users@{}", s.domain)),
        Some(&3),
        "{mails:?}"
    );
}

#[tokio::test]
async fn short_notice_downtime_needs_urgent_and_the_announcement_says_so() {
    let s = setup("urgent.example.org", false).await;
    let desk = s.webhook.desk();
    let now = t("2027-02-10T12:00:00Z");
    let request = downtime_request(&s.domain, "2027-02-12 01:00", "2027-02-12 02:00", false);
    let refused = plan_window(&request, desk.mapping(), now, "test").unwrap_err();
    assert!(refused.to_string().contains("--urgent"), "{refused}");
    assert!(s.fake.calls().is_empty());

    let request = downtime_request(&s.domain, "2027-02-12 01:00", "2027-02-12 02:00", true);
    let window = plan_window(&request, desk.mapping(), now, "test").unwrap();
    let (_, lines) = desk.schedule_downtime(window, "test", now).await.unwrap();
    assert_eq!(lines.len(), 1);
    assert_eq!((lines[0].slot, lines[0].outcome), ("announce", "sent"));
    let mail = received_mail()
        .await
        .into_iter()
        .find(|m| m.destinations.iter().any(|d| d.ends_with(&s.domain)))
        .unwrap();
    assert!(mail.raw.contains("SHORT NOTICE"), "{}", mail.raw);
    assert!(mail.raw.contains("database"));
}

#[tokio::test]
async fn clinic_serve_routes_a_post_to_the_same_handler_over_http() {
    let s = setup("serve.example.org", false).await;
    let Setup { webhook, fake, .. } = s;
    let served = clinic_tests::Served::start(clinic::functions::http::Routes::new().route(
        lambda_http::http::Method::POST,
        "/hooks/victorops",
        std::sync::Arc::new(webhook),
    ))
    .await;
    let client = reqwest::Client::new();
    let url = format!("http://{}/hooks/victorops", served.address);
    let payload = body("UNACKED", "", 1799142600123);
    let refused = client
        .post(&url)
        .body(payload.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 401);
    let accepted = client
        .post(&url)
        .header("X-Clinic-Webhook-Token", SECRET)
        .header("Content-Type", "application/json")
        .body(payload)
        .send()
        .await
        .unwrap();
    let status = accepted.status().as_u16();
    let text = accepted.text().await.unwrap();
    assert_eq!(status, 200, "{text}");
    assert_eq!(
        fake.incidents().len(),
        1,
        "the mapped incident is published once"
    );
    served.stop().await;
}
