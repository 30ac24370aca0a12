//! The roster's chat settings: where a rotation talks (Slack channels, Matrix rooms, a Slack user
//! group, the topic section Clinic keeps), each person's chat identities, and who may post notices.
//! Identifiers are checked for their documented shapes here, so a typo fails the roster check and
//! never reaches a chat API as a URL path or a JSON field.

use std::fmt;

use serde::Serialize;

use super::ids::PersonId;
use super::parse::{RawChat, RawNotices};
use super::problems::{Problems, RosterIssue};

/// The placeholders a topic section may use.
pub const TOPIC_PLACEHOLDERS: &[&str] = &["{name}", "{backup}", "{week}", "{notice}"];
/// Slack cuts a channel topic at 250 characters; the section leaves room for what people wrote.
pub const MAX_TOPIC_TEMPLATE_CHARS: usize = 120;
/// How long a notice stands when its poster gives no expiry.
pub const DEFAULT_NOTICE_EXPIRY_HOURS: u16 = 24;
/// The longest a notice may stand: a week, the length of a duty.
pub const MAX_NOTICE_EXPIRY_HOURS: u16 = 168;

/// Where a rotation talks, and how Clinic keeps the channel in step with the duty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChatLink {
    pub slack_channels: Vec<SlackChannelId>,
    pub matrix_rooms: Vec<MatrixRoomId>,
    /// The Slack user group (`@clinic-duty`) whose members Clinic sets to the person on duty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slack_user_group: Option<SlackUserGroupId>,
    pub topic: TopicTemplate,
}

/// A person's identities in chat: who a Slack slash command or a Matrix message comes from, and who
/// goes into the user group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ChatIdentity {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slack_user: Option<SlackUserId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matrix_user: Option<MatrixUserId>,
}

/// Who may post notices (`alert`, `notice`, `ok`), and how long one stands by default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NoticeSettings {
    pub allow: Vec<PersonId>,
    pub expiry_hours: u16,
}

impl Default for NoticeSettings {
    fn default() -> Self {
        Self {
            allow: Vec::new(),
            expiry_hours: DEFAULT_NOTICE_EXPIRY_HOURS,
        }
    }
}

impl NoticeSettings {
    pub fn allows(&self, person: &PersonId) -> bool {
        self.allow.contains(person)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} {text:?} is not {shape}")]
pub struct ChatIdError {
    kind: &'static str,
    text: String,
    shape: &'static str,
}

macro_rules! chat_id {
    ($name:ident, $kind:literal, $shape:literal, $check:expr) => {
        #[doc = concat!("A ", $kind, ", checked to be ", $shape, ".")]
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn parse(text: &str) -> Result<Self, ChatIdError> {
                let check: fn(&str) -> bool = $check;
                if check(text) {
                    Ok(Self(text.to_owned()))
                } else {
                    Err(ChatIdError {
                        kind: $kind,
                        text: text.chars().take(80).collect(),
                        shape: $shape,
                    })
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str(&self.0)
            }
        }
    };
}

/// Slack's ids: a kind letter, then upper-case letters and digits.
fn slack_id(text: &str, kinds: &[u8]) -> bool {
    let bytes = text.as_bytes();
    (9..=21).contains(&bytes.len())
        && kinds.contains(&bytes[0])
        && bytes[1..]
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// A Matrix server name: a host name or address, and an optional port.
fn matrix_server_name(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 230
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
}

chat_id!(
    SlackChannelId,
    "Slack channel id",
    "a channel id like \"C0123ABCDEF\" (the channel's details show it)",
    |text| slack_id(text, b"CG")
);
chat_id!(
    SlackUserGroupId,
    "Slack user group id",
    "a user group id like \"S0123ABCDEF\"",
    |text| slack_id(text, b"S")
);
chat_id!(
    SlackUserId,
    "Slack user id",
    "a member id like \"U0123ABCDEF\" (the profile's \"Copy member ID\")",
    |text| slack_id(text, b"UW")
);
chat_id!(
    MatrixRoomId,
    "Matrix room id",
    "a room id like \"!abcDEF123:example.org\" (an alias like \"#ops:example.org\" is not an id)",
    |text| {
        // Room versions before 12 end in `:server`; version 12 ids are `!` and a hash alone.
        let opaque = text.strip_prefix('!').unwrap_or_default();
        let (local, server) = opaque.split_once(':').unwrap_or((opaque, "x"));
        text.len() <= 255
            && !local.is_empty()
            && local
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b':' && b != b'/')
            && matrix_server_name(server)
    }
);
chat_id!(
    MatrixUserId,
    "Matrix user id",
    "a user id like \"@akaur:example.org\"",
    |text| {
        let Some((local, server)) = text.strip_prefix('@').and_then(|t| t.split_once(':')) else {
            return false;
        };
        text.len() <= 255
            && !local.is_empty()
            && local
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._=-/+".contains(&b))
            && matrix_server_name(server)
    }
);

/// The section of a channel topic Clinic owns, as a template: `Clinic duty: {name}`. Its literal
/// prefix (the text before the first placeholder) is how Clinic finds its section again in a topic
/// people also edit, so it must be there and must not hold the section separator `|`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct TopicTemplate(String);

impl TopicTemplate {
    pub fn parse(text: &str) -> Result<Self, RosterIssue> {
        let bad = |why: &'static str| RosterIssue::BadTopicTemplate {
            text: text.chars().take(80).collect(),
            why,
        };
        if text.chars().count() > MAX_TOPIC_TEMPLATE_CHARS {
            return Err(bad("it is longer than 120 characters"));
        }
        if text.contains('|') || text.chars().any(char::is_control) {
            return Err(bad(
                "it holds `|` (the topic's section separator) or a control character",
            ));
        }
        if !text.contains("{name}") {
            return Err(bad("it has no {name}"));
        }
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            let tail = &rest[open..];
            let Some(known) = TOPIC_PLACEHOLDERS.iter().find(|p| tail.starts_with(**p)) else {
                return Err(bad(
                    "it has a placeholder other than {name}, {backup}, {week} and {notice}",
                ));
            };
            rest = &tail[known.len()..];
        }
        if text.contains('}') && text.matches('}').count() != text.matches('{').count() {
            return Err(bad("it has a `}` without its `{`"));
        }
        if Self::prefix_of(text).trim().is_empty() {
            return Err(bad(
                "it starts with a placeholder: Clinic finds its section by the text before the first one",
            ));
        }
        Ok(Self(text.to_owned()))
    }

    fn prefix_of(text: &str) -> &str {
        &text[..text.find('{').unwrap_or(text.len())]
    }

    /// The literal text the section starts with (`"Clinic duty: "`).
    pub fn prefix(&self) -> &str {
        Self::prefix_of(&self.0)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub(super) fn check_chat(problems: &mut Problems, at: &str, raw: RawChat) -> Option<ChatLink> {
    let at = format!("{at}.chat");
    let slack_channels: Vec<SlackChannelId> = raw
        .slack_channels
        .iter()
        .filter_map(|id| problems.check(&at, SlackChannelId::parse(id), RosterIssue::BadChatId))
        .collect();
    let matrix_rooms: Vec<MatrixRoomId> = raw
        .matrix_rooms
        .iter()
        .filter_map(|id| problems.check(&at, MatrixRoomId::parse(id), RosterIssue::BadChatId))
        .collect();
    if raw.slack_channels.is_empty() && raw.matrix_rooms.is_empty() {
        problems.add(&at, RosterIssue::NoChatRooms);
    }
    let slack_user_group = raw
        .slack_user_group
        .as_deref()
        .and_then(|id| problems.check(&at, SlackUserGroupId::parse(id), RosterIssue::BadChatId));
    let topic = match raw.topic.as_deref() {
        None => TopicTemplate::parse("Clinic duty: {name}").ok(),
        Some(text) => match TopicTemplate::parse(text) {
            Ok(topic) => Some(topic),
            Err(issue) => {
                problems.add(&at, issue);
                None
            }
        },
    };
    Some(ChatLink {
        slack_channels,
        matrix_rooms,
        slack_user_group,
        topic: topic?,
    })
}

pub(super) fn check_identity(
    problems: &mut Problems,
    at: &str,
    slack_user: Option<&str>,
    matrix_user: Option<&str>,
) -> ChatIdentity {
    ChatIdentity {
        slack_user: slack_user
            .and_then(|id| problems.check(at, SlackUserId::parse(id), RosterIssue::BadChatId)),
        matrix_user: matrix_user
            .and_then(|id| problems.check(at, MatrixUserId::parse(id), RosterIssue::BadChatId)),
    }
}

/// `[notices]`: `allow` is checked against the people once they are read (`validate`).
pub(super) fn check_notices(
    problems: &mut Problems,
    raw: RawNotices,
) -> (NoticeSettings, Vec<String>) {
    let expiry_hours = match raw.expiry_hours {
        None => DEFAULT_NOTICE_EXPIRY_HOURS,
        Some(hours) if (1..=i64::from(MAX_NOTICE_EXPIRY_HOURS)).contains(&hours) => {
            u16::try_from(hours).unwrap_or(DEFAULT_NOTICE_EXPIRY_HOURS)
        }
        Some(hours) => {
            problems.add("notices", RosterIssue::NoticeExpiryOutOfRange(hours));
            DEFAULT_NOTICE_EXPIRY_HOURS
        }
    };
    (
        NoticeSettings {
            allow: Vec::new(),
            expiry_hours,
        },
        raw.allow,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slack_and_matrix_ids_are_read_in_their_documented_shapes() {
        assert!(SlackChannelId::parse("C0123ABCDEF").is_ok());
        assert!(SlackChannelId::parse("G0123ABCDEF").is_ok());
        assert!(SlackChannelId::parse("#ops").is_err());
        assert!(SlackChannelId::parse("C0123abcdef").is_err());
        assert!(SlackUserGroupId::parse("S0123ABCDEF").is_ok());
        assert!(SlackUserGroupId::parse("C0123ABCDEF").is_err());
        assert!(SlackUserId::parse("U0123ABCDEF").is_ok());
        assert!(SlackUserId::parse("W0123ABCDEF").is_ok());
        assert!(SlackUserId::parse("U01/../x").is_err());
        assert!(MatrixRoomId::parse("!abcDEF123:example.org").is_ok());
        assert!(MatrixRoomId::parse("!abcDEF123:127.0.0.1:8008").is_ok());
        assert!(MatrixRoomId::parse("!Oxa5MnUsJkZYfOUTWAVjE-SYbHDm_DWPmkwiMUeDMqU").is_ok());
        assert!(MatrixRoomId::parse("#ops:example.org").is_err());
        assert!(MatrixRoomId::parse("!:example.org").is_err());
        assert!(MatrixRoomId::parse("!a/b:example.org").is_err());
        assert!(MatrixUserId::parse("@akaur:example.org").is_ok());
        assert!(MatrixUserId::parse("@AKaur:example.org").is_err());
        assert!(MatrixUserId::parse("akaur:example.org").is_err());
        assert!(MatrixUserId::parse("@akaur").is_err());
    }

    #[test]
    fn a_topic_template_needs_a_prefix_a_name_and_known_placeholders() {
        let topic = TopicTemplate::parse("Clinic duty: {name} (backup {backup})").unwrap();
        assert_eq!(topic.prefix(), "Clinic duty: ");
        for bad in [
            "{name} is on clinic duty",
            "Clinic duty: {person}",
            "Clinic duty",
            "Clinic duty: {name} | more",
            "Clinic duty: {name}}",
        ] {
            assert!(TopicTemplate::parse(bad).is_err(), "{bad} was accepted");
        }
        assert!(
            TopicTemplate::parse(&format!("Clinic duty: {{name}}{}", "x".repeat(120))).is_err()
        );
    }
}
