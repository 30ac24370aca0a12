//! Why a notice could not be turned into maintenances. Every message is written for the operator who
//! reviews unparsed mail: it says what was wrong with the mail, not what the code was doing.

use std::fmt;

use super::limits::OverLimit;
use super::provider_id::ProviderId;

/// A field of a maintenance that a recognised template failed to yield.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    MaintenanceId,
    Account,
    Start,
    End,
    Stamp,
    Status,
    Circuits,
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Field::MaintenanceId => "maintenance id",
            Field::Account => "customer account",
            Field::Start => "start time",
            Field::End => "end time",
            Field::Stamp => "notification time (neither the notice nor its Date header gives one)",
            Field::Status => "status",
            Field::Circuits => "affected circuits",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum NoticeError {
    /// Checked before any parsing, so a huge attachment cannot exhaust memory or time.
    #[error("the notice is {size} bytes, more than the {limit}-byte limit; it was not parsed")]
    TooLarge { size: usize, limit: usize },

    /// A size or count past one of [`super::limits`], found before its memory was allocated.
    #[error("the mail is over a size limit, so it was not parsed: {0}")]
    OverLimit(OverLimit),

    #[error("this is not an e-mail that can be read: {reason}")]
    NotAnEmail { reason: &'static str },

    #[error(
        "no maintenance notice recognised: the sender ({sender}) is not a known provider, the content matches \
         no known provider template and there is no BCOP (X-MAINTNOTE) iCalendar part"
    )]
    Unrecognised { sender: String },

    #[error("recognised as a notice from {provider}, but its {field} could not be found")]
    MissingField { provider: ProviderId, field: Field },

    #[error("recognised as a notice from {provider}, but its {field} could not be read: {detail}")]
    InvalidField {
        provider: ProviderId,
        field: Field,
        detail: String,
    },
}

impl From<OverLimit> for NoticeError {
    fn from(over: OverLimit) -> Self {
        NoticeError::OverLimit(over)
    }
}
