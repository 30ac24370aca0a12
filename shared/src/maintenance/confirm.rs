//! Confirming a maintenance: the one operation behind `clinic maintenance confirm` and the web page's
//! "Confirm as read" button. One conditional write with its audit entry; then its mail leaves the
//! review list. A confirmation without corrections of one already confirmed writes nothing.

use super::ingest::review_id_of;
use super::lifecycle::{Acknowledgement, Confirmation};
use super::ports::MaintenanceLedger;
use crate::audit::AuditEntry;
use crate::store::StoreError;

/// What confirming did.
#[derive(Debug)]
pub enum ConfirmOutcome {
    /// Written, with its `maintenance.confirm` audit entry; `what` as the entry says it.
    Confirmed { what: String, review: ReviewLeft },
    /// Nothing to do: a person had confirmed it already and this one corrects nothing.
    AlreadyConfirmed(Acknowledgement),
    /// No stored maintenance has that provider and id: nothing written.
    NoSuchMaintenance,
}

/// What became of the confirmed maintenance's mail on the review list (a second, separate write).
#[derive(Debug)]
pub enum ReviewLeft {
    /// It left the list (review item id).
    Left(String),
    /// It was not on the list.
    NotListed,
    /// It stays on it: `clinic maintenance reviewed <id>` takes it off.
    Stays { review: String, error: StoreError },
}

/// `provider/id` as `clinic maintenance list` prints it and the web page's form posts it: two
/// non-empty parts of at most 200 characters, no spaces or control characters.
pub fn parse_name(text: &str) -> Result<(&str, &str), String> {
    let fine =
        |s: &str| !s.is_empty() && s.len() <= 200 && !s.chars().any(|c| c.is_control() || c == ' ');
    text.trim()
        .split_once('/')
        .filter(|(p, i)| fine(p) && fine(i))
        .ok_or_else(|| format!("not a maintenance: {text:?} (give provider/id, as `clinic maintenance list` prints them)"))
}

/// How many times a write whose condition failed for a reason the re-read does not explain (a notice
/// landing between the two) is tried again.
const ATTEMPTS: usize = 3;

/// Confirms maintenance `provider`/`id` as `confirmation.by` says (who, when, the note), `cause` naming
/// what asked for it (a CLI invocation, a web request).
pub async fn confirm(
    ledger: &dyn MaintenanceLedger,
    provider: &str,
    id: &str,
    confirmation: &Confirmation,
    cause: &str,
) -> Result<ConfirmOutcome, StoreError> {
    let corrects = confirmation.window.is_some() || confirmation.status.is_some();
    let what = confirmation.describe();
    let note = confirmation.by.note.trim();
    let why = if note.is_empty() {
        what.clone()
    } else {
        format!("{what}: {note}")
    };
    for _ in 0..ATTEMPTS {
        let Some(record) = ledger.maintenance(provider, id).await? else {
            return Ok(ConfirmOutcome::NoSuchMaintenance);
        };
        if let Some(earlier) = record.confirmed.as_ref().filter(|_| !corrects) {
            return Ok(ConfirmOutcome::AlreadyConfirmed(earlier.clone()));
        }
        let audit = AuditEntry::new(
            confirmation.by.at,
            confirmation.by.by.clone(),
            "maintenance.confirm",
            format!("maintenance/{provider}/{id}"),
            why.clone(),
            cause,
        );
        if !ledger.confirm(provider, id, confirmation, &audit).await? {
            // Gone, or confirmed by someone else since the read: the next read says which.
            continue;
        }
        let review = review_id_of(&record.source);
        let done = AuditEntry::new(
            confirmation.by.at,
            confirmation.by.by.clone(),
            "maintenance.reviewed",
            format!("review/{review}"),
            format!("maintenance {provider}/{id} confirmed"),
            cause,
        );
        let review = match ledger.review_done(&review, &done).await {
            Ok(true) => ReviewLeft::Left(review),
            Ok(false) => ReviewLeft::NotListed,
            Err(error) => ReviewLeft::Stays { review, error },
        };
        return Ok(ConfirmOutcome::Confirmed { what, review });
    }
    Err(StoreError::Unprocessed {
        operation: "maintenance confirm",
        attempts: ATTEMPTS as u32,
    })
}

#[cfg(test)]
mod tests {
    use super::parse_name;

    #[test]
    fn a_name_is_provider_slash_id_and_anything_else_is_refused_with_the_reason() {
        assert_eq!(parse_name(" zayo/TTN-1/2 "), Ok(("zayo", "TTN-1/2")));
        for bad in [
            "",
            "zayo",
            "/x",
            "zayo/",
            "za yo/1",
            "z/\u{0}",
            &format!("z/{}", "x".repeat(201)),
        ] {
            let error = parse_name(bad).unwrap_err();
            assert!(error.starts_with("not a maintenance"), "{error}");
        }
    }
}
