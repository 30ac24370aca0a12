//! The Matrix adapter against a real Synapse (`clinic_tests::synapse`, one per test binary, each
//! test its own users and room): a post made once and found by its marker, a repeat after a lost
//! answer deduplicated by its transaction id, the topic, people's messages read from a token,
//! `M_LIMIT_EXCEEDED` waited out or reported, refusals told from failures.

use std::time::{Duration, Instant};

use clinic::adapters::matrix::{MARKER_KEY, MatrixClient};
use clinic::adapters::pacing::Pacing;
use clinic::chat::ports::{ChatApi, ChatError, ChatPost, ChatRoom, PostMarker};
use clinic::http_url::HttpUrl;
use clinic::rotation::roster::{MatrixRoomId, SlackUserGroupId};
use clinic::secret::Secret;
use clinic_tests::fault_proxy::{Fault, FaultProxy, Matcher, Times};
use clinic_tests::synapse::{self, MatrixUser, Synapse};

fn quick(max_attempts: u32) -> Pacing {
    Pacing {
        min_interval: Duration::from_millis(10),
        first_backoff: Duration::from_millis(100),
        max_attempts,
    }
}

fn client_at(url: &str, token: &str, pacing: Pacing) -> MatrixClient {
    MatrixClient::with_timeout(
        HttpUrl::parse(url).unwrap(),
        Secret::new(token),
        pacing,
        Duration::from_secs(2),
    )
}

/// The shared homeserver, Clinic's bot and a person in a room of their own.
struct Rig {
    synapse: &'static Synapse,
    bot: MatrixUser,
    person: MatrixUser,
    room: ChatRoom,
    room_id: String,
}

impl Rig {
    async fn new() -> Self {
        let synapse = synapse::shared().await;
        let bot = synapse.user("clinic").await;
        let person = synapse.user("ana").await;
        let room_id = synapse.room(&person, &[&bot]).await;
        Self {
            synapse,
            room: ChatRoom::Matrix(MatrixRoomId::parse(&room_id).unwrap()),
            room_id,
            bot,
            person,
        }
    }

    fn client(&self) -> MatrixClient {
        client_at(self.synapse.url(), &self.bot.access_token, quick(4))
    }

    /// The room's messages carrying `marker`.
    async fn posts_with(&self, marker: &str) -> Vec<serde_json::Value> {
        self.synapse
            .messages(&self.person, &self.room_id)
            .await
            .into_iter()
            .filter(|e| e["content"][MARKER_KEY] == marker)
            .collect()
    }
}

fn post(marker: &str, text: &str) -> ChatPost {
    ChatPost {
        marker: PostMarker::new(marker).unwrap(),
        text: text.to_owned(),
    }
}

#[tokio::test]
async fn a_post_is_made_once_with_its_marker_and_found_again_by_it() {
    let rig = Rig::new().await;
    let matrix = rig.client();
    let handoff = post(
        "handoff/sre-clinic/2027-W01",
        "Ana is on clinic duty this week.",
    );
    let posted = matrix.post(&rig.room, &handoff).await.unwrap();

    let posts = rig.posts_with("handoff/sre-clinic/2027-W01").await;
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert_eq!(posts[0]["event_id"], posted.id.as_str());
    assert_eq!(posts[0]["sender"], rig.bot.user_id.as_str());
    assert_eq!(
        posts[0]["content"]["body"],
        "Ana is on clinic duty this week."
    );
    assert_eq!(posts[0]["content"]["msgtype"], "m.notice");

    assert_eq!(
        matrix.find_post(&rig.room, &handoff.marker).await.unwrap(),
        Some(posted)
    );
    let other = PostMarker::new("handoff/sre-clinic/2027-W02").unwrap();
    assert_eq!(matrix.find_post(&rig.room, &other).await.unwrap(), None);
}

#[tokio::test]
async fn a_marker_in_someone_elses_message_is_not_clinics_post() {
    let rig = Rig::new().await;
    let (status, _) = rig
        .synapse
        .request(
            Some(&rig.person.access_token),
            reqwest::Method::PUT,
            &format!(
                "/_matrix/client/v3/rooms/{}/send/m.room.message/forged-1",
                synapse::encode(&rig.room_id)
            ),
            Some(serde_json::json!({"msgtype": "m.text", "body": "x", MARKER_KEY: "a/forged"})),
        )
        .await;
    assert_eq!(status, 200);
    let forged = PostMarker::new("a/forged").unwrap();
    assert_eq!(
        rig.client().find_post(&rig.room, &forged).await.unwrap(),
        None
    );
}

#[tokio::test]
async fn a_repeat_after_a_lost_answer_is_the_same_event_not_a_second_message() {
    let rig = Rig::new().await;
    let upstream = rig.synapse.url().to_owned();
    let proxy = FaultProxy::start(&upstream).await;
    proxy.inject(
        Matcher::any()
            .method("PUT")
            .path_prefix("/_matrix/client/v3/rooms/"),
        Fault::LoseAnswer,
        Times::Next(1),
    );
    let matrix = client_at(&proxy.url(), &rig.bot.access_token, quick(4));
    let notice = post("incident/INC-42/opened", "INC-42 opened: API errors.");

    let error = matrix.post(&rig.room, &notice).await.unwrap_err();
    assert!(
        matches!(error, ChatError::Unavailable { .. }) && error.is_retryable(),
        "{error:?}"
    );
    assert!(proxy.log()[0].applied(), "Synapse made the event");

    let found = matrix
        .find_post(&rig.room, &notice.marker)
        .await
        .unwrap()
        .expect("the post whose answer was lost is found");
    let again = matrix.post(&rig.room, &notice).await.unwrap();
    assert_eq!(
        again.id, found.id,
        "the same transaction id names the same event"
    );
    assert_eq!(rig.posts_with("incident/INC-42/opened").await.len(), 1);
}

#[tokio::test]
async fn the_topic_is_empty_until_set_and_read_back_as_set() {
    let rig = Rig::new().await;
    let matrix = rig.client();
    assert_eq!(matrix.topic(&rig.room).await.unwrap(), "");
    matrix
        .set_topic(&rig.room, "Runbooks: wiki/sre | on duty: Ana")
        .await
        .unwrap();
    assert_eq!(
        matrix.topic(&rig.room).await.unwrap(),
        "Runbooks: wiki/sre | on duty: Ana"
    );
    let error = matrix
        .set_user_group(&SlackUserGroupId::parse("S0CLINICDUTY").unwrap(), &[])
        .await
        .unwrap_err();
    assert!(matches!(error, ChatError::Unsupported { .. }), "{error:?}");
}

#[tokio::test]
async fn a_bot_that_may_not_set_the_topic_is_refused_and_told_why() {
    let synapse = synapse::shared().await;
    let bot = synapse.user("clinic").await;
    let person = synapse.user("ana").await;
    let room_id = synapse.room_without_power(&person, &[&bot]).await;
    let room = ChatRoom::Matrix(MatrixRoomId::parse(&room_id).unwrap());
    let matrix = client_at(synapse.url(), &bot.access_token, quick(4));
    let error = matrix.set_topic(&room, "t").await.unwrap_err();
    assert!(
        matches!(error, ChatError::Refused { ref reason, .. } if reason.contains("M_FORBIDDEN")),
        "{error:?}"
    );
    // Posting needs no power: an ordinary member may.
    matrix.post(&room, &post("p/1", "hello")).await.unwrap();
}

#[tokio::test]
async fn messages_since_a_token_are_other_peoples_in_order_and_the_next_token_continues() {
    let rig = Rig::new().await;
    let matrix = rig.client();
    let start = matrix.messages_since(&rig.room, None).await.unwrap();
    assert!(start.messages.is_empty());

    let first = rig
        .synapse
        .send_text(&rig.person, &rig.room_id, "!status alert db down")
        .await;
    matrix
        .post(&rig.room, &post("a/own", "Clinic's own"))
        .await
        .unwrap();
    let second = rig
        .synapse
        .send_text(&rig.person, &rig.room_id, "!status ok")
        .await;

    let read = matrix
        .messages_since(&rig.room, Some(&start.next))
        .await
        .unwrap();
    let seen: Vec<(&str, &str)> = read
        .messages
        .iter()
        .map(|m| (m.id.as_str(), m.body.as_str()))
        .collect();
    assert_eq!(
        seen,
        vec![
            (first.as_str(), "!status alert db down"),
            (second.as_str(), "!status ok")
        ]
    );
    assert_eq!(read.messages[0].sender.as_str(), rig.person.user_id);

    let nothing = matrix
        .messages_since(&rig.room, Some(&read.next))
        .await
        .unwrap();
    assert!(nothing.messages.is_empty(), "{:?}", nothing.messages);
    let third = rig
        .synapse
        .send_text(&rig.person, &rig.room_id, "!status notice deploy")
        .await;
    let later = matrix
        .messages_since(&rig.room, Some(&nothing.next))
        .await
        .unwrap();
    let ids: Vec<&str> = later.messages.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, vec![third.as_str()]);
}

#[tokio::test]
async fn m_limit_exceeded_is_waited_out_and_still_limited_is_retryable() {
    let rig = Rig::new().await;
    rig.synapse.limit_messages(&rig.bot, 1, 1).await;
    let matrix = rig.client();
    matrix.post(&rig.room, &post("r/1", "one")).await.unwrap();
    let started = Instant::now();
    // Synapse refuses the second at once (retry_after_ms about a second); the adapter waits it out.
    matrix.post(&rig.room, &post("r/2", "two")).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(rig.posts_with("r/2").await.len(), 1);

    let impatient = client_at(rig.synapse.url(), &rig.bot.access_token, quick(1));
    let error = impatient
        .post(&rig.room, &post("r/3", "three"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            ChatError::RateLimited {
                retry_after: Some(_),
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.is_retryable());
    assert!(rig.posts_with("r/3").await.is_empty());
}

#[tokio::test]
async fn a_bad_token_and_an_unknown_room_are_refused() {
    let rig = Rig::new().await;
    let stranger = client_at(rig.synapse.url(), "syt_not_a_token", quick(4));
    let error = stranger
        .post(&rig.room, &post("b/1", "hello"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, ChatError::Refused { ref reason, .. } if reason.contains("M_UNKNOWN_TOKEN")),
        "{error:?}"
    );
    assert!(!error.is_retryable());

    let nowhere = ChatRoom::Matrix(MatrixRoomId::parse("!nosuchroom:clinic.test").unwrap());
    let matrix = rig.client();
    for error in [
        matrix
            .post(&nowhere, &post("b/2", "hello"))
            .await
            .unwrap_err(),
        matrix.set_topic(&nowhere, "t").await.unwrap_err(),
        matrix.topic(&nowhere).await.unwrap_err(),
    ] {
        assert!(
            matches!(error, ChatError::Refused { .. }) && !error.is_retryable(),
            "{error:?}"
        );
    }
}

#[tokio::test]
async fn a_hung_homeserver_is_unavailable_within_the_timeout() {
    let rig = Rig::new().await;
    let upstream = rig.synapse.url().to_owned();
    let proxy = FaultProxy::start(&upstream).await;
    proxy.inject(Matcher::any(), Fault::Hang, Times::Every);
    let matrix = client_at(&proxy.url(), &rig.bot.access_token, quick(4));
    let started = Instant::now();
    let error = matrix.topic(&rig.room).await.unwrap_err();
    assert!(
        matches!(error, ChatError::Unavailable { .. }) && error.is_retryable(),
        "{error:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}
