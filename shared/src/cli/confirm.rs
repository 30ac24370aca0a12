//! `clinic maintenance confirm provider/id [--start --end --status --note]`: a person checked a
//! maintenance (a generic reading, usually) against its mail; one conditional write records it with its
//! corrections and an audit entry, and the calendar stops marking it unverified.

use crate::maintenance::Status;
use crate::maintenance::confirm::{ConfirmOutcome, ReviewLeft};
use crate::maintenance::lifecycle::{Acknowledgement, Confirmation};

use super::error::CliError;

/// The words `--status` takes: the BCOP spellings and the everyday ones.
pub(super) fn status_word(text: &str) -> Result<Status, String> {
    let word = text.trim().to_ascii_lowercase().replace([' ', '_'], "-");
    let status = match word.as_str() {
        "scheduled" | "planned" => Some(Status::Confirmed),
        "in-progress" | "started" => Some(Status::InProcess),
        _ => Status::from_bcop(&word),
    };
    status.ok_or_else(|| {
        format!(
            "not a status: {text:?} (scheduled, confirmed, tentative, rescheduled, in-progress, completed, cancelled)"
        )
    })
}

/// `provider/id` as `maintenance list` prints it.
pub(super) fn named(maintenance: &str) -> Result<(&str, &str), CliError> {
    crate::maintenance::confirm::parse_name(maintenance).map_err(CliError::Usage)
}

pub(super) async fn confirm(
    maintenance: &str,
    start: Option<jiff::Timestamp>,
    end: Option<jiff::Timestamp>,
    status: Option<Status>,
    note: &str,
) -> Result<(), CliError> {
    let (provider, id) = named(maintenance)?;
    let note = note.trim();
    if note.len() > 2000 || note.chars().any(|c| c.is_control() && c != '\n') {
        return Err(CliError::Usage(
            "--note must be plain text of at most 2000 characters".into(),
        ));
    }
    let window = match (start, end) {
        (Some(start), Some(end)) => Some((start.as_second(), end.as_second())),
        (None, None) => None,
        _ => {
            return Err(CliError::Usage(
                "--start and --end go together: give the whole window".into(),
            ));
        }
    };
    let at = jiff::Timestamp::now();
    let by = super::operator::operator();
    let confirmation = Confirmation::new(
        Acknowledgement {
            by,
            at,
            note: note.to_owned(),
        },
        window,
        status,
    )
    .map_err(CliError::Usage)?;
    let store = super::table::table_store().await?;
    let cause = format!("cli:{}", uuid::Uuid::new_v4().simple());
    match crate::maintenance::confirm::confirm(&store, provider, id, &confirmation, &cause).await? {
        ConfirmOutcome::Confirmed { what, review } => {
            println!("maintenance {provider}/{id} {what}");
            match review {
                ReviewLeft::Left(review) => println!("its mail left the review list ({review})"),
                ReviewLeft::NotListed => {}
                ReviewLeft::Stays { review, error } => eprintln!(
                    "clinic: the mail stays on the review list ({error}); take it off with `clinic maintenance reviewed {review}`"
                ),
            }
            Ok(())
        }
        ConfirmOutcome::AlreadyConfirmed(earlier) => {
            println!(
                "maintenance {provider}/{id} was confirmed already, by {} at {}: nothing written",
                earlier.by, earlier.at
            );
            Ok(())
        }
        ConfirmOutcome::NoSuchMaintenance => Err(CliError::Usage(format!(
            "no stored maintenance is {provider}/{id} (see `clinic maintenance list`)"
        ))),
    }
}
