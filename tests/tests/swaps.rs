//! Self-service swaps and cover end to end on the local stack (moto: DynamoDB, SES) and the
//! VictorOps API fake: a person on duty asks on the page, the request is offered to exactly the
//! people the rules allow, the first to accept wins and VictorOps follows; refusals write nothing;
//! the swaps job reminds 7 days and 1 day before, once each, and expires what nobody took.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use clinic::adapters::dynamo::DynamoStore;
use clinic::adapters::pacing::Pacing;
use clinic::adapters::ses::SesMailer;
use clinic::adapters::victorops::{VictorOpsApiSettings, VictorOpsClient};
use clinic::audit::{AuditEntry, AuditLog};
use clinic::functions::http::Routes;
use clinic::functions::web::WebPages;
use clinic::handoff::job::HandoffJob;
use clinic::http_url::HttpUrl;
use clinic::mail::{EmailAddress, Mailbox, Mailer};
use clinic::oncall::VictorOpsSync;
use clinic::rotation::ports::RosterMirror;
use clinic::rotation::roster::Roster;
use clinic::secret::Secret;
use clinic::shifts::{OverrideRecord, ShiftLedger, ShiftRecord};
use clinic::signin::SignIn;
use clinic::signin::token::SigningKey;
use clinic::swaps::{SwapId, SwapKind, SwapLedger, SwapState, Swaps};
use clinic::trigger::Trigger;
use clinic_tests::failing_mailer::FailingMailer;
use clinic_tests::victorops_api_fake::{FakePolicy, FakeSetup, VictorOpsApiFake};
use clinic_tests::web_browser::{Browser, csrf, mails_to};
use clinic_tests::{fresh_store, table_items, verified_sender};

const SENDER: &str = "clinic@swaps-tests.example.org";
const KEY: &str = "swaps-tests-signing-key-0123456789abcdef";
const BASE: &str = "https://clinic.example.org";
const TEAM: &str = "team-Xq2hV7bRk3LmN8pA";
const POLICY: &str = "pol-3hV8nL2pQ6sD9wKe";
const API_ID: &str = "org-test-id";
const API_KEY: &str = "vo-test-key-0001";
/// Friday 2027-01-01 09:00 UTC: the weekly run commits 2027-W01 (Alice, by override).
const FRIDAY: &str = "2027-01-01T09:00:00Z";
/// An hour later, when people use the pages.
const LATER: &str = "2027-01-01T10:00:00Z";

fn at(text: &str) -> jiff::Timestamp {
    text.parse().unwrap()
}

fn epoch(text: &str) -> i64 {
    at(text).as_second()
}

/// Seven people of `ops`: Erin is a manager, Carla is away all of 2027-W01, Bruno (blue, like Gita)
/// serves 2027-W02. So Alice's W01 may be covered by Dmitri and Femi only.
/// Everyone's timezone is Europe/Berlin but for those `zones` names.
fn roster_text(domain: &str, approver: Option<&str>, zones: &[(&str, &str)]) -> String {
    let person = |id: &str, team: &str, role: &str, absences: &str| {
        let zone = zones
            .iter()
            .find(|(who, _)| *who == id)
            .map_or("Europe/Berlin", |(_, zone)| zone);
        format!(
            "[[people]]\nid = \"{id}\"\nname = \"{id} Person\"\nemail = \"{id}@{domain}\"\nteam = \"{team}\"\n\
             timezone = \"{zone}\"\nholidays = \"DE\"\nrole = \"{role}\"\nrotations = [\"ops\"]\n\
             previous_duties = 3\nabsences = [{absences}]\nvictorops_user = \"{id}.vo\"\n\n"
        )
    };
    let approver = approver
        .map(|a| format!("swap_approver = \"{a}\"\n"))
        .unwrap_or_default();
    let mut text = format!(
        "[rotations.ops]\nstyle = \"fair\"\nmin_working_days = 3\navoid_same_person = true\navoid_same_team = true\n\
         notify = [\"team@{domain}\"]\nvictorops = {{ team = \"{TEAM}\", policies = [\"{POLICY}\"] }}\n{approver}\n"
    );
    text.push_str(&person("alice", "red", "engineer", ""));
    text.push_str(&person("bruno", "blue", "engineer", ""));
    text.push_str(&person(
        "carla",
        "green",
        "engineer",
        "{ from = \"2027-01-04\", to = \"2027-01-08\" }",
    ));
    text.push_str(&person("dmitri", "red", "engineer", ""));
    text.push_str(&person("erin", "yellow", "manager", ""));
    text.push_str(&person("femi", "purple", "engineer", ""));
    text.push_str(&person("gita", "blue", "engineer", ""));
    text
}

fn setup() -> FakeSetup {
    FakeSetup {
        now: at(FRIDAY),
        team_slug: TEAM.into(),
        team_name: "SRE".into(),
        policies: vec![FakePolicy {
            slug: POLICY.into(),
            name: "SRE clinic duty".into(),
            anchor: at("2026-12-28T09:00:00Z"),
            hours: 168,
            users: vec!["nadia".into(), "omar".into()],
        }],
        other_users: ["alice", "bruno", "carla", "dmitri", "erin", "femi", "gita"]
            .iter()
            .map(|id| format!("{id}.vo"))
            .collect(),
    }
}

struct World {
    store: DynamoStore,
    fake: VictorOpsApiFake,
    swaps: Arc<Swaps>,
    routes: Routes,
    domain: String,
}

fn address(domain: &str, id: &str) -> String {
    format!("{id}@{domain}")
}

fn swaps_with(
    store: &DynamoStore,
    roster: &Roster,
    sync: Arc<VictorOpsSync>,
    mailer: Arc<dyn Mailer>,
) -> Swaps {
    let shared = Arc::new(store.clone());
    Swaps {
        ledger: shared.clone(),
        shifts: shared.clone(),
        claims: shared,
        mailer,
        nonces: Arc::new(clinic::adapters::random::OsNonces),
        roster: Arc::new(roster.clone()),
        victorops: Some(sync),
        sender: EmailAddress::parse(SENDER).unwrap(),
        web_url: HttpUrl::parse(BASE).unwrap(),
        lease: jiff::SignedDuration::from_secs(60),
        max_age: jiff::SignedDuration::from_hours(28 * 24),
    }
}

async fn world(name: &str, approver: Option<&str>) -> World {
    zoned_world(name, approver, &[]).await
}

async fn zoned_world(name: &str, approver: Option<&str>, zones: &[(&str, &str)]) -> World {
    let domain = format!("{name}.swaps.example.org");
    let store = fresh_store(&format!("swaps-{name}")).await;
    let fake = VictorOpsApiFake::start(API_ID, API_KEY, setup()).await;
    let settings = VictorOpsApiSettings {
        url: HttpUrl::parse(&fake.base_url()).unwrap(),
        api_id: API_ID.into(),
        api_key: Secret::new(API_KEY),
    };
    let pacing = Pacing {
        min_interval: Duration::from_millis(5),
        first_backoff: Duration::from_millis(20),
        max_attempts: 4,
    };
    let sync = Arc::new(VictorOpsSync::new(
        Arc::new(VictorOpsClient::new(&settings, pacing)),
        Arc::new(store.clone()),
        60,
    ));
    let roster = Roster::parse(&roster_text(&domain, approver, zones)).expect("test roster");
    let audit = AuditEntry::new(at(FRIDAY), "test", "setup", "setup", "setup", "test");
    store.mirror_roster(&roster, &audit).await.unwrap();
    for (week, person) in [
        ("2027-W01", "alice"),
        ("2027-W02", "bruno"),
        ("2027-W03", "alice"),
    ] {
        let pinned = OverrideRecord {
            rotation: "ops".into(),
            week: week.into(),
            person: person.into(),
            reason: "planned by the test".into(),
            set_by: "cli:test".into(),
            set_at: at(FRIDAY),
        };
        store.put_override(&pinned, &audit).await.unwrap();
    }
    let ses = verified_sender(SENDER).await;
    HandoffJob::new(
        store.clone(),
        Arc::new(SesMailer::new(ses.clone())),
        roster.clone(),
        EmailAddress::parse(SENDER).unwrap(),
        60,
    )
    .with_victorops(sync.clone())
    .run(&Trigger {
        event_id: format!("evt-{name}"),
        time: at(FRIDAY),
        dry_run: false,
    })
    .await
    .unwrap();
    let swaps = Arc::new(swaps_with(
        &store,
        &roster,
        sync,
        Arc::new(SesMailer::new(ses.clone())),
    ));
    let shared = Arc::new(store.clone());
    let signin = SignIn {
        key: SigningKey::parse(KEY).unwrap(),
        ledger: shared.clone(),
        people: shared.clone(),
        mailer: Arc::new(SesMailer::new(ses)),
        nonces: Arc::new(clinic::adapters::random::OsNonces),
        sender: Mailbox::new("Clinic", EmailAddress::parse(SENDER).unwrap()),
        base_url: HttpUrl::parse(BASE).unwrap(),
    };
    let routes =
        Arc::new(WebPages::new(signin, shared.clone(), shared).with_swaps(swaps.clone())).routes();
    World {
        store,
        fake,
        swaps,
        routes,
        domain,
    }
}

impl World {
    async fn signed_in(&self, id: &str) -> Browser<'_> {
        let mut browser = Browser::new(&self.routes, "192.0.2.61").at(epoch(LATER));
        browser
            .sign_in(&address(&self.domain, id), epoch(LATER))
            .await;
        browser
    }

    async fn shift(&self, week: &str) -> ShiftRecord {
        self.store
            .shifts("ops")
            .await
            .unwrap()
            .into_iter()
            .find(|s| s.week == week)
            .unwrap_or_else(|| panic!("{week} is committed"))
    }

    /// How many audit entries about the request did `action`.
    async fn audit_count(&self, id: &SwapId, action: &str) -> usize {
        self.store
            .list(
                "2026-12-30".parse().unwrap(),
                "2027-01-25".parse().unwrap(),
                10_000,
            )
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.subject == format!("swap/{id}") && e.action == action)
            .count()
    }

    /// The audit actions about a request, each once, sorted (entries of one instant have no order);
    /// counted apart where a repeat matters.
    async fn audited(&self, id: &SwapId) -> Vec<String> {
        self.store
            .list(
                "2026-12-30".parse().unwrap(),
                "2027-01-25".parse().unwrap(),
                10_000,
            )
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.subject == format!("swap/{id}"))
            .map(|e| e.action)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    }
}

/// The request's id from the page the form redirects to.
fn asked_id(location: Option<&str>) -> SwapId {
    let location = location.expect("a redirect");
    let id = location
        .strip_prefix("/swaps/")
        .and_then(|rest| rest.split('?').next())
        .unwrap_or_else(|| panic!("{location}"));
    SwapId::parse(id).unwrap()
}

/// Mails the local SES accepted for `to` about request `id`, of `kind` (`offer`, `taken`, ...).
async fn mails_about(to: &str, id: &SwapId, kind: &str) -> usize {
    let marker = format!(".{kind}.");
    mails_to(to)
        .await
        .into_iter()
        .filter(|raw| raw.contains(&format!("/swaps/{id}")) && raw.contains(&marker))
        .count()
}

async fn ask_cover(browser: &mut Browser<'_>, week: &str) -> SwapId {
    let page = browser.get("/swaps").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let token = csrf(&page.body);
    let asked = browser
        .post(
            "/swaps",
            &[
                ("csrf", &token),
                ("week", &format!("ops/{week}")),
                ("kind", "cover"),
                ("note", "a <wedding>"),
            ],
        )
        .await;
    assert_eq!(asked.status, 303, "{}", asked.body);
    asked_id(asked.location.as_deref())
}

async fn press(
    browser: &mut Browser<'_>,
    id: &SwapId,
    act: &str,
) -> clinic_tests::web_browser::Answer {
    let page = browser.get(&format!("/swaps/{id}")).await;
    let token = csrf(&page.body);
    browser
        .post(&format!("/swaps/{id}/{act}"), &[("csrf", &token)])
        .await
}

#[tokio::test]
async fn cover_is_offered_by_mail_to_exactly_the_people_the_rules_allow() {
    let world = world("offer", None).await;
    let mut alice = world.signed_in("alice").await;
    let page = alice.get("/swaps").await;
    assert!(page.body.contains("ops 2027-W01"), "{}", page.body);
    let id = ask_cover(&mut alice, "2027-W01").await;
    let request = world.store.swap(&id).await.unwrap().unwrap();
    assert_eq!(request.state, SwapState::Open);
    assert_eq!(
        request.kind,
        SwapKind::Cover {
            week: "2027-W01".parse().unwrap()
        }
    );
    let offered: BTreeSet<&str> = request.offered.iter().map(String::as_str).collect();
    // Not Alice (asking), Bruno (serves W02), Gita (blue, Bruno's team, W02), Carla (away),
    // Erin (a manager).
    assert_eq!(offered, BTreeSet::from(["dmitri", "femi"]));
    assert_eq!(request.closes_at, world.shift("2027-W01").await.start_utc);
    for id_of in ["dmitri", "femi"] {
        assert_eq!(
            mails_about(&address(&world.domain, id_of), &id, "offer").await,
            1,
            "{id_of} is offered it once"
        );
    }
    for id_of in ["alice", "bruno", "carla", "erin", "gita"] {
        assert_eq!(
            mails_about(&address(&world.domain, id_of), &id, "offer").await,
            0,
            "{id_of} is not offered it"
        );
    }
    let shown = alice.get(&format!("/swaps/{id}?asked=1")).await;
    assert_eq!(shown.status, 200);
    assert!(
        shown.body.contains("a &lt;wedding&gt;"),
        "the note is escaped"
    );
    assert!(shown.body.contains("Withdraw"));
    assert!(!shown.body.contains(">Accept<"));
    assert_eq!(world.audited(&id).await, vec!["swap.ask"]);

    // Someone not on duty that week cannot ask for it: refused, nothing written.
    let mut bruno = world.signed_in("bruno").await;
    let before = table_items(&world.store).await;
    let page = bruno.get("/swaps").await;
    let token = csrf(&page.body);
    let refused = bruno
        .post(
            "/swaps",
            &[
                ("csrf", &token),
                ("week", "ops/2027-W01"),
                ("kind", "cover"),
            ],
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(refused.body.contains("not your week"), "{}", refused.body);
    assert_eq!(table_items(&world.store).await, before);
}

#[tokio::test]
async fn of_two_racing_acceptors_one_wins_the_other_is_told_and_victorops_follows_the_winner() {
    let world = world("race", None).await;
    let old_ids = world.fake.override_ids();
    assert_eq!(old_ids.len(), 2, "the weekly run put Alice on call");
    let mut alice = world.signed_in("alice").await;
    let id = ask_cover(&mut alice, "2027-W01").await;
    let mut dmitri = world.signed_in("dmitri").await;
    let mut femi = world.signed_in("femi").await;
    let path = format!("/swaps/{id}/accept");
    let (d_token, f_token) = (
        csrf(&dmitri.get(&format!("/swaps/{id}")).await.body),
        csrf(&femi.get(&format!("/swaps/{id}")).await.body),
    );
    let (d_form, f_form) = ([("csrf", d_token.as_str())], [("csrf", f_token.as_str())]);
    let (d, f) = tokio::join!(dmitri.post(&path, &d_form), femi.post(&path, &f_form));
    let mut statuses = [d.status, f.status];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "{}\n{}", d.body, f.body);
    let (winner, loser) = if d.status == 200 {
        ("dmitri", &f)
    } else {
        ("femi", &d)
    };
    assert!(
        loser.body.contains("someone else took this request first"),
        "{}",
        loser.body
    );

    let request = world.store.swap(&id).await.unwrap().unwrap();
    assert_eq!(request.state, SwapState::Applied);
    assert_eq!(request.accepted_by.as_deref(), Some(winner));
    let overrides: Vec<OverrideRecord> = world
        .store
        .overrides("ops")
        .await
        .unwrap()
        .into_iter()
        .filter(|o| o.week == "2027-W01")
        .collect();
    assert_eq!(overrides.len(), 1);
    assert_eq!(overrides[0].person, winner);
    let shift = world.shift("2027-W01").await;
    assert_eq!(shift.primary.as_deref(), Some(winner));
    assert_eq!(
        world.audited(&id).await,
        vec!["swap.accept", "swap.apply", "swap.ask"],
        "accepted and applied"
    );
    assert_eq!(world.audit_count(&id, "swap.accept").await, 1, "one accept");
    // VictorOps: Alice's overrides deleted, the winner's created, exactly those Clinic recorded.
    let now_ids = world.fake.override_ids();
    assert!(now_ids.is_disjoint(&old_ids));
    let mut recorded = shift.victorops_overrides.clone();
    recorded.sort();
    assert_eq!(recorded, now_ids.into_iter().collect::<Vec<_>>());
    let mut t = shift.start_utc;
    while t < shift.end_utc {
        assert_eq!(
            world.fake.paged_at(POLICY, t).as_deref(),
            Some(format!("{winner}.vo").as_str()),
            "VictorOps pages someone else at {t}"
        );
        t += jiff::SignedDuration::from_hours(1);
    }
    // Requester, acceptor and the notify list are told, once each.
    for to in [
        address(&world.domain, "alice"),
        address(&world.domain, winner),
        format!("team@{}", world.domain),
    ] {
        assert_eq!(mails_about(&to, &id, "taken").await, 1, "{to}");
    }
}

#[tokio::test]
async fn a_lost_answer_from_victorops_leaves_the_accept_to_be_retried_and_nothing_is_doubled() {
    let world = world("lost", None).await;
    let old_ids = world.fake.override_ids();
    let mut alice = world.signed_in("alice").await;
    let id = ask_cover(&mut alice, "2027-W01").await;
    let mut dmitri = world.signed_in("dmitri").await;
    world.fake.lose_next_creation();
    let first = press(&mut dmitri, &id, "accept").await;
    assert_eq!(first.status, 503, "{}", first.body);
    assert!(
        first.body.contains("VictorOps could not be updated"),
        "{}",
        first.body
    );
    let halfway = world.store.swap(&id).await.unwrap().unwrap();
    assert_eq!(
        halfway.state,
        SwapState::Accepted,
        "not applied before VictorOps"
    );
    assert_eq!(
        world.shift("2027-W01").await.primary.as_deref(),
        Some("dmitri")
    );

    // Femi cannot take it meanwhile; Dmitri's retry finishes it.
    let mut femi = world.signed_in("femi").await;
    let before = table_items(&world.store).await;
    let refused = press(&mut femi, &id, "accept").await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert_eq!(table_items(&world.store).await, before);
    let retried = press(&mut dmitri, &id, "accept").await;
    assert_eq!(retried.status, 200, "{}", retried.body);
    assert_eq!(
        world.store.swap(&id).await.unwrap().unwrap().state,
        SwapState::Applied
    );
    let shift = world.shift("2027-W01").await;
    let now_ids = world.fake.override_ids();
    assert!(now_ids.is_disjoint(&old_ids));
    assert_eq!(now_ids.len(), 2, "the lost creation found, not made again");
    let mut recorded = shift.victorops_overrides.clone();
    recorded.sort();
    assert_eq!(recorded, now_ids.into_iter().collect::<Vec<_>>());
    let overrides = world.store.overrides("ops").await.unwrap();
    assert_eq!(overrides.iter().filter(|o| o.week == "2027-W01").count(), 1);
    let audited = world.audited(&id).await;
    assert_eq!(audited, vec!["swap.accept", "swap.apply", "swap.ask"]);
    assert_eq!(world.audit_count(&id, "swap.accept").await, 1);
    assert_eq!(world.audit_count(&id, "swap.apply").await, 1);
    // A third press changes nothing.
    let before = table_items(&world.store).await;
    let again = press(&mut dmitri, &id, "accept").await;
    assert_eq!(again.status, 200);
    assert_eq!(table_items(&world.store).await, before);
}

#[tokio::test]
async fn another_persons_request_is_refused_with_a_clear_page_and_nothing_written() {
    let world = world("refuse", None).await;
    let mut alice = world.signed_in("alice").await;
    let id = ask_cover(&mut alice, "2027-W01").await;
    let mut bruno = world.signed_in("bruno").await;
    let mut dmitri = world.signed_in("dmitri").await;
    let before = table_items(&world.store).await;

    let not_offered = press(&mut bruno, &id, "accept").await;
    assert_eq!(not_offered.status, 403, "{}", not_offered.body);
    assert!(not_offered.body.contains("not offered to you"));
    let not_requester = press(&mut dmitri, &id, "withdraw").await;
    assert_eq!(not_requester.status, 403);
    assert!(not_requester.body.contains("only the person who asked"));
    let not_approver = press(&mut dmitri, &id, "approve").await;
    assert_eq!(not_approver.status, 403);
    let no_csrf = dmitri.post(&format!("/swaps/{id}/accept"), &[]).await;
    assert_eq!(no_csrf.status, 403);
    let other_csrf = csrf(&bruno.get("/swaps").await.body);
    let forged = dmitri
        .post(&format!("/swaps/{id}/accept"), &[("csrf", &other_csrf)])
        .await;
    assert_eq!(forged.status, 403, "another session's token");
    let mut nobody = Browser::new(&world.routes, "192.0.2.62").at(epoch(LATER));
    let signed_out = nobody
        .post(&format!("/swaps/{id}/accept"), &[("csrf", "x")])
        .await;
    assert_eq!(signed_out.status, 403);
    assert_eq!(nobody.get(&format!("/swaps/{id}")).await.status, 303);
    assert_eq!(
        table_items(&world.store).await,
        before,
        "nothing written for any of them"
    );
    assert_eq!(
        world.store.swap(&id).await.unwrap().unwrap().state,
        SwapState::Open
    );
}

#[tokio::test]
async fn expired_applied_unknown_and_malformed_links_get_a_clear_page_and_write_nothing() {
    let world = world("links", None).await;
    let mut alice = world.signed_in("alice").await;
    let id = ask_cover(&mut alice, "2027-W01").await;
    let mut dmitri = world.signed_in("dmitri").await;
    let before = table_items(&world.store).await;
    for path in [
        "/swaps/0123456789abcdef0123456789abcdef".to_owned(),
        "/swaps/0123456789abcdef0123456789abcdef/accept".to_owned(),
        "/swaps/not-an-id".to_owned(),
        "/swaps/..%2F..%2Fetc/accept".to_owned(),
        format!("/swaps/{id}/steal"),
    ] {
        let answer = if path.ends_with("accept") || path.ends_with("steal") {
            let token = csrf(&dmitri.get("/swaps").await.body);
            dmitri.post(&path, &[("csrf", &token)]).await
        } else {
            dmitri.get(&path).await
        };
        assert_eq!(answer.status, 404, "{path}: {}", answer.body);
        // A button that does not exist has no route at all: the router's plain 404.
        assert!(
            answer.body.contains("no such swap request") || path.ends_with("steal"),
            "{path}"
        );
    }
    assert_eq!(table_items(&world.store).await, before);

    // After the week starts the link is gone: 410 to read, 410 to accept, nothing written.
    let started = epoch("2027-01-04T08:00:00Z");
    let mut dmitri = Browser::new(&world.routes, "192.0.2.63").at(started);
    dmitri
        .sign_in(&address(&world.domain, "dmitri"), started)
        .await;
    let before = table_items(&world.store).await;
    let late = dmitri.get_at(&format!("/swaps/{id}"), started).await;
    assert_eq!(late.status, 410, "{}", late.body);
    assert!(late.body.contains("expired"));
    let token = csrf(&late.body);
    let accept = dmitri
        .post_at(&format!("/swaps/{id}/accept"), &[("csrf", &token)], started)
        .await;
    assert_eq!(accept.status, 410, "{}", accept.body);
    assert_eq!(table_items(&world.store).await, before);

    // Applied: a second acceptor is told it is taken, and nothing is written.
    let mut dmitri = world.signed_in("dmitri").await;
    assert_eq!(press(&mut dmitri, &id, "accept").await.status, 200);
    let mut femi = world.signed_in("femi").await;
    let applied = table_items(&world.store).await;
    let taken = press(&mut femi, &id, "accept").await;
    assert_eq!(taken.status, 409);
    let withdrawn = press(&mut alice, &id, "withdraw").await;
    assert_eq!(withdrawn.status, 409, "{}", withdrawn.body);
    assert_eq!(table_items(&world.store).await, applied);
}

#[tokio::test]
async fn reminders_go_seven_days_and_one_day_before_once_each_and_an_unanswered_request_expires() {
    let world = world("remind", None).await;
    let week = "2027-W03".parse().unwrap();
    let asked = world
        .swaps
        .ask(
            "alice",
            "ops",
            SwapKind::Cover { week },
            "",
            at("2027-01-02T10:00:00Z"),
            "test:ask",
        )
        .await
        .unwrap();
    let id = asked.id.clone();
    let starts = asked.week_starts;
    assert_eq!(asked.closes_at, starts);
    let alice = address(&world.domain, "alice");
    let first_offered = address(&world.domain, &asked.offered[0]);

    // Before the 7-day mark: nothing but the offers, already out.
    let early = world
        .swaps
        .sweep(
            starts - jiff::SignedDuration::from_hours(8 * 24),
            "test:s0",
            false,
        )
        .await
        .unwrap();
    assert!(early.mails_sent.is_empty(), "{early:?}");
    let seven =
        starts - jiff::SignedDuration::from_hours(7 * 24) + jiff::SignedDuration::from_hours(1);
    let run = world.swaps.sweep(seven, "test:s1", false).await.unwrap();
    assert_eq!(run.mails_sent.len(), asked.offered.len() + 1, "{run:?}");
    let again = world
        .swaps
        .sweep(
            seven + jiff::SignedDuration::from_hours(1),
            "test:s2",
            false,
        )
        .await
        .unwrap();
    assert!(again.mails_sent.is_empty(), "{again:?}");
    assert_eq!(mails_about(&alice, &id, "reminder-7d").await, 1);
    assert_eq!(mails_about(&first_offered, &id, "reminder-7d").await, 1);

    // The 1-day reminder, with SES failing at first: the run fails (retried), then sends once.
    let ses = verified_sender(SENDER).await;
    let failing = Arc::new(FailingMailer::new(SesMailer::new(ses), |mail| {
        mail.subject.contains("1 day before")
    }));
    let failing_swaps = Swaps {
        mailer: failing.clone(),
        ..swaps_with_parts(&world)
    };
    let one = starts - jiff::SignedDuration::from_hours(24) + jiff::SignedDuration::from_hours(1);
    let failed = failing_swaps.sweep(one, "test:s3", false).await.unwrap();
    assert_eq!(failed.failed.len(), asked.offered.len() + 1, "{failed:?}");
    assert_eq!(mails_about(&alice, &id, "reminder-1d").await, 0);
    failing.heal();
    let retried = failing_swaps.sweep(one, "test:s4", false).await.unwrap();
    assert_eq!(
        retried.mails_sent.len(),
        asked.offered.len() + 1,
        "{retried:?}"
    );
    assert!(retried.failed.is_empty());
    let again = failing_swaps.sweep(one, "test:s5", false).await.unwrap();
    assert!(again.mails_sent.is_empty(), "{again:?}");
    assert_eq!(mails_about(&alice, &id, "reminder-1d").await, 1);
    assert_eq!(mails_about(&first_offered, &id, "reminder-1d").await, 1);
    assert_eq!(
        mails_about(&alice, &id, "reminder-7d").await,
        1,
        "no second 7-day one"
    );

    // At the week's start nobody has taken it: expired, the requester told once.
    let expiry = world.swaps.sweep(starts, "test:s6", false).await.unwrap();
    assert_eq!(expiry.expired, vec![id.to_string()]);
    let after = world
        .swaps
        .sweep(
            starts + jiff::SignedDuration::from_hours(1),
            "test:s7",
            false,
        )
        .await
        .unwrap();
    assert!(
        after.expired.is_empty() && after.mails_sent.is_empty(),
        "{after:?}"
    );
    assert_eq!(mails_about(&alice, &id, "expired").await, 1);
    assert_eq!(
        world.store.swap(&id).await.unwrap().unwrap().state,
        SwapState::Expired
    );
    assert_eq!(world.audit_count(&id, "swap.expire").await, 1);
}

/// The world's service, rebuilt from its parts (for another mailer).
fn swaps_with_parts(world: &World) -> Swaps {
    Swaps {
        ledger: world.swaps.ledger.clone(),
        shifts: world.swaps.shifts.clone(),
        claims: world.swaps.claims.clone(),
        mailer: world.swaps.mailer.clone(),
        nonces: world.swaps.nonces.clone(),
        roster: world.swaps.roster.clone(),
        victorops: world.swaps.victorops.clone(),
        sender: world.swaps.sender.clone(),
        web_url: world.swaps.web_url.clone(),
        lease: world.swaps.lease,
        max_age: world.swaps.max_age,
    }
}

#[tokio::test]
async fn with_an_approver_the_accepted_swap_waits_for_them_and_only_they_approve() {
    let world = world("approve", Some("erin")).await;
    let mut alice = world.signed_in("alice").await;
    let id = ask_cover(&mut alice, "2027-W01").await;
    let mut dmitri = world.signed_in("dmitri").await;
    let accepted = press(&mut dmitri, &id, "accept").await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    assert!(
        accepted.body.contains("waits for the rotation"),
        "{}",
        accepted.body
    );
    let waiting = world.store.swap(&id).await.unwrap().unwrap();
    assert_eq!(waiting.state, SwapState::AwaitingApproval);
    assert_eq!(
        world.shift("2027-W01").await.primary.as_deref(),
        Some("alice"),
        "not applied yet"
    );
    assert_eq!(
        mails_about(&address(&world.domain, "erin"), &id, "approval").await,
        1
    );
    let before = table_items(&world.store).await;
    for who in [&mut dmitri, &mut alice] {
        let refused = press(who, &id, "approve").await;
        assert_eq!(refused.status, 403, "{}", refused.body);
    }
    assert_eq!(table_items(&world.store).await, before);
    let mut erin = world.signed_in("erin").await;
    let listed = erin.get("/swaps").await;
    assert!(
        listed.body.contains(&format!("/swaps/{id}")),
        "waiting for Erin on her list"
    );
    let approved = press(&mut erin, &id, "approve").await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    assert_eq!(
        world.store.swap(&id).await.unwrap().unwrap().state,
        SwapState::Applied
    );
    assert_eq!(
        world.shift("2027-W01").await.primary.as_deref(),
        Some("dmitri")
    );
    assert_eq!(
        world.audited(&id).await,
        vec!["swap.accept", "swap.apply", "swap.approve", "swap.ask"]
    );
    // A swap the rules refuse is never offered to anyone.
    let asked = world
        .swaps
        .ask(
            "alice",
            "ops",
            SwapKind::Swap {
                week: "2027-W03".parse().unwrap(),
                with_week: "2027-W02".parse().unwrap(),
            },
            "",
            at(LATER),
            "test:swap",
        )
        .await;
    // Alice in W02 would follow Dmitri (red, now W01): the rules refuse it before anyone is asked.
    let refused = asked.unwrap_err();
    assert!(refused.is_callers(), "{refused}");
    assert!(
        refused.to_string().contains("breaks the rotation's rules"),
        "{refused}"
    );
}

/// Every mail the local SES accepted for the world's people and its notify list.
async fn all_mails(world: &World) -> usize {
    let mut count = mails_to(&format!("team@{}", world.domain)).await.len();
    for id in ["alice", "bruno", "carla", "dmitri", "erin", "femi", "gita"] {
        count += mails_to(&address(&world.domain, id)).await.len();
    }
    count
}

#[tokio::test]
async fn an_approver_cannot_approve_a_swap_they_asked_for_or_accepted_and_nothing_is_written() {
    // Alice approves the rotation's swaps and asks for cover of her own week; Dmitri accepts.
    let asking = world("own-ask", Some("alice")).await;
    let mut alice = asking.signed_in("alice").await;
    let id = ask_cover(&mut alice, "2027-W01").await;
    let mut dmitri = asking.signed_in("dmitri").await;
    assert_eq!(press(&mut dmitri, &id, "accept").await.status, 200);
    assert_eq!(
        asking.store.swap(&id).await.unwrap().unwrap().state,
        SwapState::AwaitingApproval
    );
    let page = alice.get(&format!("/swaps/{id}")).await;
    assert!(!page.body.contains(">Approve<"), "{}", page.body);
    assert!(page.body.contains(">Decline<"), "{}", page.body);
    assert!(
        page.body
            .contains("nobody approves a change to their own duty")
    );
    let (before, mails) = (table_items(&asking.store).await, all_mails(&asking).await);
    let refused = press(&mut alice, &id, "approve").await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(
        refused.body.contains("one of this swap's two people"),
        "{}",
        refused.body
    );
    assert_eq!(table_items(&asking.store).await, before, "nothing written");
    assert_eq!(all_mails(&asking).await, mails, "nobody mailed");
    assert_eq!(
        asking.shift("2027-W01").await.primary.as_deref(),
        Some("alice"),
        "not applied"
    );

    // Dmitri approves the rotation's swaps and accepts Alice's request: he cannot approve it.
    let accepting = world("own-accept", Some("dmitri")).await;
    let mut alice = accepting.signed_in("alice").await;
    let id = ask_cover(&mut alice, "2027-W01").await;
    let mut dmitri = accepting.signed_in("dmitri").await;
    assert_eq!(press(&mut dmitri, &id, "accept").await.status, 200);
    let (before, mails) = (
        table_items(&accepting.store).await,
        all_mails(&accepting).await,
    );
    let refused = press(&mut dmitri, &id, "approve").await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(
        table_items(&accepting.store).await,
        before,
        "nothing written"
    );
    assert_eq!(all_mails(&accepting).await, mails, "nobody mailed");
    assert_eq!(
        accepting.store.swap(&id).await.unwrap().unwrap().state,
        SwapState::AwaitingApproval
    );
    // Declining his own acceptance changes no duty: that he may do.
    assert_eq!(press(&mut dmitri, &id, "decline").await.status, 200);
    assert_eq!(
        accepting.store.swap(&id).await.unwrap().unwrap().state,
        SwapState::Declined
    );
}

/// The offer mailed to `to` about `id`, raw.
async fn offer_to(to: &str, id: &SwapId) -> String {
    mails_to(to)
        .await
        .into_iter()
        .find(|raw| raw.contains(&format!("/swaps/{id}")) && raw.contains(".offer."))
        .unwrap_or_else(|| panic!("an offer to {to}"))
}

#[tokio::test]
async fn the_pages_and_mails_show_times_in_each_readers_own_zone() {
    // Alice and Femi live in New York; Dmitri in Berlin, as everyone else.
    let zones = [("alice", "America/New_York"), ("femi", "America/New_York")];
    let world = zoned_world("zones", None, &zones).await;
    let starts = world.shift("2027-W01").await.start_utc;
    let in_zone = |zone: &str| {
        starts
            .to_zoned(jiff::tz::TimeZone::get(zone).unwrap())
            .strftime("%-d January 2027, %H:%M %Z")
            .to_string()
    };
    let (new_york, berlin) = (in_zone("America/New_York"), in_zone("Europe/Berlin"));
    assert!(
        new_york.ends_with(" EST") && berlin.ends_with(" CET"),
        "{new_york} / {berlin}"
    );
    assert_ne!(
        new_york[..new_york.len() - 4],
        berlin[..berlin.len() - 4],
        "the hours differ"
    );

    let mut alice = world.signed_in("alice").await;
    let listed = alice.get("/swaps").await;
    assert!(
        listed.body.contains(&new_york),
        "the form's week: {}",
        listed.body
    );
    assert!(listed.body.contains("Times are in America/New_York"));
    let id = ask_cover(&mut alice, "2027-W01").await;
    let page = alice.get(&format!("/swaps/{id}")).await;
    assert!(page.body.contains(&new_york), "{}", page.body);
    assert!(!page.body.contains(" UTC"), "{}", page.body);
    let mut dmitri = world.signed_in("dmitri").await;
    let his = dmitri.get(&format!("/swaps/{id}")).await;
    assert!(his.body.contains(&berlin), "{}", his.body);
    // `?tz=` wins, as on the other pages; a zone that does not exist is refused.
    let tokyo = dmitri.get(&format!("/swaps/{id}?tz=Asia/Tokyo")).await;
    assert!(
        tokyo.body.contains(&in_zone("Asia/Tokyo")),
        "{}",
        tokyo.body
    );
    assert_eq!(
        dmitri
            .get(&format!("/swaps/{id}?tz=Mars/Base"))
            .await
            .status,
        400
    );

    // Each offer is mailed in its reader's zone.
    let femis = offer_to(&address(&world.domain, "femi"), &id).await;
    assert!(femis.contains(&new_york), "{femis}");
    let dmitris = offer_to(&address(&world.domain, "dmitri"), &id).await;
    assert!(dmitris.contains(&berlin), "{dmitris}");
    // Accepted: the page the button answers with is in the acceptor's zone too.
    let mut femi = world.signed_in("femi").await;
    let accepted = press(&mut femi, &id, "accept").await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    assert!(accepted.body.contains(&new_york), "{}", accepted.body);
}

#[tokio::test]
async fn the_rotation_function_runs_the_swaps_job_from_its_scheduler_input() {
    let world = world("job", None).await;
    let week = "2027-W03".parse().unwrap();
    let asked = world
        .swaps
        .ask(
            "alice",
            "ops",
            SwapKind::Cover { week },
            "",
            at("2027-01-02T10:00:00Z"),
            "test:ask",
        )
        .await
        .unwrap();
    let job = HandoffJob::new(
        world.store.clone(),
        world.swaps.mailer.clone(),
        (*world.swaps.roster).clone(),
        EmailAddress::parse(SENDER).unwrap(),
        60,
    );
    let function = clinic::functions::rotation::RotationFunction::from_job(job)
        .with_swaps(swaps_with_parts(&world));
    let input = serde_json::json!({
        "job": clinic::swaps::JOB,
        "scheduled_time": asked.week_starts.to_string(),
    });
    let answer = function.dispatch(input.clone()).await.unwrap();
    assert_eq!(
        serde_json::to_value(&answer).unwrap()["swaps"]["expired"],
        serde_json::json!([asked.id.to_string()])
    );
    assert_eq!(
        world.store.swap(&asked.id).await.unwrap().unwrap().state,
        SwapState::Expired
    );
    // The same input again: nothing more to do.
    let again = function.dispatch(input).await.unwrap();
    assert_eq!(
        serde_json::to_value(&again).unwrap()["swaps"]["expired"],
        serde_json::json!([])
    );
    assert_eq!(
        serde_json::to_value(&again).unwrap()["swaps"]["mails_sent"],
        serde_json::json!([])
    );
    // Without a web URL the job is refused, not retried.
    let bare = clinic::functions::rotation::RotationFunction::from_job(HandoffJob::new(
        world.store.clone(),
        world.swaps.mailer.clone(),
        (*world.swaps.roster).clone(),
        EmailAddress::parse(SENDER).unwrap(),
        60,
    ));
    let refused = bare
        .dispatch(serde_json::json!({"job": clinic::swaps::JOB, "scheduled_time": "2027-01-18T00:00:00Z"}))
        .await
        .unwrap_err();
    assert!(!refused.retryable);
}
