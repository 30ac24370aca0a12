//! `!status` against a real Synapse: Clinic's bot reads the room through the Matrix adapter, an
//! allowed person's alert stands, a stranger's gets a refusal reply, and a second read finds nothing
//! new and posts nothing.

use std::sync::Arc;
use std::time::Duration;

use clinic::adapters::matrix::MatrixClient;
use clinic::adapters::pacing::Pacing;
use clinic::chat::ChatRoom;
use clinic::http_url::HttpUrl;
use clinic::notices::{self, Via};
use clinic::rotation::roster::{MatrixRoomId, Roster};
use clinic::secret::Secret;
use clinic_tests::synapse;
use clinic_tests::{fresh_store, repo_root};

#[tokio::test]
async fn status_commands_in_a_matrix_room_post_once_and_answer_once() {
    let synapse = synapse::shared().await;
    let bot = synapse.user("clinic").await;
    let asha = synapse.user("asha").await;
    let stranger = synapse.user("stranger").await;
    let room_id = synapse.room(&bot, &[&asha, &stranger]).await;
    let text = std::fs::read_to_string(repo_root().join("events/roster.toml"))
        .unwrap()
        .replace(
            "victorops_user = \"akaur\"",
            &format!(
                "victorops_user = \"akaur\"\nmatrix_user = \"{}\"",
                asha.user_id
            ),
        )
        + "\n[notices]\nallow = [\"akaur\"]\n";
    let roster = Roster::parse(&text).unwrap();
    let store = fresh_store("notices-matrix").await;
    let client = Arc::new(MatrixClient::with_timeout(
        HttpUrl::parse(synapse.url()).unwrap(),
        Secret::new(bot.access_token.clone()),
        Pacing {
            min_interval: Duration::from_millis(10),
            first_backoff: Duration::from_millis(100),
            max_attempts: 3,
        },
        Duration::from_secs(5),
    ));
    let room = ChatRoom::Matrix(MatrixRoomId::parse(&room_id).unwrap());
    let now = jiff::Timestamp::now();

    let first = notices::room_commands(client.as_ref(), &store, &roster, &room, now)
        .await
        .unwrap();
    assert!(first.commands.is_empty());
    synapse
        .send_text(
            &asha,
            &room_id,
            "!status alert eqiad row C switch flapping T123",
        )
        .await;
    synapse
        .send_text(&stranger, &room_id, "!status alert me too")
        .await;
    let read = notices::room_commands(client.as_ref(), &store, &roster, &room, now)
        .await
        .unwrap();
    assert_eq!(read.commands.len(), 2, "{read:?}");
    let standing = notices::current(&store, now)
        .await
        .unwrap()
        .expect("the alert");
    assert_eq!(
        (
            standing.posted_by.as_str(),
            standing.via,
            standing.text.as_str()
        ),
        ("akaur", Via::Matrix, "eqiad row C switch flapping")
    );
    let bodies = |events: Vec<serde_json::Value>| -> Vec<String> {
        events
            .iter()
            .filter(|e| e["sender"] == bot.user_id.as_str())
            .filter_map(|e| e["content"]["body"].as_str().map(str::to_owned))
            .collect()
    };
    let replies = bodies(synapse.messages(&asha, &room_id).await);
    assert_eq!(replies.len(), 2, "{replies:?}");
    assert!(
        replies[0].starts_with(&format!("{}: posted: ALERT (akaur", asha.user_id)),
        "{replies:?}"
    );
    assert!(
        replies[1].starts_with(&format!("{}: refused:", stranger.user_id)),
        "{replies:?}"
    );

    let again = notices::room_commands(client.as_ref(), &store, &roster, &room, now)
        .await
        .unwrap();
    assert!(again.commands.is_empty(), "{again:?}");
    assert_eq!(bodies(synapse.messages(&asha, &room_id).await).len(), 2);
}
