//! A notice as it stands: its level, its words, the task it points to, who posted it and through
//! what, and when it stops standing. Every part is validated before a `Notice` exists.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::http_url::HttpUrl;

/// The longest a notice's text may be: it goes into a channel topic (Slack cuts at 250) and a
/// banner line; a longer story belongs in the task.
pub const MAX_TEXT_CHARS: usize = 200;
/// A topic's notice part is cut to this many characters, so the duty section still fits.
pub const TOPIC_TEXT_CHARS: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Something is broken now and people should know before they act.
    Alert,
    /// Worth knowing (a maintenance under way, a known slowness).
    Notice,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Alert => "alert",
            Level::Notice => "notice",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// Where a command came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Via {
    Cli,
    Web,
    Slack,
    Matrix,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Cli => "cli",
            Via::Web => "web",
            Via::Slack => "slack",
            Via::Matrix => "matrix",
        }
    }
}

impl fmt::Display for Via {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// A notice's words: 1 to [`MAX_TEXT_CHARS`] characters, no control characters (a newline would
/// break a topic, an escape sequence a terminal), trimmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NoticeText(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("the notice has no text")]
    Empty,
    #[error(
        "the notice is {0} characters long; at most 200 fit a topic (put the rest in the task)"
    )]
    TooLong(usize),
    #[error(
        "the notice holds a control character (a newline, a tab or an escape): write it on one line"
    )]
    ControlCharacter,
}

impl NoticeText {
    pub fn parse(text: &str) -> Result<Self, TextError> {
        if text.chars().any(char::is_control) {
            return Err(TextError::ControlCharacter);
        }
        let text = text.trim();
        let count = text.chars().count();
        if count == 0 {
            return Err(TextError::Empty);
        }
        if count > MAX_TEXT_CHARS {
            return Err(TextError::TooLong(count));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for NoticeText {
    type Error = TextError;

    fn try_from(text: String) -> Result<Self, TextError> {
        Self::parse(&text)
    }
}

impl From<NoticeText> for String {
    fn from(text: NoticeText) -> Self {
        text.0
    }
}

/// A Phorge task a notice points to: `T` and its number, as people write it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TaskRef(u64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a Phorge task like T123")]
pub struct TaskRefError(pub String);

impl TaskRef {
    pub fn parse(text: &str) -> Result<Self, TaskRefError> {
        let bad = || TaskRefError(text.chars().take(40).collect());
        let digits = text.strip_prefix('T').ok_or_else(bad)?;
        if digits.is_empty()
            || digits.len() > 12
            || !digits.bytes().all(|b| b.is_ascii_digit())
            || digits.starts_with('0')
        {
            return Err(bad());
        }
        digits.parse().map(Self).map_err(|_| bad())
    }

    /// Whether `word` is written as a task reference (the parser's test for a trailing `T123`).
    pub fn looks_like(word: &str) -> bool {
        Self::parse(word).is_ok()
    }

    /// `<phorge base>/T123`.
    pub fn link(&self, phorge: &HttpUrl) -> String {
        format!("{}/{self}", phorge.as_str())
    }
}

impl fmt::Display for TaskRef {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "T{}", self.0)
    }
}

impl TryFrom<String> for TaskRef {
    type Error = TaskRefError;

    fn try_from(text: String) -> Result<Self, TaskRefError> {
        Self::parse(&text)
    }
}

impl From<TaskRef> for String {
    fn from(task: TaskRef) -> Self {
        task.to_string()
    }
}

/// The notice standing (or that stood) for the whole deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub level: Level,
    pub text: NoticeText,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<TaskRef>,
    /// The roster person who posted it.
    pub posted_by: String,
    pub via: Via,
    pub posted_at: jiff::Timestamp,
    pub expires_at: jiff::Timestamp,
}

impl Notice {
    /// Whether it still stands at `now`: a notice past its expiry is gone at once for every
    /// reader, whether or not the sweep has recorded its end yet.
    pub fn stands_at(&self, now: jiff::Timestamp) -> bool {
        now < self.expires_at
    }

    /// The task's link when the deployment knows Phorge's URL, else just `T123`.
    pub fn task_link(&self, phorge: Option<&HttpUrl>) -> Option<String> {
        let task = self.task?;
        Some(match phorge {
            Some(base) => task.link(base),
            None => task.to_string(),
        })
    }

    /// When it ends, as the brief and the banner say it: `14:00 UTC` the same UTC day as `now`,
    /// `2027-01-12 14:00 UTC` otherwise.
    pub fn until(&self, now: jiff::Timestamp) -> String {
        let utc = jiff::tz::TimeZone::UTC;
        let same_day = self.expires_at.to_zoned(utc.clone()).date() == now.to_zoned(utc).date();
        if same_day {
            self.expires_at.strftime("%H:%M UTC").to_string()
        } else {
            self.expires_at.strftime("%Y-%m-%d %H:%M UTC").to_string()
        }
    }

    /// `ALERT (akaur, until 14:00 UTC): eqiad row C switch flapping — T123`: the brief's top line.
    pub fn line(&self, phorge: Option<&HttpUrl>, now: jiff::Timestamp) -> String {
        let mut line = format!(
            "{} ({}, until {}): {}",
            self.level.as_str().to_ascii_uppercase(),
            self.posted_by,
            self.until(now),
            self.text.as_str()
        );
        if let Some(task) = self.task_link(phorge) {
            line.push_str(" — ");
            line.push_str(&task);
        }
        line
    }

    /// The short form for a channel topic: `ALERT: eqiad row C switch flapping (T123)`, the text cut
    /// to [`TOPIC_TEXT_CHARS`] and holding no `|` (the topic's section separator).
    pub fn topic_text(&self) -> String {
        let text: String = self.text.as_str().replace('|', "/");
        let mut short: String = text.chars().take(TOPIC_TEXT_CHARS).collect();
        if text.chars().count() > TOPIC_TEXT_CHARS {
            short.pop();
            short.push('…');
        }
        let mut topic = format!("{}: {short}", self.level.as_str().to_ascii_uppercase());
        if let Some(task) = self.task {
            topic.push_str(&format!(" ({task})"));
        }
        topic
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn notice(text: &str, task: Option<&str>) -> Notice {
        let at: jiff::Timestamp = "2027-01-11T10:00:00Z".parse().unwrap();
        Notice {
            level: Level::Alert,
            text: NoticeText::parse(text).unwrap(),
            task: task.map(|t| TaskRef::parse(t).unwrap()),
            posted_by: "akaur".into(),
            via: Via::Cli,
            posted_at: at,
            expires_at: at + jiff::SignedDuration::from_hours(4),
        }
    }

    #[test]
    fn the_brief_line_names_level_poster_expiry_text_and_task() {
        let notice = notice("eqiad row C switch flapping", Some("T123"));
        let now: jiff::Timestamp = "2027-01-11T11:00:00Z".parse().unwrap();
        assert_eq!(
            notice.line(None, now),
            "ALERT (akaur, until 14:00 UTC): eqiad row C switch flapping — T123"
        );
        let phorge = HttpUrl::parse("https://phabricator.example.org").unwrap();
        assert!(
            notice
                .line(Some(&phorge), now)
                .ends_with("— https://phabricator.example.org/T123")
        );
        let next_day: jiff::Timestamp = "2027-01-10T23:00:00Z".parse().unwrap();
        assert!(
            notice
                .line(None, next_day)
                .contains("until 2027-01-11 14:00 UTC")
        );
    }

    #[test]
    fn a_topic_gets_a_short_form_without_the_section_separator() {
        let notice = notice(&format!("a | b {}", "x".repeat(150)), Some("T9"));
        let topic = notice.topic_text();
        assert!(topic.starts_with("ALERT: a / b x"), "{topic}");
        assert!(topic.ends_with("… (T9)"), "{topic}");
        assert!(!topic.contains('|'));
        assert!(topic.chars().count() <= TOPIC_TEXT_CHARS + 15);
    }

    #[test]
    fn text_and_tasks_are_checked_for_their_shapes() {
        assert_eq!(NoticeText::parse("  ok  ").unwrap().as_str(), "ok");
        assert_eq!(NoticeText::parse(" "), Err(TextError::Empty));
        assert_eq!(NoticeText::parse("a\nb"), Err(TextError::ControlCharacter));
        assert_eq!(
            NoticeText::parse(&"é".repeat(201)),
            Err(TextError::TooLong(201))
        );
        assert!(TaskRef::parse("T123").is_ok());
        for bad in ["T", "T0", "t12", "T12a", "T0123", "T1234567890123", "123"] {
            assert!(TaskRef::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_stored_notice_reads_back_only_in_its_valid_shape() {
        let notice = notice("switch flapping", Some("T5"));
        let json = serde_json::to_string(&notice).unwrap();
        assert_eq!(serde_json::from_str::<Notice>(&json).unwrap(), notice);
        let tampered = json.replace("switch flapping", "switch\\u001bflapping");
        assert!(serde_json::from_str::<Notice>(&tampered).is_err());
    }
}
