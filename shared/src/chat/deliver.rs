//! A post made once, through the claim protocol: the claim is taken before posting, the intent
//! recorded, the message's id after. An earlier attempt whose answer was lost is settled by looking
//! for the post's marker in the room before anyone posts again.

use async_trait::async_trait;

use super::ports::{ChatApi, ChatError, ChatPost, ChatRoom};
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

struct Delivery<'a> {
    api: &'a dyn ChatApi,
    room: &'a ChatRoom,
    post: &'a ChatPost,
    poster: Poster<'a>,
}

#[async_trait]
impl Effect for Delivery<'_> {
    type Error = ChatError;

    fn settle_within(&self) -> jiff::SignedDuration {
        CHAT_SETTLES_WITHIN
    }

    async fn look_up(&self) -> Result<Lookup, ChatError> {
        let found = self.api.find_post(self.room, &self.post.marker).await?;
        Ok(found.map(|message| message.id).into())
    }

    async fn act(
        &self,
        _attempt: u32,
        _now: jiff::Timestamp,
    ) -> Result<String, Failure<ChatError>> {
        match self.api.post(self.room, self.post).await {
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
            format!("{how}: {} (message {outcome})", self.post.marker),
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
            post,
            poster,
        },
        now,
    )
    .await
}
