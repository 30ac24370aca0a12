//! Event posts end to end on the local stack: the victorops-webhook posts a mapped incident's
//! opening and resolution once each in the duty rotation's rooms (the Slack fake, and one case on a
//! real Synapse), whatever is redelivered, lost or failing; the maintenance-mail minute sweep posts a
//! maintenance affecting service once within 24 hours of its start, and each mail new on the review
//! list once. Claims and maintenances live in moto's DynamoDB.

use std::sync::Arc;
use std::time::Duration;

use clinic::adapters::dynamo::DynamoStore;
use clinic::adapters::matrix::{MARKER_KEY, MatrixClient};
use clinic::adapters::pacing::Pacing;
use clinic::adapters::s3::S3Objects;
use clinic::adapters::slack::SlackClient;
use clinic::chat::{ChatApi, ChatNetworks, ChatRoom, EventRooms};
use clinic::clock::ManualClock;
use clinic::functions::maintenance_mail::MaintenanceFunction;
use clinic::http_url::HttpUrl;
use clinic::maintenance::calendar_feed::FeedOptions;
use clinic::maintenance::chat::MaintenanceChat;
use clinic::maintenance::ingest::{CalendarTarget, MailIngest};
use clinic::rotation::roster::{MatrixRoomId, SlackChannelId};
use clinic::secret::Secret;
use clinic_tests::incident_rig::{RESOLVE_MS, deliver, mapping, setup_chatting};
use clinic_tests::slack_fake::{SlackFake, SlackFault};
use clinic_tests::synapse;
use clinic_tests::{fresh_store, sdk_config, unique_table};
use serde_json::Value;

const TOKEN: &str = "xoxb-test-0000-events";
const CHANNEL: &str = "C0EVENTS001";
const TRIGGER_MS: i64 = 1799142600123;

fn quick() -> Pacing {
    Pacing {
        min_interval: Duration::from_millis(10),
        first_backoff: Duration::from_millis(50),
        max_attempts: 2,
    }
}

async fn slack() -> SlackFake {
    let fake = SlackFake::start(TOKEN).await;
    fake.add_channel(CHANNEL, "sre-clinic", true);
    fake
}

/// The duty rotation's one Slack channel, on the fake.
fn slack_rooms(fake: &SlackFake) -> EventRooms {
    let client = SlackClient::with_timeout(
        HttpUrl::parse(&fake.base_url()).unwrap(),
        Secret::new(TOKEN),
        quick(),
        Duration::from_secs(2),
    );
    EventRooms::new(
        ChatNetworks {
            slack: Some(Arc::new(client) as Arc<dyn ChatApi>),
            matrix: None,
        },
        vec![ChatRoom::Slack(SlackChannelId::parse(CHANNEL).unwrap())],
    )
}

fn texts(fake: &SlackFake) -> Vec<String> {
    fake.messages(CHANNEL)
        .iter()
        .map(|m| m["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn chat_outcomes(report: &Value) -> Vec<String> {
    report["chat"]
        .as_array()
        .map(|rooms| {
            rooms
                .iter()
                .map(|r| format!("{} {}", r["room"], r["outcome"]).replace('"', ""))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_mapped_incident_is_posted_once_when_it_opens_and_once_when_it_resolves() {
    let fake = slack().await;
    let s = setup_chatting(
        "chat-lifecycle.example.org",
        mapping(false),
        false,
        slack_rooms(&fake),
    )
    .await;
    let (status, report) = deliver(&s, "UNACKED", "", TRIGGER_MS, "2027-01-05T09:50:05Z").await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(chat_outcomes(&report), vec!["slack:C0EVENTS001 posted"]);
    // VictorOps delivers again; the acknowledgement is no event of its own.
    let (status, again) = deliver(&s, "UNACKED", "", TRIGGER_MS, "2027-01-05T09:50:20Z").await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(
        chat_outcomes(&again),
        vec!["slack:C0EVENTS001 already-posted"]
    );
    let acked_ms = TRIGGER_MS + 4 * 60_000;
    let (status, _) = deliver(&s, "ACKED", "jdoe", acked_ms, "2027-01-05T09:54:05Z").await;
    assert_eq!(status, 200);
    assert_eq!(texts(&fake).len(), 1, "{:?}", texts(&fake));

    let (status, resolved) =
        deliver(&s, "RESOLVED", "jdoe", RESOLVE_MS, "2027-01-05T10:35:05Z").await;
    assert_eq!(status, 200, "{resolved}");
    assert_eq!(chat_outcomes(&resolved), vec!["slack:C0EVENTS001 posted"]);
    let (status, _) = deliver(&s, "RESOLVED", "jdoe", RESOLVE_MS, "2027-01-05T10:36:00Z").await;
    assert_eq!(status, 200);

    let posted = texts(&fake);
    assert_eq!(posted.len(), 2, "{posted:?}");
    assert!(
        posted[0].starts_with("Incident opened: VictorOps #2041")
            && posted[0].contains("Disk almost full on db02"),
        "{}",
        posted[0]
    );
    assert!(
        posted[1].starts_with("Incident resolved in VictorOps by jdoe"),
        "{}",
        posted[1]
    );
    let posts = fake
        .calls()
        .iter()
        .filter(|c| c.method == "chat.postMessage")
        .count();
    assert_eq!(posts, 2, "one call per post: {:?}", fake.calls());
}

#[tokio::test]
async fn a_lost_answer_to_the_post_is_found_by_its_marker_and_not_posted_again() {
    let fake = slack().await;
    let s = setup_chatting(
        "chat-lost.example.org",
        mapping(false),
        false,
        slack_rooms(&fake),
    )
    .await;
    fake.inject(SlackFault::LoseAnswer, Some("chat.postMessage"), 1);
    let (status, report) = deliver(&s, "UNACKED", "", TRIGGER_MS, "2027-01-05T09:50:05Z").await;
    assert_eq!(status, 503, "whether it was posted is unknown: {report}");
    assert_eq!(s.fake.incidents().len(), 1, "Statuspage was not held back");
    assert_eq!(texts(&fake).len(), 1, "the post landed; its answer did not");

    let (status, retried) = deliver(&s, "UNACKED", "", TRIGGER_MS, "2027-01-05T09:50:35Z").await;
    assert_eq!(status, 200, "{retried}");
    assert_eq!(
        chat_outcomes(&retried),
        vec!["slack:C0EVENTS001 already-posted"]
    );
    assert_eq!(texts(&fake).len(), 1, "{:?}", texts(&fake));
    let posts = fake
        .calls()
        .iter()
        .filter(|c| c.method == "chat.postMessage")
        .count();
    assert_eq!(posts, 1, "found by its marker, never sent twice");
}

#[tokio::test]
async fn slack_failing_leaves_statuspage_and_the_mail_done_answers_503_and_posts_once_later() {
    let fake = slack().await;
    let domain = "chat-down.example.org";
    let s = setup_chatting(domain, mapping(false), false, slack_rooms(&fake)).await;
    fake.inject(SlackFault::ServerError, Some("chat.postMessage"), 100);
    let (status, report) = deliver(&s, "UNACKED", "", TRIGGER_MS, "2027-01-05T09:50:05Z").await;
    assert_eq!(status, 503, "{report}");
    assert_eq!(s.fake.incidents().len(), 1);
    assert_eq!(
        clinic_tests::incident_rig::mails_to(domain)
            .await
            .get(&format!("duty@{domain}")),
        Some(&1),
        "the duty mail went out"
    );
    assert!(texts(&fake).is_empty());
    fake.heal();

    // A 500 may have been applied: until the attempt has had time to land, nobody posts again.
    let (status, soon) = deliver(&s, "UNACKED", "", TRIGGER_MS, "2027-01-05T09:51:05Z").await;
    assert_eq!(status, 503, "{soon}");
    assert!(texts(&fake).is_empty());

    let (status, later) = deliver(&s, "UNACKED", "", TRIGGER_MS, "2027-01-05T09:54:00Z").await;
    assert_eq!(status, 200, "{later}");
    assert_eq!(chat_outcomes(&later), vec!["slack:C0EVENTS001 posted"]);
    let (status, _) = deliver(&s, "UNACKED", "", TRIGGER_MS, "2027-01-05T09:55:00Z").await;
    assert_eq!(status, 200);
    assert_eq!(texts(&fake).len(), 1, "{:?}", texts(&fake));
    assert_eq!(s.fake.incidents().len(), 1, "still one Statuspage incident");
}

#[tokio::test]
async fn a_channel_that_refuses_the_bot_is_reported_without_refusing_the_delivery() {
    let fake = SlackFake::start(TOKEN).await;
    // The bot was never invited: Slack answers `not_in_channel`, which no retry overcomes.
    fake.add_channel(CHANNEL, "sre-clinic", false);
    let domain = "chat-refused.example.org";
    let s = setup_chatting(domain, mapping(false), false, slack_rooms(&fake)).await;
    let (status, report) = deliver(&s, "UNACKED", "", TRIGGER_MS, "2027-01-05T09:50:05Z").await;
    assert_eq!(status, 200, "Statuspage and the mail are done: {report}");
    assert_eq!(chat_outcomes(&report), vec!["slack:C0EVENTS001 refused"]);
    assert!(
        report["chat"][0]["refused"]
            .as_str()
            .is_some_and(|why| why.contains("not_in_channel")),
        "the answer says why: {report}"
    );
    assert_eq!(s.fake.incidents().len(), 1);
    assert_eq!(
        clinic_tests::incident_rig::mails_to(domain)
            .await
            .get(&format!("duty@{domain}")),
        Some(&1),
        "the duty mail went out"
    );
    let desk = s.webhook.desk();
    let at = |text: &str| text.parse::<jiff::Timestamp>().unwrap();
    let swept = desk
        .chat_sweep(at("2027-01-05T09:51:00Z"), "test", false)
        .await
        .expect("a refusal does not fail the sweep");
    assert_eq!(swept[0].outcome, "refused");
    assert!(texts(&fake).is_empty());

    // Someone invites the bot: the next minute posts the incident, once.
    fake.add_channel(CHANNEL, "sre-clinic", true);
    let swept = desk
        .chat_sweep(at("2027-01-05T09:52:00Z"), "test", false)
        .await
        .unwrap();
    assert_eq!(swept[0].outcome, "posted");
    let (status, again) = deliver(&s, "UNACKED", "", TRIGGER_MS, "2027-01-05T09:53:00Z").await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(
        chat_outcomes(&again),
        vec!["slack:C0EVENTS001 already-posted"]
    );
    assert_eq!(texts(&fake).len(), 1, "{:?}", texts(&fake));
    assert_eq!(s.fake.incidents().len(), 1, "still one Statuspage incident");
}

#[tokio::test]
async fn an_incident_is_posted_once_in_a_matrix_room_on_a_real_homeserver() {
    let synapse = synapse::shared().await;
    let bot = synapse.user("clinic").await;
    let person = synapse.user("duty").await;
    let room = synapse.room(&person, &[&bot]).await;
    let client = MatrixClient::with_timeout(
        HttpUrl::parse(synapse.url()).unwrap(),
        Secret::new(&bot.access_token),
        quick(),
        Duration::from_secs(5),
    );
    let rooms = EventRooms::new(
        ChatNetworks {
            slack: None,
            matrix: Some(Arc::new(client) as Arc<dyn ChatApi>),
        },
        vec![ChatRoom::Matrix(MatrixRoomId::parse(&room).unwrap())],
    );
    let s = setup_chatting("chat-matrix.example.org", mapping(false), false, rooms).await;
    for now in ["2027-01-05T09:50:05Z", "2027-01-05T09:50:30Z"] {
        let (status, report) = deliver(&s, "UNACKED", "", TRIGGER_MS, now).await;
        assert_eq!(status, 200, "{report}");
    }
    let posts: Vec<Value> = synapse
        .messages(&person, &room)
        .await
        .into_iter()
        .filter(|e| e["content"][MARKER_KEY] == "incident/2041/opened")
        .collect();
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert_eq!(posts[0]["sender"], bot.user_id.as_str());
    assert!(
        posts[0]["content"]["body"]
            .as_str()
            .is_some_and(|b| b.starts_with("Incident opened: VictorOps #2041")),
        "{}",
        posts[0]
    );
}

/// The maintenance-mail function on a fresh table and bucket, its clock at `now`, posting to the
/// Slack fake from its minute sweep.
struct Maintenance {
    s3: aws_sdk_s3::Client,
    bucket: String,
    function: MaintenanceFunction,
}

impl Maintenance {
    async fn new(fake: &SlackFake, now: &str) -> Self {
        Self::posting_in(slack_rooms(fake), now).await
    }

    async fn posting_in(rooms: EventRooms, now: &str) -> Self {
        let store: DynamoStore = fresh_store("chatmaint").await;
        let sdk = sdk_config().await;
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&sdk)
                .force_path_style(true)
                .build(),
        );
        let bucket = unique_table("chatmaint")
            .as_str()
            .to_lowercase()
            .replace('_', "-");
        s3.create_bucket()
            .bucket(&bucket)
            .send()
            .await
            .expect("bucket");
        let calendar = CalendarTarget {
            bucket: bucket.clone(),
            key: "calendar/7a1d2c3b9a2f4086/maintenance.ics".into(),
            options: FeedOptions {
                include_redundancy_only: true,
                uid_domain: clinic::mail::MailDomain::parse("clinic.example.org").unwrap(),
                circuits: None,
            },
        };
        let job = MailIngest::new(
            store.clone(),
            Arc::new(S3Objects::new(s3.clone())),
            calendar,
            10 << 20,
        )
        .with_clock(Arc::new(ManualClock::at(now.parse().unwrap())));
        let shared = Arc::new(store);
        let function = MaintenanceFunction::from_job(job).with_chat(MaintenanceChat::new(
            shared.clone(),
            shared,
            rooms,
            None,
        ));
        Self {
            s3,
            bucket,
            function,
        }
    }

    async fn mail(&self, key: &str, raw: Vec<u8>) -> Value {
        self.s3
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .body(raw.clone().into())
            .send()
            .await
            .expect("put mail");
        let event = serde_json::to_value(clinic_tests::s3_event(&self.bucket, key, raw.len()))
            .expect("an S3 event serialises");
        self.function.dispatch(event).await.expect("mail handled")
    }

    async fn sweep(&self, at: &str) -> Result<Value, String> {
        self.function
            .dispatch(serde_json::json!({
                "version": "0", "id": format!("evt-{at}"), "detail-type": "Scheduled Event",
                "source": "aws.events", "account": "123456789012", "time": at,
                "region": "us-east-1", "resources": [], "detail": {}
            }))
            .await
            .map_err(|f| f.message)
    }
}

fn outcomes(sweep: &Value) -> Vec<String> {
    sweep["chat"]
        .as_array()
        .map(|lines| {
            lines
                .iter()
                .map(|l| format!("{} {}", l["event"], l["outcome"]).replace('"', ""))
                .collect()
        })
        .unwrap_or_default()
}

/// A BCOP notice: `provider`'s maintenance `id` on `circuit` with `impact`, from `start` for four hours.
fn notice(provider: &str, id: &str, circuit: &str, impact: &str, start: &str) -> Vec<u8> {
    let ics = |s: jiff::Timestamp| s.strftime("%Y%m%dT%H%M%SZ").to_string();
    let start: jiff::Timestamp = start.parse().unwrap();
    let end = start + jiff::SignedDuration::from_hours(4);
    format!(
        "From: NOC <noc@{provider}.example>\r\nTo: maintenance@clinic.example.org\r\n\
         Subject: Planned work {id}\r\nDate: Mon, 22 Feb 2027 10:00:00 +0000\r\n\
         Message-ID: <{id}@{provider}.example>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\n\
         Planned work {id}.\r\n--b1\r\nContent-Type: text/calendar; charset=utf-8\r\n\r\n\
         BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//{provider}//EN\r\nBEGIN:VEVENT\r\nUID:{id}@{provider}\r\n\
         SEQUENCE:1\r\nDTSTAMP:20270222T100000Z\r\nDTSTART:{dtstart}\r\nDTEND:{dtend}\r\nSUMMARY:Work {id}\r\n\
         ORGANIZER:mailto:noc@{provider}.example\r\nX-MAINTNOTE-PROVIDER:{provider}\r\n\
         X-MAINTNOTE-ACCOUNT:ACC-9\r\nX-MAINTNOTE-MAINTENANCE-ID:{id}\r\n\
         X-MAINTNOTE-OBJECT-ID;X-MAINTNOTE-OBJECT-IMPACT={impact}:{circuit}\r\n\
         X-MAINTNOTE-IMPACT:{impact}\r\nX-MAINTNOTE-STATUS:CONFIRMED\r\n\
         END:VEVENT\r\nEND:VCALENDAR\r\n--b1--\r\n",
        dtstart = ics(start),
        dtend = ics(end),
    )
    .into_bytes()
}

/// A mail no template reads and that carries no calendar: kept for review.
fn unreadable(n: u32) -> Vec<u8> {
    format!(
        "From: Someone <someone@unknown-vendor.example>\r\nTo: maintenance@clinic.example.org\r\n\
         Subject: Some news {n}\r\nDate: Mon, 1 Mar 2027 08:00:00 +0000\r\n\
         Message-ID: <news-{n}@unknown-vendor.example>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain\r\n\r\nHello, nothing here is a maintenance.\r\n"
    )
    .into_bytes()
}

#[tokio::test]
async fn a_maintenance_affecting_service_within_24_hours_is_posted_once_and_one_that_does_not_never()
 {
    let fake = slack().await;
    let m = Maintenance::new(&fake, "2027-03-01T08:00:00Z").await;
    m.mail(
        "inbound/outage",
        notice("acme", "AC-1", "X-100", "OUTAGE", "2027-03-02T06:00:00Z"),
    )
    .await;
    m.mail(
        "inbound/redundancy",
        notice(
            "acme",
            "AC-2",
            "X-200",
            "REDUCED-REDUNDANCY",
            "2027-03-02T05:00:00Z",
        ),
    )
    .await;

    let early = m.sweep("2027-03-01T05:59:00Z").await.unwrap();
    assert!(outcomes(&early).is_empty(), "more than 24 h ahead: {early}");
    let first = m.sweep("2027-03-01T06:00:00Z").await.unwrap();
    assert_eq!(
        outcomes(&first),
        vec!["maintenance/acme/AC-1 posted"],
        "{first}"
    );
    let second = m.sweep("2027-03-01T06:01:00Z").await.unwrap();
    assert_eq!(
        outcomes(&second),
        vec!["maintenance/acme/AC-1 already-posted"]
    );
    let posted = texts(&fake);
    assert_eq!(posted.len(), 1, "{posted:?}");
    assert!(
        posted[0].starts_with("Vendor maintenance affecting service in 24 h 00 min: acme AC-1"),
        "{}",
        posted[0]
    );
    assert!(
        m.sweep("2027-03-02T06:00:00Z").await.unwrap()["chat"]
            .as_array()
            .is_some_and(|l| l.is_empty()),
        "started: nothing more to post"
    );
    assert_eq!(texts(&fake).len(), 1);
}

#[tokio::test]
async fn each_mail_new_on_the_review_list_is_posted_once() {
    let fake = slack().await;
    let m = Maintenance::new(&fake, "2027-03-01T08:00:00Z").await;
    let kept = m.mail("inbound/news-1", unreadable(1)).await;
    assert_eq!(kept["objects"][0]["outcome"], "needs-review", "{kept}");
    let first = m.sweep("2027-03-01T08:01:00Z").await.unwrap();
    assert_eq!(outcomes(&first).len(), 1, "{first}");
    assert!(outcomes(&first)[0].ends_with(" posted"), "{first}");
    let again = m.sweep("2027-03-01T08:02:00Z").await.unwrap();
    assert!(outcomes(&again)[0].ends_with(" already-posted"), "{again}");
    assert_eq!(texts(&fake).len(), 1);

    // Slack fails for a minute: the sweep fails (retryable) and the next one posts the new mail once.
    m.mail("inbound/news-2", unreadable(2)).await;
    fake.inject(SlackFault::LoseAnswer, Some("chat.postMessage"), 1);
    assert!(m.sweep("2027-03-01T08:03:00Z").await.is_err());
    let grown = m.sweep("2027-03-01T08:04:00Z").await.unwrap();
    assert_eq!(outcomes(&grown).len(), 2, "{grown}");
    let posted = texts(&fake);
    assert_eq!(posted.len(), 2, "one post per mail: {posted:?}");
    assert!(
        posted[0].contains("\"Some news 1\"") && posted[0].contains("1 mail on the review list"),
        "{}",
        posted[0]
    );
    assert!(
        posted[1].contains("\"Some news 2\"") && posted[1].contains("2 mails on the review list"),
        "{}",
        posted[1]
    );
}

#[tokio::test]
async fn a_deployments_configuration_posts_in_the_duty_rotations_roster_rooms_with_the_token_from_ssm()
 {
    use clinic::config::{FromVariables as _, MaintenanceMailConfig};
    let fake = slack().await;
    let ssm = clinic::adapters::sdk::ssm(&sdk_config().await);
    let parameter = format!("/clinic-test/{}/chat/slack-token", uuid::Uuid::new_v4());
    ssm.put_parameter()
        .name(&parameter)
        .value(TOKEN)
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .send()
        .await
        .unwrap();
    let roster = std::env::temp_dir().join(format!("chat-events-{}.toml", uuid::Uuid::new_v4()));
    // The demo roster, its sre-clinic rooms replaced by this test's channel alone.
    let text: String = std::fs::read_to_string(
        clinic_tests::repo_root().join("events/roster.toml"),
    )
    .unwrap()
    .lines()
    .map(|line| {
        if line.starts_with("chat = {") {
            format!(
                "chat = {{ slack_channels = [\"{CHANNEL}\"], topic = \"Clinic duty: {{name}}\" }}\n"
            )
        } else {
            format!("{line}\n")
        }
    })
    .collect();
    assert!(
        text.contains(CHANNEL),
        "the demo roster has a chat line to replace"
    );
    std::fs::write(&roster, text).unwrap();
    let env = [
        ("CLINIC_TABLE", "clinic-test".to_owned()),
        ("CLINIC_CALENDAR_BUCKET", "feeds".to_owned()),
        (
            "CLINIC_CALENDAR_KEY",
            "maintenance-3f9c1a7e5b2d4c6e.ics".to_owned(),
        ),
        ("CLINIC_DUTY_ROTATION", "sre-clinic".to_owned()),
        ("CLINIC_SENDER", "clinic@example.org".to_owned()),
        ("CLINIC_ROSTER", roster.display().to_string()),
        ("CLINIC_SLACK_TOKEN_SSM_PARAMETER", parameter.clone()),
        ("CLINIC_SLACK_API_URL", fake.base_url()),
    ];
    let config = MaintenanceMailConfig::from_lookup(|name| {
        env.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone())
    })
    .unwrap();
    std::fs::remove_file(&roster).ok();
    let rooms = clinic::functions::event_chat::event_rooms(
        &config.chat,
        &clinic::adapters::ssm::SsmParameters::new(ssm),
    )
    .await
    .unwrap();
    let named: Vec<String> = rooms.rooms().iter().map(|r| r.to_string()).collect();
    assert_eq!(named, vec![format!("slack:{CHANNEL}")]);
    assert!(
        !rooms.is_empty(),
        "the Slack client was built from the parameter"
    );

    let m = Maintenance::posting_in(rooms, "2027-03-01T08:00:00Z").await;
    m.mail("inbound/news-9", unreadable(9)).await;
    let swept = m.sweep("2027-03-01T08:01:00Z").await.unwrap();
    assert!(outcomes(&swept)[0].ends_with(" posted"), "{swept}");
    assert_eq!(texts(&fake).len(), 1);
}

#[tokio::test]
async fn a_post_missed_while_slack_was_down_is_made_up_once_by_the_minute_sweep() {
    let fake = slack().await;
    let s = setup_chatting(
        "chat-sweep.example.org",
        mapping(false),
        false,
        slack_rooms(&fake),
    )
    .await;
    fake.inject(SlackFault::ServerError, Some("chat.postMessage"), 100);
    let (status, _) = deliver(&s, "UNACKED", "", TRIGGER_MS, "2027-01-05T09:50:05Z").await;
    assert_eq!(status, 503);
    fake.heal();
    let desk = s.webhook.desk();
    let at = |text: &str| text.parse::<jiff::Timestamp>().unwrap();
    let dry = desk
        .chat_sweep(at("2027-01-05T09:54:00Z"), "test", true)
        .await
        .unwrap();
    assert_eq!(dry[0].outcome, "due");
    assert!(texts(&fake).is_empty(), "a dry run posts nothing");
    let swept = desk
        .chat_sweep(at("2027-01-05T09:54:00Z"), "test", false)
        .await
        .unwrap();
    assert_eq!(
        (swept[0].incident.as_str(), swept[0].event, swept[0].outcome),
        ("2041", "opened", "posted")
    );
    let again = desk
        .chat_sweep(at("2027-01-05T09:55:00Z"), "test", false)
        .await
        .unwrap();
    assert_eq!(again[0].outcome, "already-posted");
    let (status, report) = deliver(&s, "UNACKED", "", TRIGGER_MS, "2027-01-05T09:56:00Z").await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        chat_outcomes(&report),
        vec!["slack:C0EVENTS001 already-posted"]
    );
    assert_eq!(texts(&fake).len(), 1, "{:?}", texts(&fake));
    let a_day_later = desk
        .chat_sweep(at("2027-01-06T10:00:00Z"), "test", false)
        .await
        .unwrap();
    assert!(a_day_later.is_empty(), "{a_day_later:?}");
}
