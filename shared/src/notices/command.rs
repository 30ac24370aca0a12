//! The one grammar every channel speaks (the CLI, the web form, a Slack slash command, a Matrix
//! `!status` message): `alert <text> [T123] [for <n>h|<n>d]`, `notice ...`, `ok [text]`. Parsing is
//! total: every string is a [`Command`] or a [`CommandError`] that says what to write instead.

use super::model::{Level, NoticeText, TaskRef, TextError};
use crate::rotation::roster::MAX_NOTICE_EXPIRY_HOURS;

/// What someone asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Post a notice, replacing the one standing.
    Post {
        level: Level,
        text: NoticeText,
        task: Option<TaskRef>,
        /// `for 4h` / `for 2d`, in hours; `None` takes the roster's default.
        hours: Option<u16>,
    },
    /// Clear the notice standing, with an optional word on why (kept in the audit log).
    Ok { text: Option<NoticeText> },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error("say what: `alert <text> [T123] [for 4h|2d]`, `notice <text> ...` or `ok [text]`")]
    NoVerb,
    #[error(
        "{0:?} is not a notice command: write `alert <text> [T123] [for 4h|2d]`, `notice <text> ...` or `ok [text]`"
    )]
    UnknownVerb(String),
    #[error("{0}")]
    Text(#[from] TextError),
    #[error("`for {0}` is not an expiry: write `for <n>h` or `for <n>d` (at most 168h, a week)")]
    BadExpiry(String),
}

/// The longest expiry a command may ask for, in hours.
const MAX_HOURS: u16 = MAX_NOTICE_EXPIRY_HOURS;

impl Command {
    /// Reads one command line. Words are split on whitespace; a trailing `for <n>h|<n>d` is the
    /// expiry, a trailing `T123` before it the task, the rest the text.
    pub fn parse(input: &str) -> Result<Self, CommandError> {
        if input.chars().any(char::is_control) {
            return Err(TextError::ControlCharacter.into());
        }
        let mut words: Vec<&str> = input.split_whitespace().collect();
        if words.is_empty() {
            return Err(CommandError::NoVerb);
        }
        let verb = words.remove(0);
        let level = match verb.to_ascii_lowercase().as_str() {
            "alert" => Some(Level::Alert),
            "notice" => Some(Level::Notice),
            "ok" => None,
            _ => {
                return Err(CommandError::UnknownVerb(verb.chars().take(40).collect()));
            }
        };
        let Some(level) = level else {
            let text = words.join(" ");
            return Ok(Command::Ok {
                text: if text.is_empty() {
                    None
                } else {
                    Some(NoticeText::parse(&text)?)
                },
            });
        };
        let mut hours = None;
        if words.len() >= 2 && words[words.len() - 2].eq_ignore_ascii_case("for") {
            let amount = words[words.len() - 1];
            hours = Some(parse_expiry(amount)?);
            words.truncate(words.len() - 2);
        }
        let mut task = None;
        if let Some(last) = words.last().filter(|w| TaskRef::looks_like(w)) {
            task = TaskRef::parse(last).ok();
            words.pop();
        }
        let text = NoticeText::parse(&words.join(" "))?;
        Ok(Command::Post {
            level,
            text,
            task,
            hours,
        })
    }

    /// A post from a form's separate fields, held to the same rules as a command line.
    pub fn from_fields(
        level: Level,
        text: &str,
        task: &str,
        hours: &str,
    ) -> Result<Self, FieldError> {
        let text = NoticeText::parse(text)?;
        let task = match task.trim() {
            "" => None,
            task => Some(TaskRef::parse(task)?),
        };
        let hours = match hours.trim() {
            "" => None,
            hours => Some(
                parse_expiry(&format!("{hours}h"))
                    .or_else(|_| parse_expiry(hours))
                    .map_err(|_| FieldError::Expiry(hours.chars().take(20).collect()))?,
            ),
        };
        Ok(Command::Post {
            level,
            text,
            task,
            hours,
        })
    }
}

/// Why a form's fields are not a notice.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    #[error("{0}")]
    Text(#[from] TextError),
    #[error("{0}")]
    Task(#[from] super::model::TaskRefError),
    #[error("{0:?} is not a number of hours from 1 to 168")]
    Expiry(String),
}

/// `4h`, `2d` (case-insensitive): 1 to [`MAX_HOURS`] hours.
fn parse_expiry(amount: &str) -> Result<u16, CommandError> {
    let bad = || CommandError::BadExpiry(amount.chars().take(20).collect());
    let lower = amount.to_ascii_lowercase();
    let (digits, per) = if let Some(digits) = lower.strip_suffix('h') {
        (digits, 1)
    } else if let Some(digits) = lower.strip_suffix('d') {
        (digits, 24)
    } else {
        return Err(bad());
    };
    if digits.is_empty() || digits.len() > 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let hours = digits.parse::<u16>().map_err(|_| bad())? * per;
    if hours == 0 || hours > MAX_HOURS {
        return Err(bad());
    }
    Ok(hours)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn post(input: &str) -> (Level, String, Option<String>, Option<u16>) {
        match Command::parse(input).unwrap() {
            Command::Post {
                level,
                text,
                task,
                hours,
            } => (
                level,
                text.as_str().to_owned(),
                task.map(|t| t.to_string()),
                hours,
            ),
            other => panic!("{input:?} read as {other:?}"),
        }
    }

    #[test]
    fn an_alert_reads_its_text_task_and_expiry_from_the_end() {
        assert_eq!(
            post("alert eqiad row C switch flapping T123 for 4h"),
            (
                Level::Alert,
                "eqiad row C switch flapping".into(),
                Some("T123".into()),
                Some(4)
            )
        );
        assert_eq!(
            post("NOTICE gerrit is slow for 2d"),
            (Level::Notice, "gerrit is slow".into(), None, Some(48))
        );
        assert_eq!(
            post("notice T5 is being migrated"),
            (Level::Notice, "T5 is being migrated".into(), None, None)
        );
        assert_eq!(
            post("alert waiting for the vendor"),
            (Level::Alert, "waiting for the vendor".into(), None, None)
        );
    }

    #[test]
    fn ok_clears_with_or_without_words() {
        assert_eq!(Command::parse("ok"), Ok(Command::Ok { text: None }));
        assert_eq!(
            Command::parse("OK  switch replaced "),
            Ok(Command::Ok {
                text: Some(NoticeText::parse("switch replaced").unwrap())
            })
        );
    }

    #[test]
    fn a_bad_command_says_what_to_write() {
        assert_eq!(Command::parse("  "), Err(CommandError::NoVerb));
        assert!(matches!(
            Command::parse("status broken"),
            Err(CommandError::UnknownVerb(_))
        ));
        assert_eq!(
            Command::parse("alert T123"),
            Err(CommandError::Text(TextError::Empty))
        );
        assert!(matches!(
            Command::parse("alert broken for 8d"),
            Err(CommandError::BadExpiry(_))
        ));
        assert!(matches!(
            Command::parse("alert broken for 0h"),
            Err(CommandError::BadExpiry(_))
        ));
        assert!(matches!(
            Command::parse("alert broken for ever"),
            Err(CommandError::BadExpiry(_))
        ));
        assert_eq!(
            Command::parse("alert a\u{1b}[31m"),
            Err(CommandError::Text(TextError::ControlCharacter))
        );
    }

    #[test]
    fn a_form_is_held_to_the_same_rules() {
        assert_eq!(
            Command::from_fields(Level::Alert, "broken", "T7", "12"),
            Ok(Command::Post {
                level: Level::Alert,
                text: NoticeText::parse("broken").unwrap(),
                task: Some(TaskRef::parse("T7").unwrap()),
                hours: Some(12)
            })
        );
        assert!(Command::from_fields(Level::Alert, "broken", "7", "").is_err());
        assert!(Command::from_fields(Level::Alert, "broken", "", "169").is_err());
        assert!(Command::from_fields(Level::Alert, "", "", "").is_err());
    }

    proptest! {
        #[test]
        fn every_string_is_a_command_or_a_clear_error(input in "\\PC{0,300}|[ -~\\t\\n]{0,300}") {
            match Command::parse(&input) {
                Ok(Command::Post { text, hours, .. }) => {
                    prop_assert!(!text.as_str().is_empty());
                    prop_assert!(hours.is_none_or(|h| (1..=168).contains(&h)));
                }
                Ok(Command::Ok { .. }) => {}
                Err(e) => prop_assert!(!e.to_string().is_empty()),
            }
        }

        #[test]
        fn a_written_alert_reads_back_as_written(
            text in "[a-z][a-z ]{0,60}[a-z]",
            task in proptest::option::of(1u64..1_000_000),
            hours in proptest::option::of(1u16..=168),
        ) {
            let mut line = format!("alert {text}");
            if let Some(task) = task {
                line.push_str(&format!(" T{task}"));
            }
            if let Some(hours) = hours {
                line.push_str(&format!(" for {hours}h"));
            }
            let (level, read, read_task, read_hours) = post(&line);
            prop_assert_eq!(level, Level::Alert);
            prop_assert_eq!(read, text.split_whitespace().collect::<Vec<_>>().join(" "));
            prop_assert_eq!(read_task, task.map(|t| format!("T{t}")));
            prop_assert_eq!(read_hours, hours);
        }
    }
}
