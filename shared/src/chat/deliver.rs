//! A post made once, through the claim protocol: the claim is taken before posting, the intent
//! recorded, the message's id after. An earlier attempt whose answer was lost is settled by looking
//! for the post's marker in the room before anyone posts again.

use async_trait::async_trait;

use std::future::Future;
use std::pin::Pin;

use super::ports::{ChatApi, ChatError, ChatPost, ChatRoom, PostMarker};
use crate::audit::AuditEntry;
use crate::claim::{ClaimKey, Effect, Failure, Lookup, Once, OnceError, Outcome};

/// Chat networks apply a post as they answer it: an attempt unanswered for this long did not land.
const CHAT_SETTLES_WITHIN: jiff::SignedDuration = jiff::SignedDuration::from_secs(30);

/// Who posts, and why, for the audit entry each post leaves.
#[derive(Debug, Clone, Copy)]
pub struct Poster<'a> {
    pub actor: &'a str,
    pub cause: &'a str,
}

/// A post's text written only when it is to be posted: a sweep that finds the post made already
/// (almost every minute) does not build the brief the text carries.
pub type LaterText<'a> = &'a (dyn Fn() -> Pin<Box<dyn Future<Output = String> + Send + 'a>> + Sync);

enum Text<'a> {
    Ready(&'a str),
    Later(LaterText<'a>),
}

struct Delivery<'a> {
    api: &'a dyn ChatApi,
    room: &'a ChatRoom,
    marker: &'a PostMarker,
    text: Text<'a>,
    poster: Poster<'a>,
}

#[async_trait]
impl Effect for Delivery<'_> {
    type Error = ChatError;

    fn settle_within(&self) -> jiff::SignedDuration {
        CHAT_SETTLES_WITHIN
    }

    async fn look_up(&self) -> Result<Lookup, ChatError> {
        let found = self.api.find_post(self.room, self.marker).await?;
        Ok(found.map(|message| message.id).into())
    }

    async fn act(
        &self,
        _attempt: u32,
        _now: jiff::Timestamp,
    ) -> Result<String, Failure<ChatError>> {
        let text = match &self.text {
            Text::Ready(text) => (*text).to_owned(),
            Text::Later(write) => write().await,
        };
        let post = ChatPost {
            marker: self.marker.clone(),
            text,
        };
        match self.api.post(self.room, &post).await {
            Ok(message) => Ok(message.id),
            // Refused and rate-limited requests were not applied; anything else may have been.
            Err(
                e @ (ChatError::Refused { .. }
                | ChatError::RateLimited { .. }
                | ChatError::Unsupported { .. }),
            ) => Err(Failure::Refused(e)),
            Err(e @ ChatError::Unavailable { .. }) => Err(Failure::Unknown(e)),
        }
    }

    fn audit(&self, outcome: &str, found: bool, now: jiff::Timestamp) -> AuditEntry {
        let how = if found {
            "found already posted"
        } else {
            "posted"
        };
        AuditEntry::new(
            now,
            self.poster.actor,
            "chat.post",
            format!("chat/{}", self.room),
            format!("{how}: {} (message {outcome})", self.marker),
            self.poster.cause,
        )
    }
}

/// Posts `post` to `room` once for `key` (whose `what` should name the room and the marker, e.g.
/// `chat#slack:C0123ABCDEF#handoff/2027-W01`): a second call, however it races the first or
/// whatever answer was lost, finds the first one's message and posts nothing.
pub async fn post_once(
    once: &Once<'_>,
    key: &ClaimKey,
    api: &dyn ChatApi,
    room: &ChatRoom,
    post: &ChatPost,
    poster: Poster<'_>,
    now: jiff::Timestamp,
) -> Result<Outcome, OnceError<ChatError>> {
    once.run(
        key,
        &Delivery {
            api,
            room,
            marker: &post.marker,
            text: Text::Ready(&post.text),
            poster,
        },
        now,
    )
    .await
}

/// As [`post_once`], writing the text only if it is to be posted now.
#[allow(clippy::too_many_arguments)]
pub async fn post_once_later<'a>(
    once: &Once<'_>,
    key: &ClaimKey,
    api: &'a dyn ChatApi,
    room: &'a ChatRoom,
    marker: &'a PostMarker,
    text: LaterText<'a>,
    poster: Poster<'a>,
    now: jiff::Timestamp,
) -> Result<Outcome, OnceError<ChatError>> {
    once.run(
        key,
        &Delivery {
            api,
            room,
            marker,
            text: Text::Later(text),
            poster,
        },
        now,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::memory::{ChatFault, MemoryChat};
    use crate::chat::{Network, PostMarker};
    use crate::claim::memory::{Fault, MemoryClaims};
    use crate::rotation::roster::SlackChannelId;

    const LEASE: jiff::SignedDuration = jiff::SignedDuration::from_secs(60);
    const POSTER: Poster<'static> = Poster {
        actor: "rotation",
        cause: "test-event",
    };

    fn at(minute: i64) -> jiff::Timestamp {
        jiff::Timestamp::from_second(1_800_000_000 + minute * 60).unwrap()
    }

    fn room() -> ChatRoom {
        ChatRoom::Slack(SlackChannelId::parse("C0123ABCDEF").unwrap())
    }

    fn post() -> ChatPost {
        ChatPost {
            marker: PostMarker::new("handoff/sre-clinic/2027-W01").unwrap(),
            text: "Clinic handoff".into(),
        }
    }

    fn key() -> ClaimKey {
        ClaimKey::rotation("sre-clinic", "chat#slack:C0123ABCDEF#2027-W01")
    }

    async fn run(
        claims: &MemoryClaims,
        chat: &MemoryChat,
        now: jiff::Timestamp,
    ) -> Result<Outcome, OnceError<ChatError>> {
        post_once(
            &Once::new(claims, LEASE),
            &key(),
            chat,
            &room(),
            &post(),
            POSTER,
            now,
        )
        .await
    }

    #[tokio::test]
    async fn a_post_is_made_once_and_a_second_run_posts_nothing() {
        let (claims, chat) = (MemoryClaims::default(), MemoryChat::new(Network::Slack));
        let first = run(&claims, &chat, at(0)).await.unwrap();
        assert!(
            matches!(first, Outcome::Done { acted: true, .. }),
            "{first:?}"
        );
        let second = run(&claims, &chat, at(1)).await.unwrap();
        assert!(
            matches!(second, Outcome::Done { acted: false, .. }),
            "{second:?}"
        );
        assert_eq!(chat.posts(&room()), ["Clinic handoff"]);
        let audit = claims.audit.lock().unwrap();
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].action, "chat.post");
        assert_eq!(audit[0].subject, "chat/slack:C0123ABCDEF");
    }

    #[tokio::test]
    async fn a_post_whose_answer_was_lost_is_found_by_its_marker_not_posted_twice() {
        let (claims, chat) = (MemoryClaims::default(), MemoryChat::new(Network::Slack));
        chat.script([ChatFault::LoseAnswer]);
        let lost = run(&claims, &chat, at(0)).await;
        assert!(
            matches!(lost, Err(OnceError::Effect(ChatError::Unavailable { .. }))),
            "{lost:?}"
        );
        let next = run(&claims, &chat, at(1)).await.unwrap();
        assert_eq!(
            next,
            Outcome::Done {
                outcome: "1700000000.000001".into(),
                acted: false
            }
        );
        assert_eq!(chat.posts(&room()).len(), 1);
        assert_eq!(chat.calls(), ["post slack:C0123ABCDEF"]);
        assert!(
            claims.audit.lock().unwrap()[0]
                .why
                .starts_with("found already posted")
        );
    }

    #[tokio::test]
    async fn a_post_whose_outcome_the_table_lost_is_found_by_its_marker() {
        let (claims, chat) = (MemoryClaims::default(), MemoryChat::new(Network::Slack));
        // take and begin answered; every try of the outcome's write fails.
        claims.script([
            Fault::Answer,
            Fault::Answer,
            Fault::Fail,
            Fault::Fail,
            Fault::Fail,
        ]);
        assert!(matches!(
            run(&claims, &chat, at(0)).await,
            Err(OnceError::Store(_))
        ));
        claims.heal();
        // The lease of the first run has to end before another holder may settle it.
        let next = run(&claims, &chat, at(2)).await.unwrap();
        assert!(
            matches!(next, Outcome::Done { acted: false, .. }),
            "{next:?}"
        );
        assert_eq!(chat.posts(&room()).len(), 1);
    }

    #[tokio::test]
    async fn an_unanswered_post_that_never_landed_is_made_once_it_cannot_land_any_more() {
        let (claims, chat) = (MemoryClaims::default(), MemoryChat::new(Network::Slack));
        chat.script([ChatFault::Down]);
        assert!(run(&claims, &chat, at(0)).await.is_err());
        // Within the lease and the settle time it might still land: nobody posts.
        let early = run(&claims, &chat, at(1)).await.unwrap();
        assert!(matches!(early, Outcome::Busy { .. }), "{early:?}");
        assert!(chat.posts(&room()).is_empty());
        let later = run(&claims, &chat, at(3)).await.unwrap();
        assert!(
            matches!(later, Outcome::Done { acted: true, .. }),
            "{later:?}"
        );
        assert_eq!(chat.posts(&room()).len(), 1);
    }

    #[tokio::test]
    async fn a_refused_post_releases_its_claim_and_the_next_run_posts_it() {
        let (claims, chat) = (MemoryClaims::default(), MemoryChat::new(Network::Slack));
        chat.script([ChatFault::Refuse]);
        let refused = run(&claims, &chat, at(0)).await;
        assert!(
            matches!(refused, Err(OnceError::Effect(ChatError::Refused { .. }))),
            "{refused:?}"
        );
        assert_eq!(claims.outcome(&key()), None);
        // Refused means not applied: the next run (even at once) posts without waiting.
        let next = run(&claims, &chat, at(0)).await.unwrap();
        assert!(
            matches!(next, Outcome::Done { acted: true, .. }),
            "{next:?}"
        );
        assert_eq!(chat.posts(&room()).len(), 1);
    }

    #[tokio::test]
    async fn racing_runs_make_one_post() {
        let (claims, chat) = (MemoryClaims::default(), MemoryChat::new(Network::Slack));
        *chat.slow_posts.lock().unwrap() = true;
        let (a, b) = tokio::join!(run(&claims, &chat, at(0)), run(&claims, &chat, at(0)));
        let outcomes = [a.unwrap(), b.unwrap()];
        let acted = outcomes
            .iter()
            .filter(|o| matches!(o, Outcome::Done { acted: true, .. }))
            .count();
        assert_eq!(acted, 1, "{outcomes:?}");
        assert!(
            outcomes.iter().any(|o| matches!(o, Outcome::Busy { .. })),
            "the other run saw the claim held: {outcomes:?}"
        );
        assert_eq!(chat.posts(&room()).len(), 1);
        // Once the first is done, a third run finds it done.
        let third = run(&claims, &chat, at(1)).await.unwrap();
        assert!(matches!(third, Outcome::Done { acted: false, .. }));
    }
}
