//! The *ahead* and *mine* pages end to end on the local stack: the weekly job commits a week, a person
//! signs in through the link read back from the local SES, and the pages show the committed week,
//! the planned ones marked planned with the planner's reasons (an override's among them), and the
//! person's own shift. Without a session both pages send the browser to sign in.

use std::sync::Arc;

use clinic::adapters::dynamo::DynamoStore;
use clinic::adapters::ses::SesMailer;
use clinic::audit::AuditEntry;
use clinic::brief::BriefSettings;
use clinic::functions::http::Routes;
use clinic::functions::web::{Schedule, WebPages};
use clinic::handoff::job::HandoffJob;
use clinic::http_url::HttpUrl;
use clinic::mail::{EmailAddress, Mailbox};
use clinic::rotation::explain::explain;
use clinic::rotation::plan::{self, History};
use clinic::rotation::ports::RosterMirror;
use clinic::rotation::roster::Roster;
use clinic::shifts::{OverrideRecord, ShiftLedger, override_from_record};
use clinic::signin::SignIn;
use clinic::signin::token::SigningKey;
use clinic::trigger::Trigger;
use clinic_tests::web_browser::Browser;
use clinic_tests::{fresh_store, verified_sender};

const SENDER: &str = "clinic@duty-pages.example.org";
const KEY: &str = "duty-pages-signing-key-0123456789abcdef";
const BASE: &str = "https://clinic.example.org";
/// Monday 2027-01-04 12:00 UTC, in 2027-W01, the week the job below commits.
const NOW: &str = "2027-01-04T12:00:00Z";

fn roster(domain: &str) -> Roster {
    let mut text = "[rotations.ops]\nstyle = \"fair\"\nmin_working_days = 3\n\
                    avoid_same_person = true\n\n"
        .to_owned();
    for (id, previous) in [("alice", 4), ("bruno", 4), ("carla", 5), ("dmitri", 5)] {
        text.push_str(&format!(
            "[[people]]\nid = \"{id}\"\nname = \"{id} <Person>\"\nemail = \"{id}@{domain}\"\n\
             team = \"{id}-team\"\ntimezone = \"Asia/Tokyo\"\nholidays = \"DE\"\nrole = \"engineer\"\n\
             rotations = [\"ops\"]\nprevious_duties = {previous}\n\n"
        ));
    }
    Roster::parse(&text).expect("test roster is valid")
}

fn now() -> jiff::Timestamp {
    NOW.parse().unwrap()
}

async fn pages(store: &DynamoStore, roster: Roster) -> Routes {
    let ses = verified_sender(SENDER).await;
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
    let schedule = Schedule {
        roster: Arc::new(roster),
        ledger: shared.clone(),
        settings: BriefSettings {
            stale_after_days: 14,
            phabricator_url: None,
            uid_domain: clinic::mail::MailDomain::default(),
            circuits: None,
        },
    };
    Arc::new(WebPages::new(signin, shared.clone(), shared).with_schedule(schedule)).routes()
}

#[tokio::test]
async fn after_the_weekly_run_ahead_shows_the_committed_week_and_planned_ones_with_why_and_mine_my_shift()
 {
    let domain = "duty-pages.example.org";
    let store = fresh_store("web-duty").await;
    let audit = AuditEntry::new(now(), "test", "setup", "setup", "setup", "test");
    store.mirror_roster(&roster(domain), &audit).await.unwrap();
    // An override three weeks out, which the plan (and its reasons) must follow.
    let pinned = OverrideRecord {
        rotation: "ops".into(),
        week: "2027-W04".into(),
        person: "dmitri".into(),
        reason: "swapped with <alice>".into(),
        set_by: "cli:test".into(),
        set_at: now(),
    };
    store.put_override(&pinned, &audit).await.unwrap();
    let report = HandoffJob::new(
        store.clone(),
        Arc::new(SesMailer::new(verified_sender(SENDER).await)),
        roster(domain),
        EmailAddress::parse(SENDER).unwrap(),
        60,
    )
    .run(&Trigger {
        event_id: "evt-web-duty".into(),
        time: "2027-01-01T09:00:00Z".parse().unwrap(),
        dry_run: false,
    })
    .await
    .unwrap();
    assert_eq!(report.rotations.len(), 1);
    let shifts = store.shifts("ops").await.unwrap();
    assert_eq!(shifts.len(), 1, "one week committed");
    let committed = shifts[0].clone();
    assert_eq!(committed.week, "2027-W01");
    let on_duty = committed.primary.clone().expect("someone on duty");

    let routes = pages(&store, roster(domain)).await;
    let mut browser = Browser::new(&routes, "192.0.2.44").at(now().as_second());
    for path in ["/ahead", "/mine"] {
        let answer = browser.get(path).await;
        assert_eq!(
            (answer.status, answer.location.as_deref()),
            (303, Some("/signin")),
            "{path} without a session"
        );
    }

    let done = browser
        .sign_in(&format!("{on_duty}@{domain}"), now().as_second())
        .await;
    assert_eq!(done.location.as_deref(), Some("/now"), "{}", done.body);
    let ahead = browser.get("/ahead").await;
    assert_eq!(ahead.status, 200, "{}", ahead.body);
    let body = &ahead.body;
    assert!(
        body.contains("<li class=\"week committed\"><h3>2027-W01 <span class=\"mark committed\">Committed</span></h3>"),
        "{body}"
    );
    assert_eq!(body.matches("<li class=\"week committed\">").count(), 1);
    assert_eq!(body.matches("<li class=\"week planned\">").count(), 11);
    assert!(
        body.contains("<li class=\"week planned\"><h3>2027-W12 <span class=\"mark planned\">Planned</span></h3>"),
        "{body}"
    );
    assert!(
        body.contains("primary by override: swapped with &lt;alice&gt;"),
        "{body}"
    );
    assert!(!body.contains("<alice>") && !body.contains("<Person>"));
    // Each planned week names whom the job's plan names and the reason explain gives for them.
    let overrides: Vec<_> = store
        .overrides("ops")
        .await
        .unwrap()
        .iter()
        .map(|o| override_from_record(o).unwrap())
        .collect();
    // Independently of the page's code: the job's planner and `clinic rotation explain`'s function.
    let served: Vec<_> = shifts.iter().map(|s| s.served().unwrap()).collect();
    let (first, last) = ("2027-W02".parse().unwrap(), "2027-W12".parse().unwrap());
    let planned =
        plan::plan_between(&roster(domain), "ops", &served, &overrides, first, last).unwrap();
    assert_eq!(planned.weeks.len(), 11);
    let history = History {
        served: served.clone(),
    };
    for week in &planned.weeks {
        let primary = week.primary.as_ref().expect("staffed").as_str();
        let why = explain(
            &roster(domain),
            "ops",
            &history,
            &overrides,
            first.monday(),
            week.week,
        )
        .unwrap();
        let verdict = why
            .people
            .iter()
            .find(|v| v.person.as_str() == primary)
            .unwrap()
            .verdict
            .to_string();
        let at = body.find(&format!("<h3>{} ", week.week)).unwrap();
        let section = &body[at..];
        let section = &section[..section.find("</li>").unwrap()];
        assert!(
            section.contains(&format!(
                "<dt>On duty</dt><dd>{primary} &lt;Person&gt;</dd>"
            )),
            "{section}"
        );
        assert!(
            section.contains(&format!(
                "<p class=\"why\">{}",
                clinic::mail::escape_html(&verdict)
            )),
            "{verdict} in {section}"
        );
    }
    assert!(body.contains("Times are in Asia/Tokyo"), "{body}");

    let mine = browser.get("/mine").await;
    assert_eq!(mine.status, 200, "{}", mine.body);
    assert!(
        mine.body.contains(
            "<h3>ops 2027-W01, on duty <span class=\"mark committed\">Committed</span></h3>"
        ),
        "{}",
        mine.body
    );
    let mine_planned = planned
        .weeks
        .iter()
        .filter(|w| {
            w.primary.as_ref().map(|p| p.as_str()) == Some(on_duty.as_str())
                || w.backup.as_ref().map(|p| p.as_str()) == Some(on_duty.as_str())
        })
        .count();
    assert!(mine_planned > 0, "four people share eleven weeks");
    assert_eq!(
        mine.body.matches("<span class=\"mark planned\">").count(),
        mine_planned,
        "{}",
        mine.body
    );
    assert!(mine.body.contains("<h2 id=\"past\">Your past shifts</h2>"));
    assert!(mine.body.contains("<h2 id=\"triage\">Tasks to triage</h2>"));
    assert!(
        mine.body
            .contains("<h2 id=\"maintenance\">Maintenance in the next 14 days</h2>")
    );
    for page in [&ahead.body, &mine.body] {
        assert!(
            page.contains("<a href=\"/ahead\">Ahead</a>")
                && page.contains("<a href=\"/mine\">Mine</a>")
        );
    }
}
