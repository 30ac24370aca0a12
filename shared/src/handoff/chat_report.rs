//! What the handoff's chat step is given (the networks, the page, the notices hooks) and what it
//! reports per room, for the weekly run's report and the minute sweep's.

use std::sync::Arc;

use serde::Serialize;

use super::ports::{RoomCommands, StandingNotices};
use crate::chat::ChatNetworks;
use crate::http_url::HttpUrl;

/// What the handoff job needs to talk in chat.
#[derive(Clone, Default)]
pub struct HandoffChat {
    pub networks: ChatNetworks,
    /// The web pages' base URL (`CLINIC_WEB_URL`): the post links to its `/now` page.
    pub page: Option<HttpUrl>,
    pub notices: Option<Arc<dyn StandingNotices>>,
    pub commands: Option<Arc<dyn RoomCommands>>,
}

/// What one chat step did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "outcome")]
pub enum ChatOutcome {
    Posted {
        message: String,
    },
    AlreadyPosted,
    /// Another invocation holds the post's claim, or an unanswered attempt may still land.
    HeldElsewhere,
    TopicSet {
        was: Option<String>,
        section: String,
    },
    TopicKept,
    GroupSet {
        users: Vec<String>,
    },
    GroupAlreadySet,
    /// Nothing to do here, and why (no client for the network, the shift has not started).
    Skipped {
        why: String,
    },
    Failed {
        reason: String,
    },
    DryRun,
}

impl ChatOutcome {
    pub(super) fn pending(&self) -> bool {
        matches!(self, Self::Failed { .. } | Self::HeldElsewhere)
    }

    fn words(&self) -> String {
        match self {
            Self::Posted { message } => format!("posted (message {message})"),
            Self::AlreadyPosted => "posted before".into(),
            Self::HeldElsewhere => "being posted by another invocation".into(),
            Self::TopicSet { section, .. } => format!("topic set: {section:?}"),
            Self::TopicKept => "topic already right".into(),
            Self::GroupSet { users } => format!("user group set to {}", users.join(", ")),
            Self::GroupAlreadySet => "user group set before this shift".into(),
            Self::Skipped { why } => format!("skipped: {why}"),
            Self::Failed { reason } => format!("FAILED: {reason}"),
            Self::DryRun => "not done (dry run)".into(),
        }
    }
}

/// One room's (or the user group's) step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChatStep {
    /// `slack:C0123ABCDEF`, `matrix:!abc:example.org`, `slack-group:S0123ABCDEF`.
    pub target: String,
    #[serde(flatten)]
    pub outcome: ChatOutcome,
}

/// What a rotation's handoff did in chat.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ChatReport {
    pub posts: Vec<ChatStep>,
    pub topics: Vec<ChatStep>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_group: Option<ChatStep>,
}

impl ChatReport {
    /// Steps not done that a later run does: failed, or held by another invocation.
    pub fn failures(&self) -> usize {
        self.steps().filter(|s| s.outcome.pending()).count()
    }

    fn steps(&self) -> impl Iterator<Item = &ChatStep> {
        self.posts
            .iter()
            .chain(&self.topics)
            .chain(self.user_group.as_ref())
    }

    pub fn summary(&self) -> String {
        self.steps()
            .map(|s| format!("  chat {:<40} {}\n", s.target, s.outcome.words()))
            .collect()
    }
}
