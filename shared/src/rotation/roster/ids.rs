//! The roster's validated newtypes: person ids, rotation and team names, IANA time zones.
//! Each is parsed once at the edge, so the rest of Clinic never re-checks a name.

use std::borrow::Borrow;
use std::fmt;
use std::str::FromStr;

use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

const IDENTIFIER_MAX_LEN: usize = 64;

/// Why a person id or rotation name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentifierError {
    #[error("is empty")]
    Empty,
    #[error("{0:?} is longer than {IDENTIFIER_MAX_LEN} characters")]
    TooLong(String),
    #[error("{text:?} contains {found:?}; use only a-z, 0-9, '.', '_' and '-'")]
    BadCharacter { text: String, found: char },
}

fn check_identifier(text: &str) -> Result<(), IdentifierError> {
    if text.is_empty() {
        return Err(IdentifierError::Empty);
    }
    if text.chars().count() > IDENTIFIER_MAX_LEN {
        return Err(IdentifierError::TooLong(text.to_owned()));
    }
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c);
    match text.chars().find(|c| !allowed(*c)) {
        Some(found) => Err(IdentifierError::BadCharacter {
            text: text.to_owned(),
            found,
        }),
        None => Ok(()),
    }
}

macro_rules! identifier_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn parse(text: &str) -> Result<$name, IdentifierError> {
                check_identifier(text).map(|()| $name(text.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = IdentifierError;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                $name::parse(text)
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdentifierError;
            fn try_from(text: String) -> Result<Self, Self::Error> {
                check_identifier(&text).map(|()| $name(text))
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(formatter, "{}({:?})", stringify!($name), self.0)
            }
        }
    };
}

identifier_newtype!(
    /// A person's stable id: lower-case `[a-z0-9._-]+`, at most 64 characters.
    PersonId
);
identifier_newtype!(
    /// A rotation's name, the key of its `[rotations.NAME]` table; same alphabet as ids.
    RotationName
);

/// A team's name as written in the roster (`"data-persistence"`).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TeamName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TeamNameError {
    #[error("team is empty")]
    Empty,
    #[error("team {0:?} is longer than {IDENTIFIER_MAX_LEN} characters")]
    TooLong(String),
    #[error("team {0:?} has leading or trailing spaces or control characters")]
    Untidy(String),
}

impl TeamName {
    pub fn parse(text: &str) -> Result<TeamName, TeamNameError> {
        if text.is_empty() {
            return Err(TeamNameError::Empty);
        }
        if text.chars().count() > IDENTIFIER_MAX_LEN {
            return Err(TeamNameError::TooLong(text.to_owned()));
        }
        if text.trim() != text || text.chars().any(char::is_control) {
            return Err(TeamNameError::Untidy(text.to_owned()));
        }
        Ok(TeamName(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for TeamName {
    type Error = TeamNameError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        TeamName::parse(&text)
    }
}

impl From<TeamName> for String {
    fn from(value: TeamName) -> String {
        value.0
    }
}

impl FromStr for TeamName {
    type Err = TeamNameError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        TeamName::parse(text)
    }
}

impl fmt::Display for TeamName {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

impl fmt::Debug for TeamName {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "TeamName({:?})", self.0)
    }
}

/// An IANA time zone (`"Europe/Madrid"`) from the tz database bundled with jiff.
/// Compared and serialised by name.
#[derive(Clone, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IanaTimeZone {
    name: String,
    zone: TimeZone,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("timezone {0:?} is not an IANA zone")]
pub struct UnknownTimeZone(pub String);

impl IanaTimeZone {
    pub fn parse(name: &str) -> Result<IanaTimeZone, UnknownTimeZone> {
        let zone = TimeZone::get(name).map_err(|_| UnknownTimeZone(name.to_owned()))?;
        // jiff finds names case-insensitively; keep the database's spelling.
        let name = zone.iana_name().unwrap_or(name).to_owned();
        Ok(IanaTimeZone { name, zone })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn zone(&self) -> &TimeZone {
        &self.zone
    }
}

/// An instant as a person reads it: `Monday 11 January 2027, 09:00 GMT` in `zone` (UTC, and said so,
/// without one). The pages and the mails that show a time to a person use this one form.
pub fn readable(at: jiff::Timestamp, zone: Option<&IanaTimeZone>) -> String {
    let zone = zone.map_or(TimeZone::UTC, |z| z.zone().clone());
    at.to_zoned(zone)
        .strftime("%A %-d %B %Y, %H:%M %Z")
        .to_string()
}

impl PartialEq for IanaTimeZone {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for IanaTimeZone {}

impl TryFrom<String> for IanaTimeZone {
    type Error = UnknownTimeZone;
    fn try_from(name: String) -> Result<Self, Self::Error> {
        IanaTimeZone::parse(&name)
    }
}

impl From<IanaTimeZone> for String {
    fn from(value: IanaTimeZone) -> String {
        value.name
    }
}

impl fmt::Display for IanaTimeZone {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.name)
    }
}

impl fmt::Debug for IanaTimeZone {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "IanaTimeZone({:?})", self.name)
    }
}
