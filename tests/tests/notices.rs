//! Notices on the local stack: the service against the real table (replace, clear, a race of two
//! posts, expiry and its one sweep record), the brief's top line, the web form (session, CSRF, the
//! allow list, the banner on every signed-in page) and the Slack slash command (signature,
//! timestamp, size, who it is, a replay counted once). Each refusal is checked to write nothing.

use std::sync::Arc;

use clinic::adapters::dynamo::DynamoStore;
use clinic::audit::{AuditEntry, AuditLog};
use clinic::functions::http::Routes;
use clinic::functions::web::{NoticeDesk, WebPages};
use clinic::http_url::HttpUrl;
use clinic::mail::{EmailAddress, Mailbox};
use clinic::notices::{self, Command, NoticeError, Posted, Poster, Via};
use clinic::rotation::ports::RosterMirror;
use clinic::rotation::roster::{PersonId, Roster};
use clinic::secret::Secret;
use clinic::signin::SignIn;
use clinic::signin::token::SigningKey;
use clinic_tests::web_browser::{Browser, csrf};
use clinic_tests::{fresh_store, repo_root, sdk_config, table_items, verified_sender};
use hmac::{Hmac, Mac as _};
use lambda_http::http::Method;
use lambda_http::{Body, Request};
use sha2::Sha256;

const SENDER: &str = "clinic-web@example.net";
const KEY: &str = "web-tests-signing-key-0123456789abcdef";
const BASE: &str = "https://clinic.example.org";
const SLACK_SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
const AKAUR_SLACK: &str = "U0AKAUR01";
const BMOREAU_SLACK: &str = "U0BMOREAU01";

fn at(epoch: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_second(epoch).unwrap()
}

struct World {
    store: DynamoStore,
    roster: Roster,
    routes: Routes,
    domain: String,
}

/// The demo roster on a mail domain of the test's own (every person in it has a `slack_user`),
/// akaur allowed to post; the pages over a fresh table with the notice desk.
async fn world(prefix: &str) -> World {
    let store = fresh_store(prefix).await;
    let domain = format!("{}.example.net", store.table().as_str().to_lowercase());
    let text = std::fs::read_to_string(repo_root().join("events/roster.toml"))
        .unwrap()
        .replace("@example.net", &format!("@{domain}"))
        + "\n[notices]\nallow = [\"akaur\"]\nexpiry_hours = 6\n";
    let roster = Roster::parse(&text).unwrap();
    let setup = AuditEntry::new(at(1_700_000_000), "test", "setup", "setup", "setup", "test");
    store.mirror_roster(&roster, &setup).await.unwrap();
    verified_sender(SENDER).await;
    let sdk = sdk_config().await;
    let shared = Arc::new(store.clone());
    let signin = SignIn {
        key: SigningKey::parse(KEY).unwrap(),
        ledger: shared.clone(),
        people: shared.clone(),
        mailer: Arc::new(clinic::adapters::ses::SesMailer::new(
            aws_sdk_sesv2::Client::new(&sdk),
        )),
        nonces: Arc::new(clinic::adapters::random::OsNonces),
        sender: Mailbox::new("Clinic", EmailAddress::parse(SENDER).unwrap()),
        base_url: HttpUrl::parse(BASE).unwrap(),
    };
    let desk = NoticeDesk {
        board: shared.clone(),
        roster: Some(Arc::new(roster.clone())),
        phorge: Some(HttpUrl::parse("https://phabricator.example.org").unwrap()),
        slack_signing_secret: Some(Secret::new(SLACK_SECRET)),
    };
    let routes =
        Arc::new(WebPages::new(signin, shared.clone(), shared).with_notices(desk)).routes();
    World {
        store,
        roster,
        routes,
        domain,
    }
}

impl World {
    async fn audited(&self, action: &str, now: jiff::Timestamp) -> Vec<AuditEntry> {
        let day = now.to_zoned(jiff::tz::TimeZone::UTC).date();
        self.store
            .list(day.yesterday().unwrap(), day.tomorrow().unwrap(), 500)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.action == action)
            .collect()
    }

    async fn post(
        &self,
        person: &str,
        line: &str,
        now: jiff::Timestamp,
    ) -> Result<Posted, NoticeError> {
        let person = PersonId::parse(person).unwrap();
        let poster = Poster {
            person: &person,
            via: Via::Cli,
            actor: "cli:tester",
            cause: "cli:test",
        };
        notices::run(
            &self.store,
            self.roster.notices(),
            &poster,
            &Command::parse(line).unwrap(),
            None,
            now,
        )
        .await
    }

    /// A Slack slash command as Slack sends it, signed with `secret` at `signed_at`.
    async fn slack(
        &self,
        fields: &[(&str, &str)],
        secret: &str,
        signed_at: i64,
        now: i64,
        retry: Option<&str>,
    ) -> (u16, String) {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let signature = sign(secret, &signed_at.to_string(), &body);
        self.slack_raw(
            body,
            Some(&signed_at.to_string()),
            Some(&signature),
            now,
            retry,
        )
        .await
    }

    async fn slack_raw(
        &self,
        body: String,
        timestamp: Option<&str>,
        signature: Option<&str>,
        now: i64,
        retry: Option<&str>,
    ) -> (u16, String) {
        let mut request = Request::new(Body::from(body));
        *request.method_mut() = Method::POST;
        *request.uri_mut() = "/chat/slack/command".parse().unwrap();
        let headers = request.headers_mut();
        headers.insert(
            "content-type",
            "application/x-www-form-urlencoded".parse().unwrap(),
        );
        if let Some(timestamp) = timestamp {
            headers.insert("x-slack-request-timestamp", timestamp.parse().unwrap());
        }
        if let Some(signature) = signature {
            headers.insert("x-slack-signature", signature.parse().unwrap());
        }
        if let Some(retry) = retry {
            headers.insert("x-slack-retry-num", retry.parse().unwrap());
        }
        let response = self.routes.dispatch_at(request, at(now)).await;
        (
            response.status().as_u16(),
            String::from_utf8_lossy(response.body().as_ref()).into_owned(),
        )
    }
}

fn sign(secret: &str, timestamp: &str, body: &str) -> String {
    let mut mac = <Hmac<Sha256>>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("v0:{timestamp}:{body}").as_bytes());
    format!("v0={}", hex::encode(mac.finalize().into_bytes()))
}

fn slash<'a>(user: &'a str, text: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("token", "deprecated-verification-token"),
        ("team_id", "T0TEAM00001"),
        ("channel_id", "C0123ABCDEF"),
        ("user_id", user),
        ("command", "/status"),
        ("text", text),
        (
            "response_url",
            "https://hooks.slack.com/commands/T0TEAM00001/1/abc",
        ),
        ("trigger_id", "1.2.3"),
    ]
}

#[tokio::test]
async fn a_notice_replaces_the_last_is_cleared_by_ok_and_its_history_is_the_audit_log() {
    let world = world("notices-service").await;
    let now = at(1_800_000_000);
    world
        .post("akaur", "notice gerrit is slow", now)
        .await
        .unwrap();
    let replaced = world
        .post(
            "akaur",
            "alert eqiad row C switch flapping T123 for 4h",
            now,
        )
        .await
        .unwrap();
    assert!(
        matches!(&replaced, Posted::Posted { replaced: Some(old), .. } if old.text.as_str() == "gerrit is slow"),
        "{replaced:?}"
    );
    let standing = notices::current(&world.store, now).await.unwrap().unwrap();
    assert_eq!(standing.text.as_str(), "eqiad row C switch flapping");
    assert_eq!(
        standing.expires_at,
        now + jiff::SignedDuration::from_hours(4)
    );
    // Without `for`, the roster's six hours.
    world.post("akaur", "ok fixed", now).await.unwrap();
    assert!(notices::current(&world.store, now).await.unwrap().is_none());
    let posts = world.audited("notice.post", now).await;
    assert_eq!(posts.len(), 2);
    // Both posts carry the same time, so the log's order between them is not theirs: find the second.
    assert!(
        posts
            .iter()
            .any(|p| p.why.contains("replacing akaur's notice: gerrit is slow")),
        "{posts:?}"
    );
    let clears = world.audited("notice.clear", now).await;
    assert_eq!(clears.len(), 1);
    assert!(clears[0].why.contains("fixed") && clears[0].why.contains("switch flapping"));
    assert_eq!(clears[0].subject, "notices/current");
}

#[tokio::test]
async fn a_person_not_allowed_is_refused_and_the_table_is_untouched() {
    let world = world("notices-refused").await;
    let before = table_items(&world.store).await;
    let error = world
        .post("bmoreau", "alert me too", at(1_800_000_000))
        .await
        .unwrap_err();
    assert!(matches!(error, NoticeError::NotAllowed(_)), "{error}");
    assert_eq!(table_items(&world.store).await, before);
}

#[tokio::test]
async fn two_posts_at_once_both_land_in_turn_and_the_second_names_the_first_as_replaced() {
    let world = world("notices-race").await;
    let now = at(1_800_000_000);
    let (first, second) = tokio::join!(
        world.post("akaur", "alert one", now),
        world.post("akaur", "alert two", now)
    );
    let (first, second) = (first.unwrap(), second.unwrap());
    let replaced: Vec<_> = [&first, &second]
        .iter()
        .filter_map(|p| match p {
            Posted::Posted { replaced, .. } => Some(replaced.is_some()),
            _ => None,
        })
        .collect();
    // One wrote onto the empty board; the other's write lost the race, read again and replaced it.
    assert_eq!(
        replaced.iter().filter(|r| **r).count(),
        1,
        "{first:?} {second:?}"
    );
    let posts = world.audited("notice.post", now).await;
    assert_eq!(posts.len(), 2);
    let board = notices::NoticeBoard::board(&world.store).await.unwrap();
    assert_eq!(board.version, 2);
}

#[tokio::test]
async fn an_expired_notice_is_gone_at_once_and_the_sweep_records_it_once() {
    let world = world("notices-expiry").await;
    let now = at(1_800_000_000);
    world
        .post("akaur", "alert broken for 1h", now)
        .await
        .unwrap();
    let later = now + jiff::SignedDuration::from_hours(1);
    assert!(
        notices::current(&world.store, later)
            .await
            .unwrap()
            .is_none()
    );
    let (a, b) = tokio::join!(
        notices::sweep_expired(&world.store, "sweep", "run-a", later),
        notices::sweep_expired(&world.store, "sweep", "run-b", later)
    );
    let ended = [a.unwrap(), b.unwrap()];
    assert_eq!(ended.iter().filter(|e| e.is_some()).count(), 1);
    assert!(
        notices::sweep_expired(&world.store, "sweep", "run-c", later)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(world.audited("notice.expired", later).await.len(), 1);
}

#[tokio::test]
async fn the_notice_standing_is_the_briefs_top_line() {
    let world = world("notices-brief").await;
    let now = at(1_800_000_000);
    world
        .post(
            "akaur",
            "alert eqiad row C switch flapping T123 for 2h",
            now,
        )
        .await
        .unwrap();
    let settings = clinic::brief::BriefSettings {
        stale_after_days: 14,
        phabricator_url: None,
        uid_domain: clinic::mail::MailDomain::parse("clinic.example.org").unwrap(),
        circuits: None,
    };
    let brief = clinic::brief::build(&world.store, &settings, now)
        .await
        .unwrap();
    let text = clinic::brief::render::text(&brief, None);
    let until = (now + jiff::SignedDuration::from_hours(2)).strftime("%H:%M UTC");
    assert_eq!(
        text.lines().nth(2).unwrap(),
        format!("ALERT (akaur, until {until}): eqiad row C switch flapping — T123"),
        "{text}"
    );
    let gone = clinic::brief::build(
        &world.store,
        &settings,
        now + jiff::SignedDuration::from_hours(2),
    )
    .await
    .unwrap();
    assert!(gone.notice.is_none());
}

#[tokio::test]
async fn the_web_form_posts_for_allowed_people_only_and_every_page_shows_the_banner() {
    let world = world("notices-web").await;
    let now = jiff::Timestamp::now().as_second();
    let mut anonymous = Browser::new(&world.routes, "192.0.2.50");
    let before = table_items(&world.store).await;
    let refused = anonymous
        .post_at("/notices", &[("level", "alert"), ("text", "x")], now)
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(table_items(&world.store).await, before);

    // Someone signed in but not on the allow list sees no form and is refused a forged post.
    let mut bruno = Browser::new(&world.routes, "192.0.2.51");
    bruno
        .sign_in(&format!("bmoreau@{}", world.domain), now)
        .await;
    let page = bruno.get_at("/notices", now + 1).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("No notice stands."));
    assert!(!page.body.contains("action=\"/notices\""), "{}", page.body);
    let token = csrf(&page.body);
    let before = table_items(&world.store).await;
    let refused = bruno
        .post_at(
            "/notices",
            &[("csrf", &token), ("level", "alert"), ("text", "me too")],
            now + 2,
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(table_items(&world.store).await, before);

    let mut asha = Browser::new(&world.routes, "192.0.2.52");
    asha.sign_in(&format!("akaur@{}", world.domain), now).await;
    let page = asha.get_at("/notices", now + 3).await;
    assert!(page.body.contains("action=\"/notices\""), "{}", page.body);
    let token = csrf(&page.body);
    let before = table_items(&world.store).await;
    // No CSRF token, a forged one: nothing written.
    for fields in [
        vec![("level", "alert"), ("text", "broken")],
        vec![("csrf", "forged"), ("level", "alert"), ("text", "broken")],
    ] {
        let refused = asha.post_at("/notices", &fields, now + 4).await;
        assert_eq!(refused.status, 403, "{}", refused.body);
    }
    // A bad field: the page again, with the reason, nothing written.
    let bad = asha
        .post_at(
            "/notices",
            &[
                ("csrf", &token),
                ("level", "alert"),
                ("text", "broken"),
                ("task", "123"),
            ],
            now + 5,
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(
        bad.body.contains("is not a Phorge task like T123"),
        "{}",
        bad.body
    );
    assert_eq!(table_items(&world.store).await, before);

    let posted = asha
        .post_at(
            "/notices",
            &[
                ("csrf", &token),
                ("level", "alert"),
                ("text", "eqiad row C switch flapping"),
                ("task", "T123"),
                ("hours", "3"),
            ],
            now + 6,
        )
        .await;
    assert_eq!(
        (posted.status, posted.location.as_deref()),
        (303, Some("/notices"))
    );
    let standing = notices::current(&world.store, at(now + 7))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (standing.via, standing.posted_by.as_str()),
        (Via::Web, "akaur")
    );
    // The banner tops every signed-in page, an alert as role="alert", its task linked.
    for path in ["/now", "/notices", "/maintenance"] {
        let page = bruno.get_at(path, now + 8).await;
        assert!(
            page.body.contains(
                "<main id=\"main\">\n<p class=\"notice-alert\" role=\"alert\"><strong>ALERT (akaur, until "
            ) && page.body.contains("<a href=\"https://phabricator.example.org/T123\">T123</a>"),
            "{path}: {}",
            page.body
        );
    }
    // Not on the sign-in page, seen before anyone is known.
    let signin = anonymous.get_at("/signin", now + 8).await;
    assert!(!signin.body.contains("notice-alert"));

    let page = asha.get_at("/notices", now + 9).await;
    assert!(page.body.contains("OK: clear the notice"));
    let cleared = asha
        .post_at("/notices", &[("csrf", &token), ("level", "ok")], now + 10)
        .await;
    assert_eq!(cleared.status, 303);
    assert!(
        notices::current(&world.store, at(now + 11))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        !bruno
            .get_at("/now", now + 12)
            .await
            .body
            .contains("notice-alert")
    );
    let clears = world.audited("notice.clear", at(now)).await;
    assert_eq!(clears.len(), 1);
    assert_eq!(clears[0].actor, "web:akaur");
}

#[tokio::test]
async fn a_signed_slack_command_posts_once_however_often_it_arrives() {
    let world = world("notices-slack").await;
    let now = jiff::Timestamp::now().as_second();
    let fields = slash(AKAUR_SLACK, "alert eqiad row C switch flapping T123 for 2h");
    let (status, body) = world.slack(&fields, SLACK_SECRET, now, now, None).await;
    assert_eq!(status, 200, "{body}");
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["response_type"], "ephemeral");
    let first = answer["text"].as_str().unwrap().to_owned();
    assert!(first.starts_with("posted: ALERT (akaur"), "{first}");
    let standing = notices::current(&world.store, at(now))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(standing.via, Via::Slack);
    assert_eq!(standing.task.unwrap().to_string(), "T123");

    // Slack's retry of the same delivery, and the same request replayed a minute later: one notice.
    let after_first = table_items(&world.store).await;
    for (retry, at_time) in [(Some("1"), now + 3), (None, now + 60)] {
        let (status, body) = world
            .slack(&fields, SLACK_SECRET, now, at_time, retry)
            .await;
        assert_eq!(status, 200, "{body}");
        let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(answer["text"].as_str().unwrap(), first);
    }
    assert_eq!(table_items(&world.store).await, after_first);
    assert_eq!(world.audited("notice.post", at(now)).await.len(), 1);
}

#[tokio::test]
async fn a_slack_command_not_signed_now_by_slack_or_not_from_an_allowed_person_writes_nothing() {
    let world = world("notices-slack-refused").await;
    let now = jiff::Timestamp::now().as_second();
    let fields = slash(AKAUR_SLACK, "alert broken");
    let before = table_items(&world.store).await;

    // Signed with another secret; the body changed after signing; too old; too far ahead.
    let (status, _) = world.slack(&fields, "not-the-secret", now, now, None).await;
    assert_eq!(status, 401);
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&fields)
        .finish();
    let signature = sign(SLACK_SECRET, &now.to_string(), &body);
    let tampered = body.replace("broken", "fine");
    let (status, _) = world
        .slack_raw(
            tampered,
            Some(&now.to_string()),
            Some(&signature),
            now,
            None,
        )
        .await;
    assert_eq!(status, 401);
    for skew in [-301, 301] {
        let (status, body) = world
            .slack(&fields, SLACK_SECRET, now + skew, now, None)
            .await;
        assert_eq!(status, 401, "{skew}: {body}");
        assert!(body.contains("five minutes"), "{body}");
    }
    // Headers missing.
    let (status, _) = world
        .slack_raw(body.clone(), None, Some(&signature), now, None)
        .await;
    assert_eq!(status, 400);
    let (status, _) = world
        .slack_raw(body.clone(), Some(&now.to_string()), None, now, None)
        .await;
    assert_eq!(status, 400);
    // Oversized, even when signed.
    let big = format!("{body}&pad={}", "x".repeat(9000));
    let big_signature = sign(SLACK_SECRET, &now.to_string(), &big);
    let (status, _) = world
        .slack_raw(big, Some(&now.to_string()), Some(&big_signature), now, None)
        .await;
    assert_eq!(status, 413);
    assert_eq!(table_items(&world.store).await, before);

    // Signed by Slack, but from a user no roster person is, or a person not allowed: an ephemeral
    // refusal, nothing written.
    for (user, expected) in [
        ("U0STRANGER1", "no roster person's slack_user"),
        (BMOREAU_SLACK, "bmoreau may not post notices"),
    ] {
        let (status, body) = world
            .slack(&slash(user, "alert broken"), SLACK_SECRET, now, now, None)
            .await;
        assert_eq!(status, 200, "{body}");
        let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(answer["response_type"], "ephemeral");
        assert!(
            answer["text"].as_str().unwrap().contains(expected),
            "{body}"
        );
    }
    // A malformed command says what to write.
    let (_, body) = world
        .slack(&slash(AKAUR_SLACK, "broken"), SLACK_SECRET, now, now, None)
        .await;
    assert!(body.contains("not a notice command"), "{body}");
    assert_eq!(table_items(&world.store).await, before);
}
