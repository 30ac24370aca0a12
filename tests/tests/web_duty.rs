//! The *ahead* and *mine* pages end to end on the local stack: the weekly job commits a week, a person
//! signs in through the link read back from the local SES, and the pages show the committed week,
//! the planned ones marked planned with the planner's reasons (an override's among them), and the
//! person's own shift. Without a session both pages send the browser to sign in.

use std::collections::BTreeMap;
use std::sync::Arc;

use clinic::adapters::dynamo::DynamoStore;
use clinic::adapters::ses::SesMailer;
use clinic::audit::AuditEntry;
use clinic::brief::BriefSettings;
use clinic::functions::http::{ClientAddress, Routes};
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
use clinic_tests::{fresh_store, received_mail, verified_sender};
use lambda_http::http::{Method, header};
use lambda_http::{Body, Request};

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

struct Browser<'a> {
    routes: &'a Routes,
    cookies: BTreeMap<String, String>,
}

struct Answer {
    status: u16,
    location: Option<String>,
    body: String,
}

impl Browser<'_> {
    async fn send(&mut self, method: Method, path: &str, body: Body) -> Answer {
        let mut request = Request::new(body);
        *request.method_mut() = method;
        *request.uri_mut() = path.parse().unwrap();
        let cookie: Vec<String> = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        if !cookie.is_empty() {
            request
                .headers_mut()
                .insert(header::COOKIE, cookie.join("; ").parse().unwrap());
        }
        request
            .extensions_mut()
            .insert(ClientAddress("192.0.2.44".parse().unwrap()));
        let response = self.routes.dispatch_at(request, now()).await;
        for set in response.headers().get_all(header::SET_COOKIE) {
            let (pair, _) = set.to_str().unwrap().split_once(';').unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            self.cookies.insert(name.to_owned(), value.to_owned());
        }
        Answer {
            status: response.status().as_u16(),
            location: response
                .headers()
                .get(header::LOCATION)
                .map(|l| l.to_str().unwrap().to_owned()),
            body: String::from_utf8_lossy(response.body().as_ref()).into_owned(),
        }
    }

    async fn get(&mut self, path: &str) -> Answer {
        self.send(Method::GET, path, Body::Empty).await
    }

    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        self.send(Method::POST, path, Body::from(body)).await
    }

    /// Asks for a link through the form, reads it from the local SES and presses its button.
    async fn sign_in(&mut self, address: &str) {
        let form = self.get("/signin").await;
        let asked = self
            .post(
                "/signin",
                &[("email", address), ("csrf", &csrf(&form.body))],
            )
            .await;
        assert_eq!(asked.status, 200, "{}", asked.body);
        let mails: Vec<String> = received_mail()
            .await
            .into_iter()
            .filter(|m| m.destinations.iter().any(|d| d == address))
            .map(|m| m.raw.replace("=\r\n", "").replace("=3D", "="))
            .collect();
        let mail = mails.last().expect("a sign-in mail");
        let start = mail.find("?token=").expect("a link") + "?token=".len();
        let token = mail[start..]
            .split(|c: char| c.is_whitespace() || c == '"' || c == '<' || c == '&')
            .next()
            .unwrap()
            .to_owned();
        let page = self.get(&format!("/signin/link?token={token}")).await;
        let done = self
            .post(
                "/signin/link",
                &[("token", &token), ("csrf", &csrf(&page.body))],
            )
            .await;
        assert_eq!(
            (done.status, done.location.as_deref()),
            (303, Some("/now")),
            "{}",
            done.body
        );
    }
}

fn csrf(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("a CSRF token") + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
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
    let mut browser = Browser {
        routes: &routes,
        cookies: BTreeMap::new(),
    };
    for path in ["/ahead", "/mine"] {
        let answer = browser.get(path).await;
        assert_eq!(
            (answer.status, answer.location.as_deref()),
            (303, Some("/signin")),
            "{path} without a session"
        );
    }

    browser.sign_in(&format!("{on_duty}@{domain}")).await;
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
