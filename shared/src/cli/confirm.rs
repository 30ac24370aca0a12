//! `clinic maintenance confirm provider/id [--start --end --status --note]`: a person checked a
//! maintenance (a generic reading, usually) against its mail; one conditional write records it with its
//! corrections and an audit entry, and the calendar stops marking it unverified.

use crate::maintenance::Status;
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
    maintenance
        .trim()
        .split_once('/')
        .filter(|(p, i)| {
            let fine = |s: &str| {
                !s.is_empty() && s.len() <= 200 && !s.chars().any(|c| c.is_control() || c == ' ')
            };
            fine(p) && fine(i)
        })
        .ok_or_else(|| {
            CliError::Usage(format!(
                "not a maintenance: {maintenance:?} (give provider/id, as `clinic maintenance list` prints them)"
            ))
        })
}

pub(super) async fn confirm(
    maintenance: &str,
    start: Option<jiff::Timestamp>,
    end: Option<jiff::Timestamp>,
    status: Option<Status>,
    note: &str,
) -> Result<(), CliError> {
    use crate::maintenance::ports::MaintenanceLedger as _;
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
            by: by.clone(),
            at,
            note: note.to_owned(),
        },
        window,
        status,
    )
    .map_err(CliError::Usage)?;
    let store = super::table::table_store().await?;
    let what = confirmation.describe();
    let audit = crate::audit::AuditEntry::new(
        at,
        by,
        "maintenance.confirm",
        format!("maintenance/{provider}/{id}"),
        if note.is_empty() {
            what.clone()
        } else {
            format!("{what}: {note}")
        },
        format!("cli:{}", uuid::Uuid::new_v4().simple()),
    );
    let record = store.maintenance(provider, id).await?;
    if store.confirm(provider, id, &confirmation, &audit).await? {
        println!("maintenance {provider}/{id} {what}");
        // Its mail waited on the review list for this: it leaves the list (a second, separate write;
        // if it fails, `clinic maintenance reviewed` does the same).
        if let Some(record) = record {
            let review = crate::maintenance::ingest::review_id_of(&record.source);
            let done = crate::audit::AuditEntry::new(
                jiff::Timestamp::now(),
                super::operator::operator(),
                "maintenance.reviewed",
                format!("review/{review}"),
                format!("maintenance {provider}/{id} confirmed"),
                format!("cli:{}", uuid::Uuid::new_v4().simple()),
            );
            match store.review_done(&review, &done).await {
                Ok(true) => println!("its mail left the review list ({review})"),
                Ok(false) => {}
                Err(e) => eprintln!(
                    "clinic: the mail stays on the review list ({e}); take it off with `clinic maintenance reviewed {review}`"
                ),
            }
        }
        Ok(())
    } else {
        Err(CliError::Usage(format!(
            "no stored maintenance is {provider}/{id} (see `clinic maintenance list`)"
        )))
    }
}
