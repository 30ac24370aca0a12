use std::sync::Arc;

use super::memory::{MemoryChat, PostFault};
use super::*;
use crate::chat::ports::{Network, PostMarker};
use crate::claim::memory::MemoryClaims;
use crate::rotation::roster::{MatrixRoomId, SlackChannelId};

const LEASE: jiff::SignedDuration = jiff::SignedDuration::from_secs(120);

fn slack_room() -> ChatRoom {
    ChatRoom::Slack(SlackChannelId::parse("C0123ABCDEF").unwrap())
}

fn matrix_room() -> ChatRoom {
    ChatRoom::Matrix(MatrixRoomId::parse("!clinic:example.org").unwrap())
}

struct Rig {
    claims: MemoryClaims,
    slack: Arc<MemoryChat>,
    matrix: Arc<MemoryChat>,
}

impl Rig {
    fn new() -> Self {
        Self {
            claims: MemoryClaims::default(),
            slack: Arc::new(MemoryChat::new(Network::Slack)),
            matrix: Arc::new(MemoryChat::new(Network::Matrix)),
        }
    }

    fn rooms(&self) -> EventRooms {
        EventRooms::new(
            ChatNetworks {
                slack: Some(self.slack.clone()),
                matrix: Some(self.matrix.clone()),
            },
            vec![slack_room(), matrix_room()],
        )
    }

    async fn post(&self, rooms: &EventRooms, at: &str) -> Result<Vec<RoomPost>, EventPostError> {
        let post = ChatPost {
            marker: PostMarker::new("incident/1873/opened").unwrap(),
            text: "VictorOps #1873 opened".into(),
        };
        let once = Once::new(&self.claims, LEASE);
        rooms
            .post(
                &once,
                |room| ClaimKey::incident("1873", format!("chat-opened#{room}")),
                &post,
                Poster {
                    actor: "test",
                    cause: "test",
                },
                at.parse().unwrap(),
            )
            .await
    }
}

fn outcomes(posts: &[RoomPost]) -> Vec<(&str, &str)> {
    posts.iter().map(|p| (p.room.as_str(), p.outcome)).collect()
}

#[tokio::test]
async fn an_event_is_posted_once_in_every_room_and_a_second_run_posts_nothing() {
    let rig = Rig::new();
    let rooms = rig.rooms();
    let first = rig.post(&rooms, "2027-01-05T10:00:00Z").await.unwrap();
    assert_eq!(
        outcomes(&first),
        vec![
            ("slack:C0123ABCDEF", "posted"),
            ("matrix:!clinic:example.org", "posted")
        ]
    );
    let again = rig.post(&rooms, "2027-01-05T10:00:05Z").await.unwrap();
    assert_eq!(
        outcomes(&again),
        vec![
            ("slack:C0123ABCDEF", "already-posted"),
            ("matrix:!clinic:example.org", "already-posted")
        ]
    );
    assert_eq!(rig.slack.texts(&slack_room()).len(), 1);
    assert_eq!(rig.matrix.texts(&matrix_room()).len(), 1);
    let key = ClaimKey::incident("1873", "chat-opened#slack:C0123ABCDEF");
    assert_eq!(rig.claims.outcome(&key).as_deref(), Some("m0"));
}

#[tokio::test]
async fn a_post_whose_answer_was_lost_is_found_by_its_marker_and_not_made_again() {
    let rig = Rig::new();
    let rooms = rig.rooms();
    rig.slack.script([PostFault::LoseAnswer]);
    let err = rig.post(&rooms, "2027-01-05T10:00:00Z").await.unwrap_err();
    assert!(err.is_retryable(), "{err}");
    assert_eq!(
        rig.matrix.texts(&matrix_room()).len(),
        1,
        "the other room got it anyway"
    );
    let retried = rig.post(&rooms, "2027-01-05T10:00:10Z").await.unwrap();
    assert_eq!(
        outcomes(&retried),
        vec![
            ("slack:C0123ABCDEF", "already-posted"),
            ("matrix:!clinic:example.org", "already-posted")
        ]
    );
    assert_eq!(
        rig.slack.texts(&slack_room()),
        vec!["VictorOps #1873 opened"],
        "one post, found again by its marker"
    );
}

#[tokio::test]
async fn a_network_that_was_down_gets_the_post_once_on_a_later_run() {
    let rig = Rig::new();
    let rooms = rig.rooms();
    rig.slack.script([PostFault::Down]);
    assert!(
        rig.post(&rooms, "2027-01-05T10:00:00Z")
            .await
            .unwrap_err()
            .is_retryable()
    );
    assert!(rig.slack.texts(&slack_room()).is_empty());
    // Whether the failed post landed is unknown until it has had time to: until then, busy.
    let soon = rig.post(&rooms, "2027-01-05T10:01:00Z").await.unwrap_err();
    assert!(
        matches!(soon, EventPostError::Busy { .. }) && soon.is_retryable(),
        "{soon}"
    );
    let later = rig.post(&rooms, "2027-01-05T10:05:00Z").await.unwrap();
    assert_eq!(
        outcomes(&later),
        vec![
            ("slack:C0123ABCDEF", "posted"),
            ("matrix:!clinic:example.org", "already-posted")
        ]
    );
    assert_eq!(rig.slack.texts(&slack_room()).len(), 1);
    assert_eq!(rig.matrix.texts(&matrix_room()).len(), 1);
}

#[tokio::test]
async fn a_refused_post_is_reported_not_failed_and_the_next_run_posts_once_it_is_fixed() {
    let rig = Rig::new();
    let rooms = rig.rooms();
    rig.slack.script([PostFault::Refuse]);
    // The bot not in the channel is no failure of the event: the Matrix room still gets it, and the
    // answer says which room refused and why.
    let posts = rig.post(&rooms, "2027-01-05T10:00:00Z").await.unwrap();
    assert_eq!(
        outcomes(&posts),
        vec![
            ("slack:C0123ABCDEF", "refused"),
            ("matrix:!clinic:example.org", "posted")
        ]
    );
    assert!(posts[0].refused.as_deref().is_some_and(|r| !r.is_empty()));
    assert_eq!(posts[1].refused, None);
    assert_eq!(outcome_of(&posts), "posted");
    assert!(rig.slack.texts(&slack_room()).is_empty());
    // Refused means not posted: no waiting, no lookup needed; once fixed, the next run posts once.
    let fixed = rig.post(&rooms, "2027-01-05T10:00:30Z").await.unwrap();
    assert_eq!(
        outcomes(&fixed),
        vec![
            ("slack:C0123ABCDEF", "posted"),
            ("matrix:!clinic:example.org", "already-posted")
        ]
    );
    assert_eq!(rig.slack.texts(&slack_room()).len(), 1);
    assert_eq!(rig.matrix.texts(&matrix_room()).len(), 1);
}

#[test]
fn a_runs_outcome_names_a_new_post_first_then_a_refusal() {
    let post = |outcome| RoomPost {
        room: "slack:C0123ABCDEF".into(),
        outcome,
        refused: None,
    };
    assert_eq!(
        outcome_of(&[post("already-posted"), post("posted")]),
        "posted"
    );
    assert_eq!(
        outcome_of(&[post("already-posted"), post("refused")]),
        "refused"
    );
    assert_eq!(
        outcome_of(&[post("no-client"), post("already-posted")]),
        "already-posted"
    );
    assert_eq!(outcome_of(&[post("no-client")]), "no-client");
    assert_eq!(outcome_of(&[]), "no-client");
}

#[tokio::test]
async fn a_room_of_a_network_without_a_client_is_skipped_and_said_so() {
    let rig = Rig::new();
    let rooms = EventRooms::new(
        ChatNetworks {
            slack: Some(rig.slack.clone()),
            matrix: None,
        },
        vec![slack_room(), matrix_room()],
    );
    assert!(!rooms.is_empty());
    let posts = rig.post(&rooms, "2027-01-05T10:00:00Z").await.unwrap();
    assert_eq!(
        outcomes(&posts),
        vec![
            ("slack:C0123ABCDEF", "posted"),
            ("matrix:!clinic:example.org", "no-client")
        ]
    );
    let unreachable = EventRooms::new(ChatNetworks::default(), vec![slack_room()]);
    assert!(unreachable.is_empty());
    assert!(EventRooms::default().is_empty());
}

#[test]
fn outside_text_in_a_post_is_one_short_line_that_mentions_nobody() {
    assert_eq!(quoted("Disk\nfull"), "Disk full");
    assert!(!quoted("<!channel> hi").contains('<'));
    assert!(!quoted("ping @room now").contains("@room"));
    let long = quoted(&"x".repeat(200));
    assert_eq!(long.chars().count(), 81);
    assert!(long.ends_with('…'));
}

#[test]
fn a_rotations_rooms_are_its_slack_channels_then_its_matrix_rooms() {
    let link = ChatLink {
        slack_channels: vec![SlackChannelId::parse("C0123ABCDEF").unwrap()],
        matrix_rooms: vec![MatrixRoomId::parse("!clinic:example.org").unwrap()],
        slack_user_group: None,
        topic: crate::rotation::roster::TopicTemplate::parse("duty: {name}").unwrap(),
    };
    assert_eq!(rooms_of(&link), vec![slack_room(), matrix_room()]);
}
