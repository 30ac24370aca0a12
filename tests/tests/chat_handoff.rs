//! The handoff in chat against the local stack (moto's DynamoDB and SES) and the Slack fake: one
//! post per channel per week however often the job runs or whichever answer is lost, the handoff
//! mails untouched by a failing Slack, Clinic's topic section set at the shift's start with people's
//! text kept, re-asserted once by the sweep after someone edits it (audited), the user group set.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use clinic::adapters::dynamo::DynamoStore;
use clinic::adapters::pacing::Pacing;
use clinic::adapters::ses::SesMailer;
use clinic::adapters::slack::SlackClient;
use clinic::audit::AuditLog;
use clinic::brief::{BriefSettings, Briefing};
use clinic::chat::{ChatApi, ChatNetworks};
use clinic::clock::ManualClock;
use clinic::functions::rotation_notices::NoticeHooks;
use clinic::handoff::chat::{ChatOutcome, ChatReport, HandoffChat};
use clinic::handoff::job::{HandoffJob, JobError};
use clinic::http_url::HttpUrl;
use clinic::mail::EmailAddress;
use clinic::rotation::roster::Roster;
use clinic::secret::Secret;
use clinic::shifts::ShiftLedger;
use clinic::trigger::Trigger;
use clinic_tests::slack_fake::{SlackFake, SlackFault};
use clinic_tests::{fresh_store, received_mail, verified_sender};

const SENDER: &str = "clinic@chat-handoff-tests.example.org";
const TOKEN: &str = "xoxb-chat-handoff-0001";
const CHANNEL: &str = "C0OPSCLINIC";
const GROUP: &str = "S0OPSDUTY01";
const PEOPLES_TOPIC: &str =
    "Welcome to #ops | Clinic duty: somebody | runbooks: https://wiki.example.org/ops";

fn roster(domain: &str) -> Roster {
    let person = |id: &str, team: &str, tz: &str, country: &str, previous: u32| {
        format!(
            "[[people]]\nid = \"{id}\"\nname = \"{id} Person\"\nemail = \"{id}@{domain}\"\nteam = \"{team}\"\n\
             timezone = \"{tz}\"\nholidays = \"{country}\"\nrole = \"engineer\"\nrotations = [\"ops\"]\n\
             previous_duties = {previous}\nabsences = []\nslack_user = \"U0{}01\"\n\n",
            id.to_ascii_uppercase()
        )
    };
    let mut text = format!(
        "[rotations.ops]\nstyle = \"fair\"\nmin_working_days = 3\navoid_same_person = true\navoid_same_team = true\n\
         first_duty_backup = true\nbackup_max_offset_hours = 3\nnotify = [\"team@{domain}\"]\n\
         chat = {{ slack_channels = [\"{CHANNEL}\"], slack_user_group = \"{GROUP}\", topic = \"Clinic duty: {{name}} (backup {{backup}})\" }}\n\n"
    );
    text.push_str(&person("alice", "red", "Europe/Berlin", "DE", 4));
    text.push_str(&person("bruno", "blue", "Europe/Rome", "IT", 2));
    text.push_str(&person("carla", "green", "Europe/Madrid", "ES", 0));
    text.push_str("[notices]\nallow = [\"alice\"]\n");
    Roster::parse(&text).expect("test roster is valid")
}

fn trigger(id: &str, time: jiff::Timestamp) -> Trigger {
    Trigger {
        event_id: id.to_owned(),
        time,
        dry_run: false,
    }
}

fn friday() -> jiff::Timestamp {
    "2027-01-01T09:00:00Z".parse().unwrap()
}

async fn slack() -> SlackFake {
    let fake = SlackFake::start(TOKEN).await;
    fake.add_channel(CHANNEL, "ops", true);
    fake.add_usergroup(GROUP);
    fake.set_topic(CHANNEL, PEOPLES_TOPIC);
    fake
}

struct Rig {
    job: HandoffJob<DynamoStore>,
    store: DynamoStore,
    clock: Arc<ManualClock>,
}

async fn rig(prefix: &str, domain: &str, fake: &SlackFake) -> Rig {
    rig_with(prefix, domain, fake, false).await
}

/// With `notices`, the rotation function's notice hooks on the table (`functions::rotation_notices`).
async fn rig_with(prefix: &str, domain: &str, fake: &SlackFake, notices: bool) -> Rig {
    let store = fresh_store(prefix).await;
    let ses = verified_sender(SENDER).await;
    let client = SlackClient::with_timeout(
        HttpUrl::parse(&fake.base_url()).unwrap(),
        Secret::new(TOKEN),
        Pacing {
            min_interval: Duration::from_millis(5),
            first_backoff: Duration::from_millis(50),
            max_attempts: 2,
        },
        Duration::from_secs(2),
    );
    let clock = Arc::new(ManualClock::at(friday()));
    let briefing = Briefing::new(
        Arc::new(store.clone()),
        BriefSettings {
            stale_after_days: 14,
            phabricator_url: None,
            uid_domain: clinic::mail::MailDomain::parse("clinic.example.org").unwrap(),
            circuits: None,
        },
    );
    let hooks = notices.then(|| {
        Arc::new(NoticeHooks {
            store: store.clone(),
            roster: Arc::new(roster(domain)),
        })
    });
    let job = HandoffJob::new(
        store.clone(),
        Arc::new(SesMailer::new(ses)),
        roster(domain),
        EmailAddress::parse(SENDER).unwrap(),
        60,
    )
    .with_briefing(briefing)
    .with_clock(clock.clone())
    .with_chat(HandoffChat {
        networks: ChatNetworks {
            slack: Some(Arc::new(client) as Arc<dyn ChatApi>),
            matrix: None,
        },
        page: Some(HttpUrl::parse("https://clinic.example.org").unwrap()),
        notices: hooks
            .clone()
            .map(|h| h as Arc<dyn clinic::handoff::ports::StandingNotices>),
        commands: hooks.map(|h| h as Arc<dyn clinic::handoff::ports::RoomCommands>),
    });
    Rig { job, store, clock }
}

/// How many mails the local SES accepted for each address of `domain`.
async fn mails_to(domain: &str) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for mail in received_mail().await {
        let mut seen: Vec<_> = mail
            .destinations
            .iter()
            .filter(|d| d.ends_with(&format!("@{domain}")))
            .collect();
        seen.sort();
        seen.dedup();
        for address in seen {
            *counts.entry(address.clone()).or_default() += 1;
        }
    }
    counts
}

fn calls_of(fake: &SlackFake, method: &str) -> usize {
    fake.calls().iter().filter(|c| c.method == method).count()
}

fn only(report: &ChatReport) -> (&ChatOutcome, &ChatOutcome) {
    (&report.posts[0].outcome, &report.topics[0].outcome)
}

#[tokio::test]
async fn a_committed_handoff_is_posted_once_and_the_sweep_keeps_the_topic_and_the_group() {
    let domain = "chat-once.example.org";
    let fake = slack().await;
    let rig = rig("chat-once", domain, &fake).await;

    let report = rig.job.run(&trigger("evt-1", friday())).await.unwrap();
    let ops = &report.rotations[0];
    let chat = ops.chat.as_ref().expect("the rotation has chat");
    let (post, topic) = only(chat);
    assert!(matches!(post, ChatOutcome::Posted { .. }), "{chat:?}");
    // Friday's run hands off Monday's shift: the topic still names the running one until then.
    assert!(matches!(topic, ChatOutcome::Skipped { .. }), "{chat:?}");
    assert_eq!(fake.topic(CHANNEL).as_deref(), Some(PEOPLES_TOPIC));
    let messages = fake.messages(CHANNEL);
    assert_eq!(messages.len(), 1);
    let primary = ops.primary.clone().unwrap();
    let text = messages[0]["text"].as_str().unwrap();
    assert!(
        text.starts_with("Clinic handoff: ops 2027-W01, from 2027-01-03 23:00 UTC: "),
        "{text}"
    );
    assert!(
        text.contains(&format!("{primary} Person is on duty, ")),
        "{text}"
    );
    assert!(
        text.contains("\nNow: 0 tasks need triage, 0 stale tasks,"),
        "{text}"
    );
    assert!(text.ends_with("\nhttps://clinic.example.org/now"), "{text}");

    // Another delivery of the schedule (a new event id) posts nothing more.
    let again = rig.job.run(&trigger("evt-2", friday())).await.unwrap();
    let (post, _) = only(again.rotations[0].chat.as_ref().unwrap());
    assert_eq!(post, &ChatOutcome::AlreadyPosted);
    assert_eq!(fake.messages(CHANNEL).len(), 1);

    // The shift starts: the sweep sets the section, keeping people's text, and the user group.
    let shift = rig.store.shifts("ops").await.unwrap().remove(0);
    let start = shift.start_utc + jiff::SignedDuration::from_secs(30);
    rig.clock.set(start);
    let sweep = rig
        .job
        .chat_sweep(&trigger("sweep-1", start))
        .await
        .unwrap();
    let ops = &sweep.rotations[0];
    assert_eq!(ops.week.as_deref(), Some("2027-W01"));
    assert_eq!(ops.chat.posts[0].outcome, ChatOutcome::AlreadyPosted);
    let backup = shift
        .backup
        .as_ref()
        .map_or("none".to_owned(), |b| format!("{b} Person"));
    let section = format!("Clinic duty: {primary} Person (backup {backup})");
    assert_eq!(
        fake.topic(CHANNEL).unwrap(),
        format!("Welcome to #ops | {section} | runbooks: https://wiki.example.org/ops")
    );
    let user = format!("U0{}01", primary.to_ascii_uppercase());
    assert_eq!(fake.usergroup_members(GROUP), Some(vec![user.clone()]));
    assert!(
        matches!(&ops.chat.user_group.as_ref().unwrap().outcome, ChatOutcome::GroupSet { users } if users.len() == 1 && users[0] == user)
    );

    // The next minute changes nothing.
    let topics_set = calls_of(&fake, "conversations.setTopic");
    let next = rig
        .job
        .chat_sweep(&trigger("sweep-2", start))
        .await
        .unwrap();
    assert_eq!(
        next.rotations[0].chat.topics[0].outcome,
        ChatOutcome::TopicKept
    );
    assert_eq!(
        next.rotations[0].chat.user_group.as_ref().unwrap().outcome,
        ChatOutcome::GroupAlreadySet
    );
    assert_eq!(calls_of(&fake, "conversations.setTopic"), topics_set);
    assert_eq!(calls_of(&fake, "usergroups.users.update"), 1);

    // Someone edits the topic, section included: the sweep puts the section back, once.
    fake.set_topic(
        CHANNEL,
        "Maintenance tonight | Clinic duty: me! | ask in #help",
    );
    let edited = rig
        .job
        .chat_sweep(&trigger("sweep-3", start))
        .await
        .unwrap();
    assert!(matches!(
        &edited.rotations[0].chat.topics[0].outcome,
        ChatOutcome::TopicSet { was: Some(was), .. } if was == "Clinic duty: me!"
    ));
    assert_eq!(
        fake.topic(CHANNEL).unwrap(),
        format!("Maintenance tonight | {section} | ask in #help")
    );
    rig.job
        .chat_sweep(&trigger("sweep-4", start))
        .await
        .unwrap();
    assert_eq!(calls_of(&fake, "conversations.setTopic"), topics_set + 1);
    assert_eq!(fake.messages(CHANNEL).len(), 1);

    let day = start.to_zoned(jiff::tz::TimeZone::UTC).date();
    let audit = rig.store.list(day, day, 100).await.unwrap();
    let reasserted: Vec<_> = audit
        .iter()
        .filter(|e| e.action == "chat.topic.reassert")
        .collect();
    assert_eq!(
        reasserted.len(),
        2,
        "the shift's start and the edit: {audit:#?}"
    );
    assert!(
        reasserted
            .iter()
            .any(|e| e.cause == "sweep-3" && e.details.contains("\"was\":\"Clinic duty: me!\"")),
        "{reasserted:?}"
    );
    assert_eq!(reasserted[0].subject, format!("chat/slack:{CHANNEL}/topic"));
    assert!(audit.iter().any(|e| e.action == "chat.usergroup.set"));
    let friday_audit = rig
        .store
        .list(
            friday().to_zoned(jiff::tz::TimeZone::UTC).date(),
            friday().to_zoned(jiff::tz::TimeZone::UTC).date(),
            100,
        )
        .await
        .unwrap();
    assert_eq!(
        friday_audit
            .iter()
            .filter(|e| e.action == "chat.post")
            .count(),
        1
    );
}

#[tokio::test]
async fn a_post_whose_answer_was_lost_is_found_by_the_retried_run_not_posted_again() {
    let domain = "chat-lost.example.org";
    let fake = slack().await;
    let rig = rig("chat-lost", domain, &fake).await;
    fake.inject(SlackFault::LoseAnswer, Some("chat.postMessage"), 1);

    let failed = rig.job.run(&trigger("evt-lost", friday())).await;
    assert!(
        matches!(failed, Err(JobError::ChatPending { failed: 1 })),
        "{failed:?}"
    );
    assert!(failed.unwrap_err().is_retryable());
    assert_eq!(fake.messages(CHANNEL).len(), 1, "the post was applied");
    let mails = mails_to(domain).await;

    // Lambda retries the event: the mails are not sent again, the post is found by its marker.
    rig.clock
        .set(friday() + jiff::SignedDuration::from_secs(60));
    let retried = rig.job.run(&trigger("evt-lost", friday())).await.unwrap();
    let (post, _) = only(retried.rotations[0].chat.as_ref().unwrap());
    assert_eq!(post, &ChatOutcome::AlreadyPosted);
    assert_eq!(fake.messages(CHANNEL).len(), 1);
    assert_eq!(calls_of(&fake, "chat.postMessage"), 1);
    assert_eq!(mails_to(domain).await, mails);
    assert!(mails.values().all(|&n| n == 1), "{mails:?}");
}

#[tokio::test]
async fn a_failing_slack_leaves_the_mails_sent_once_and_the_next_sweep_posts_once() {
    let domain = "chat-down.example.org";
    let fake = slack().await;
    let rig = rig("chat-down", domain, &fake).await;
    fake.inject(SlackFault::ServerError, None, 100);

    let failed = rig.job.run(&trigger("evt-down", friday())).await;
    assert!(
        matches!(failed, Err(JobError::ChatPending { .. })),
        "{failed:?}"
    );
    let mails = mails_to(domain).await;
    assert!(
        mails.len() >= 2,
        "the incoming person and the notify list at least: {mails:?}"
    );
    assert!(mails.values().all(|&n| n == 1), "{mails:?}");
    assert!(fake.messages(CHANNEL).is_empty());

    // Slack is back; the sweep at the shift's start makes the missing post, once.
    fake.heal();
    let shift = rig.store.shifts("ops").await.unwrap().remove(0);
    let start = shift.start_utc;
    rig.clock.set(start);
    let sweep = rig
        .job
        .chat_sweep(&trigger("sweep-1", start))
        .await
        .unwrap();
    assert!(
        matches!(
            sweep.rotations[0].chat.posts[0].outcome,
            ChatOutcome::Posted { .. }
        ),
        "{sweep:?}"
    );
    rig.job
        .chat_sweep(&trigger("sweep-2", start))
        .await
        .unwrap();
    assert_eq!(fake.messages(CHANNEL).len(), 1);
    let text = fake.messages(CHANNEL)[0]["text"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(text.starts_with("Clinic handoff: ops 2027-W01"), "{text}");
    assert_eq!(mails_to(domain).await, mails, "the sweep sends no mail");
}

#[tokio::test]
async fn a_standing_notice_shows_in_the_topic_section_and_leaves_it_with_ok() {
    use clinic::notices::{self, Command, Poster, Via};
    let domain = "chat-notice.example.org";
    let fake = slack().await;
    let rig = rig_with("chat-notice", domain, &fake, true).await;
    rig.job.run(&trigger("evt-n1", friday())).await.unwrap();
    let shift = rig.store.shifts("ops").await.unwrap().remove(0);
    let start = shift.start_utc + jiff::SignedDuration::from_secs(30);
    rig.clock.set(start);
    rig.job
        .chat_sweep(&trigger("sweep-n1", start))
        .await
        .unwrap();
    let plain = fake.topic(CHANNEL).unwrap();
    assert!(!plain.contains("notice"), "{plain}");

    let alice = clinic::rotation::roster::PersonId::parse("alice").unwrap();
    let roster = roster(domain);
    let post = |line: &'static str| {
        let (store, roster, alice) = (rig.store.clone(), roster.clone(), alice.clone());
        async move {
            notices::run(
                &store,
                roster.notices(),
                &Poster {
                    person: &alice,
                    via: Via::Cli,
                    actor: "cli:tester",
                    cause: "cli:test",
                },
                &Command::parse(line).unwrap(),
                None,
                start,
            )
            .await
            .unwrap();
        }
    };
    post("alert eqiad row C switch flapping T123").await;
    let swept = rig
        .job
        .chat_sweep(&trigger("sweep-n2", start))
        .await
        .unwrap();
    let with_notice = fake.topic(CHANNEL).unwrap();
    assert!(
        with_notice.contains("(notice: ALERT: eqiad row C switch flapping"),
        "{with_notice}"
    );
    // People's text around the section is untouched by the notice.
    assert!(
        with_notice.starts_with("Welcome to #ops | Clinic duty: "),
        "{with_notice}"
    );
    assert!(
        with_notice.ends_with(" | runbooks: https://wiki.example.org/ops"),
        "{with_notice}"
    );
    assert!(
        matches!(
            &swept.rotations[0].chat.topics[0].outcome,
            ChatOutcome::TopicSet { .. }
        ),
        "{swept:?}"
    );

    post("ok").await;
    rig.job
        .chat_sweep(&trigger("sweep-n3", start))
        .await
        .unwrap();
    assert_eq!(fake.topic(CHANNEL).unwrap(), plain);
}
