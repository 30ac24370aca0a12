use super::memory::{MemoryRoom, MemoryStore};
use super::*;
use crate::chat::ChatRoom;
use crate::rotation::roster::{MatrixRoomId, PersonId, Roster};

pub(crate) const ROSTER: &str = r#"
[rotations.clinic]
style = "fair"
min_working_days = 3
notify = ["clinic@example.org"]

[[people]]
id = "akaur"
name = "Amrit Kaur"
email = "akaur@example.org"
team = "traffic"
timezone = "Europe/Rome"
holidays = "IT"
role = "engineer"
rotations = ["clinic"]
matrix_user = "@akaur:example.org"
slack_user = "U0AKAUR0001"

[[people]]
id = "bea"
name = "Bea"
email = "bea@example.org"
team = "serviceops"
timezone = "America/Chicago"
holidays = "US"
role = "engineer"
rotations = ["clinic"]
matrix_user = "@bea:example.org"

[notices]
allow = ["akaur"]
expiry_hours = 8
"#;

fn roster() -> Roster {
    Roster::parse(ROSTER).expect("roster")
}

fn at(text: &str) -> jiff::Timestamp {
    text.parse().unwrap()
}

fn poster<'a>(person: &'a PersonId) -> Poster<'a> {
    Poster {
        person,
        via: Via::Cli,
        actor: "cli:tester",
        cause: "cli:test",
    }
}

fn akaur() -> PersonId {
    PersonId::parse("akaur").unwrap()
}

async fn post(store: &MemoryStore, line: &str, now: jiff::Timestamp) -> Posted {
    let roster = roster();
    let person = akaur();
    run(
        store,
        roster.notices(),
        &poster(&person),
        &Command::parse(line).unwrap(),
        None,
        now,
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn an_alert_stands_until_its_expiry_and_is_gone_at_once_after() {
    let store = MemoryStore::default();
    let now = at("2027-01-11T10:00:00Z");
    post(&store, "alert eqiad row C switch flapping T123 for 4h", now).await;
    let standing = current(&store, now).await.unwrap().expect("a notice");
    assert_eq!(standing.expires_at, at("2027-01-11T14:00:00Z"));
    assert_eq!(
        standing.task.map(|t| t.to_string()).as_deref(),
        Some("T123")
    );
    assert!(
        current(&store, at("2027-01-11T14:00:00Z"))
            .await
            .unwrap()
            .is_none()
    );
    let audit = store.audit.lock().unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].action, "notice.post");
    assert_eq!(audit[0].actor, "cli:tester");
    assert!(audit[0].details.contains("\"person\":\"akaur\""));
}

#[tokio::test]
async fn without_an_expiry_a_notice_stands_for_the_rosters_default() {
    let store = MemoryStore::default();
    let now = at("2027-01-11T10:00:00Z");
    post(&store, "notice gerrit is slow", now).await;
    let standing = current(&store, now).await.unwrap().unwrap();
    assert_eq!(standing.expires_at, at("2027-01-11T18:00:00Z"));
}

#[tokio::test]
async fn a_new_notice_replaces_the_standing_one_and_the_audit_names_both() {
    let store = MemoryStore::default();
    let now = at("2027-01-11T10:00:00Z");
    post(&store, "notice first", now).await;
    let posted = post(
        &store,
        "alert second",
        now + jiff::SignedDuration::from_mins(5),
    )
    .await;
    let Posted::Posted { replaced, .. } = &posted else {
        panic!("{posted:?}");
    };
    assert_eq!(replaced.as_ref().unwrap().text.as_str(), "first");
    let audit = store.audit.lock().unwrap();
    assert!(
        audit[1].why.contains("second") && audit[1].why.contains("replacing akaur's notice: first")
    );
    assert!(audit[1].details.contains("\"replaced\":{"));
}

#[tokio::test]
async fn ok_clears_the_board_and_is_audited() {
    let store = MemoryStore::default();
    let now = at("2027-01-11T10:00:00Z");
    post(&store, "alert broken", now).await;
    let cleared = post(&store, "ok fixed", now).await;
    assert!(matches!(cleared, Posted::Cleared { was: Some(_) }));
    assert!(current(&store, now).await.unwrap().is_none());
    let audit = store.audit.lock().unwrap();
    assert_eq!(audit[1].action, "notice.clear");
    assert!(audit[1].why.contains("fixed"), "{}", audit[1].why);
}

#[tokio::test]
async fn a_person_not_allowed_is_refused_and_nothing_is_written() {
    let store = MemoryStore::default();
    let roster = roster();
    let bea = PersonId::parse("bea").unwrap();
    let error = run(
        &store,
        roster.notices(),
        &poster(&bea),
        &Command::parse("alert broken").unwrap(),
        None,
        at("2027-01-11T10:00:00Z"),
    )
    .await
    .unwrap_err();
    assert!(matches!(error, NoticeError::NotAllowed(_)));
    assert!(error.to_string().contains("[notices] allow"));
    assert_eq!(*store.board.lock().unwrap(), Board::default());
    assert!(store.audit.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_post_that_lost_a_race_reads_again_and_replaces_the_winner() {
    let store = MemoryStore::default();
    let now = at("2027-01-11T10:00:00Z");
    post(&store, "notice first", now).await;
    // Someone else writes between this post's read and its write: its first write is refused.
    let store = RacingStore {
        inner: store,
        raced: std::sync::Mutex::new(false),
    };
    let roster = roster();
    let person = akaur();
    let posted = run(
        &store,
        roster.notices(),
        &poster(&person),
        &Command::parse("alert second").unwrap(),
        None,
        now,
    )
    .await
    .unwrap();
    assert!(matches!(posted, Posted::Posted { .. }));
    assert!(*store.raced.lock().unwrap());
    assert_eq!(store.inner.board.lock().unwrap().version, 3);
    assert_eq!(store.inner.audit.lock().unwrap().len(), 2);
}

/// A board another writer changes once between a read and the write after it.
struct RacingStore {
    inner: MemoryStore,
    raced: std::sync::Mutex<bool>,
}

#[async_trait::async_trait]
impl NoticeBoard for RacingStore {
    async fn board(&self) -> Result<Board, crate::store::StoreError> {
        self.inner.board().await
    }

    async fn write_board(
        &self,
        read: u64,
        next: &Board,
        audit: &crate::audit::AuditEntry,
        command: Option<HandledCommand<'_>>,
        now: jiff::Timestamp,
    ) -> Result<BoardWrite, crate::store::StoreError> {
        {
            let mut raced = self.raced.lock().unwrap();
            if !*raced {
                *raced = true;
                self.inner.board.lock().unwrap().version += 1;
            }
        }
        self.inner
            .write_board(read, next, audit, command, now)
            .await
    }

    async fn handled_reply(&self, id: &str) -> Result<Option<String>, crate::store::StoreError> {
        self.inner.handled_reply(id).await
    }
}

#[tokio::test]
async fn a_board_that_keeps_moving_is_given_up_on_with_nothing_written() {
    let roster = roster();
    let person = akaur();
    let always = AlwaysMoving(MemoryStore::default());
    let error = run(
        &always,
        roster.notices(),
        &poster(&person),
        &Command::parse("alert x").unwrap(),
        None,
        at("2027-01-11T10:00:00Z"),
    )
    .await
    .unwrap_err();
    assert!(matches!(error, NoticeError::Contended));
    assert!(always.0.audit.lock().unwrap().is_empty());
}

struct AlwaysMoving(MemoryStore);

#[async_trait::async_trait]
impl NoticeBoard for AlwaysMoving {
    async fn board(&self) -> Result<Board, crate::store::StoreError> {
        self.0.board().await
    }
    async fn write_board(
        &self,
        _read: u64,
        _next: &Board,
        _audit: &crate::audit::AuditEntry,
        _command: Option<HandledCommand<'_>>,
        _now: jiff::Timestamp,
    ) -> Result<BoardWrite, crate::store::StoreError> {
        Ok(BoardWrite::Moved)
    }
    async fn handled_reply(&self, _id: &str) -> Result<Option<String>, crate::store::StoreError> {
        Ok(None)
    }
}

#[tokio::test]
async fn a_command_handled_before_answers_its_first_reply_and_writes_nothing() {
    let store = MemoryStore::default();
    let roster = roster();
    let person = akaur();
    let now = at("2027-01-11T10:00:00Z");
    let command = Command::parse("alert broken").unwrap();
    let first = run(
        &store,
        roster.notices(),
        &poster(&person),
        &command,
        Some("slack#abc"),
        now,
    )
    .await
    .unwrap();
    let again = run(
        &store,
        roster.notices(),
        &poster(&person),
        &command,
        Some("slack#abc"),
        now + jiff::SignedDuration::from_secs(30),
    )
    .await
    .unwrap();
    assert_eq!(again, Posted::AlreadyHandled(first.reply(now)));
    assert_eq!(store.audit.lock().unwrap().len(), 1);
    assert_eq!(store.board.lock().unwrap().version, 1);
}

#[tokio::test]
async fn a_failed_write_leaves_the_board_as_it_was() {
    let store = MemoryStore::default();
    *store.failing_writes.lock().unwrap() = 1;
    let roster = roster();
    let person = akaur();
    let error = run(
        &store,
        roster.notices(),
        &poster(&person),
        &Command::parse("alert broken").unwrap(),
        Some("slack#abc"),
        at("2027-01-11T10:00:00Z"),
    )
    .await
    .unwrap_err();
    assert!(matches!(error, NoticeError::Store(_)));
    assert_eq!(*store.board.lock().unwrap(), Board::default());
    assert!(store.handled.lock().unwrap().is_empty());
}

#[tokio::test]
async fn the_sweep_records_an_expiry_once() {
    let store = MemoryStore::default();
    let now = at("2027-01-11T10:00:00Z");
    post(&store, "alert broken for 1h", now).await;
    assert_eq!(
        sweep_expired(&store, "sweep", "run-1", now).await.unwrap(),
        None
    );
    let later = at("2027-01-11T11:00:00Z");
    let ended = sweep_expired(&store, "sweep", "run-2", later)
        .await
        .unwrap();
    assert_eq!(ended.unwrap().text.as_str(), "broken");
    assert_eq!(
        sweep_expired(&store, "sweep", "run-3", later)
            .await
            .unwrap(),
        None
    );
    let audit = store.audit.lock().unwrap();
    let expired: Vec<_> = audit
        .iter()
        .filter(|e| e.action == "notice.expired")
        .collect();
    assert_eq!(expired.len(), 1);
}

fn room() -> ChatRoom {
    ChatRoom::Matrix(MatrixRoomId::parse("!ops:example.org").unwrap())
}

#[tokio::test]
async fn the_first_room_read_only_stores_where_it_starts() {
    let store = MemoryStore::default();
    let chat = MemoryRoom::default();
    chat.say("@akaur:example.org", "!status alert old news");
    let read = room_commands(
        &chat,
        &store,
        &roster(),
        &room(),
        at("2027-01-11T10:00:00Z"),
    )
    .await
    .unwrap();
    assert!(read.commands.is_empty());
    assert_eq!(
        store
            .cursors
            .lock()
            .unwrap()
            .get("matrix:!ops:example.org")
            .unwrap(),
        "t1"
    );
    assert!(chat.posts.lock().unwrap().is_empty());
}

#[tokio::test]
async fn status_commands_in_a_room_run_once_each_and_get_one_reply() {
    let store = MemoryStore::default();
    let chat = MemoryRoom::default();
    let now = at("2027-01-11T10:00:00Z");
    room_commands(&chat, &store, &roster(), &room(), now)
        .await
        .unwrap();
    chat.say(
        "@akaur:example.org",
        "!status alert eqiad row C switch flapping T123",
    );
    chat.say("@bea:example.org", "!status alert me too");
    chat.say("@zed:example.org", "!status ok");
    chat.say("@akaur:example.org", "just talking about !status");
    chat.say("@akaur:example.org", "!statusfoo");
    chat.say("@akaur:example.org", "!status shout");
    let read = room_commands(&chat, &store, &roster(), &room(), now)
        .await
        .unwrap();
    let replies: Vec<&str> = read.commands.iter().map(|c| c.reply.as_str()).collect();
    assert_eq!(read.commands.len(), 4, "{replies:?}");
    assert!(
        replies[0].starts_with("posted: ALERT (akaur"),
        "{}",
        replies[0]
    );
    assert!(
        replies[1].contains("bea may not post notices"),
        "{}",
        replies[1]
    );
    assert!(
        replies[2].contains("@zed:example.org is no roster person"),
        "{}",
        replies[2]
    );
    assert!(
        replies[3].contains("not a notice command"),
        "{}",
        replies[3]
    );
    let standing = current(&store, now).await.unwrap().unwrap();
    assert_eq!(standing.via, Via::Matrix);
    assert_eq!(standing.text.as_str(), "eqiad row C switch flapping");
    let posts = chat.posts.lock().unwrap().clone();
    assert_eq!(posts.len(), 4);
    assert!(posts[1].text.starts_with("@bea:example.org: refused"));
    // A second read finds nothing new and posts nothing.
    let again = room_commands(&chat, &store, &roster(), &room(), now)
        .await
        .unwrap();
    assert!(again.commands.is_empty());
    assert_eq!(chat.posts.lock().unwrap().len(), 4);
}

#[tokio::test]
async fn a_reread_after_a_failed_reply_posts_each_reply_once_and_changes_nothing_twice() {
    let store = MemoryStore::default();
    let chat = MemoryRoom::default();
    let now = at("2027-01-11T10:00:00Z");
    room_commands(&chat, &store, &roster(), &room(), now)
        .await
        .unwrap();
    chat.say("@akaur:example.org", "!status alert broken");
    chat.say("@akaur:example.org", "!status notice slow");
    // The first reply posts; the second fails: the read stops before storing its position.
    let failing = FailSecond {
        room: &chat,
        calls: std::sync::Mutex::new(0),
    };
    let error = room_commands(&failing, &store, &roster(), &room(), now)
        .await
        .unwrap_err();
    assert!(error.is_retryable(), "{error}");
    assert_eq!(
        store
            .cursors
            .lock()
            .unwrap()
            .get("matrix:!ops:example.org")
            .unwrap(),
        "t0"
    );
    let read = room_commands(&chat, &store, &roster(), &room(), now)
        .await
        .unwrap();
    assert_eq!(read.commands.len(), 2);
    // Both took effect in the first read (the second before its reply failed): neither again.
    assert!(read.commands.iter().all(|c| !c.changed), "{read:?}");
    assert_eq!(chat.posts.lock().unwrap().len(), 2, "one reply each");
    let posted = store
        .audit
        .lock()
        .unwrap()
        .iter()
        .filter(|e| e.action == "notice.post")
        .count();
    assert_eq!(posted, 2);
    assert_eq!(
        current(&store, now).await.unwrap().unwrap().text.as_str(),
        "slow"
    );
}

/// A room whose second post fails after the first one landed.
struct FailSecond<'a> {
    room: &'a MemoryRoom,
    calls: std::sync::Mutex<usize>,
}

#[async_trait::async_trait]
impl crate::chat::ChatApi for FailSecond<'_> {
    fn network(&self) -> crate::chat::Network {
        crate::chat::Network::Matrix
    }
    async fn find_post(
        &self,
        room: &ChatRoom,
        marker: &crate::chat::PostMarker,
    ) -> Result<Option<crate::chat::PostedMessage>, crate::chat::ChatError> {
        self.room.find_post(room, marker).await
    }
    async fn post(
        &self,
        room: &ChatRoom,
        post: &crate::chat::ChatPost,
    ) -> Result<crate::chat::PostedMessage, crate::chat::ChatError> {
        let call = {
            let mut calls = self.calls.lock().unwrap();
            *calls += 1;
            *calls
        };
        if call == 2 {
            return Err(crate::chat::ChatError::RateLimited {
                network: crate::chat::Network::Matrix,
                action: "post",
                retry_after: None,
            });
        }
        self.room.post(room, post).await
    }
    async fn topic(&self, room: &ChatRoom) -> Result<String, crate::chat::ChatError> {
        self.room.topic(room).await
    }
    async fn set_topic(&self, room: &ChatRoom, topic: &str) -> Result<(), crate::chat::ChatError> {
        self.room.set_topic(room, topic).await
    }
    async fn set_user_group(
        &self,
        group: &crate::rotation::roster::SlackUserGroupId,
        users: &[crate::rotation::roster::SlackUserId],
    ) -> Result<(), crate::chat::ChatError> {
        self.room.set_user_group(group, users).await
    }
    async fn messages_since(
        &self,
        room: &ChatRoom,
        since: Option<&str>,
    ) -> Result<crate::chat::RoomMessages, crate::chat::ChatError> {
        self.room.messages_since(room, since).await
    }
}
