//! Overrides and swaps: an operator replaces the person on duty for a week. The override is recorded
//! and audited; a week already committed is rewritten too, so that fairness counts who actually served.

use super::{OverrideRecord, ShiftLedger, ShiftRecord};
use crate::audit::AuditEntry;
use crate::rotation::calendar::IsoWeek;
use crate::rotation::plan::{self, Override};
use crate::rotation::roster::{PersonId, Roster, RotationName};
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum OverrideError {
    #[error("there is no rotation named {name:?}; the roster has {known}")]
    UnknownRotation { name: String, known: String },
    #[error("{person} is not a member of rotation {rotation}")]
    NotAMember { person: String, rotation: String },
    #[error("a reason is required: it goes into the audit log")]
    NoReason,
    #[error("a week cannot be swapped with itself")]
    SameWeek,
    #[error("nobody is planned for {0}, so there is nobody to swap")]
    NobodyPlanned(IsoWeek),
    #[error("cannot plan the weeks to swap: {0}")]
    Plan(#[from] plan::PlanError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Who is acting, when, and the invocation that caused it, for the audit log.
#[derive(Debug, Clone, Copy)]
pub struct Operator<'a> {
    pub actor: &'a str,
    pub cause: &'a str,
    /// When the operator acts: the clock of whoever calls (the CLI's, a job's).
    pub at: jiff::Timestamp,
}

/// What an override did.
#[derive(Debug, Clone, PartialEq)]
pub struct OverrideOutcome {
    pub week: IsoWeek,
    pub person: PersonId,
    /// The committed shift that was rewritten, with its previous primary; `None` if not committed yet.
    pub replaced_in_committed_shift: Option<Option<String>>,
}

fn unknown_rotation(roster: &Roster, rotation: &str) -> OverrideError {
    OverrideError::UnknownRotation {
        name: rotation.to_owned(),
        known: roster.rotation_list(),
    }
}

fn check_member(roster: &Roster, rotation: &str, person: &PersonId) -> Result<(), OverrideError> {
    let name = RotationName::parse(rotation).map_err(|_| unknown_rotation(roster, rotation))?;
    if roster.rotation(rotation).is_none() {
        return Err(unknown_rotation(roster, rotation));
    }
    if !roster.members(&name).any(|p| &p.id == person) {
        return Err(OverrideError::NotAMember {
            person: person.to_string(),
            rotation: rotation.to_owned(),
        });
    }
    Ok(())
}

/// Records that `person` serves `week` instead of whoever was planned.
pub async fn set_override(
    store: &(impl ShiftLedger + ?Sized),
    roster: &Roster,
    rotation: &str,
    week: IsoWeek,
    person: &PersonId,
    reason: &str,
    operator: Operator<'_>,
) -> Result<OverrideOutcome, OverrideError> {
    let Operator { actor, cause, at } = operator;
    check_member(roster, rotation, person)?;
    if reason.trim().is_empty() {
        return Err(OverrideError::NoReason);
    }
    let now = at;
    let record = OverrideRecord {
        rotation: rotation.to_owned(),
        week: week.to_string(),
        person: person.to_string(),
        reason: reason.trim().to_owned(),
        set_by: actor.to_owned(),
        set_at: now,
    };
    let subject = format!("rotation/{rotation}/{week}");
    let audit = AuditEntry::new(
        now,
        actor,
        "override.set",
        &subject,
        format!("{person} serves: {}", record.reason),
        cause,
    );
    store.put_override(&record, &audit).await?;

    let committed = store
        .shifts(rotation)
        .await?
        .into_iter()
        .find(|s| s.week == week.to_string());
    let replaced = match committed {
        None => None,
        Some(shift) => {
            let previous = shift.primary.clone();
            let team = roster.person(person).map(|p| p.team.to_string());
            let rewritten = ShiftRecord {
                primary: Some(person.to_string()),
                team,
                unstaffed_reason: None,
                overridden: Some(record.reason.clone()),
                ..shift
            };
            // Just after the override it follows from, so the log reads in the order it happened.
            let audit = AuditEntry::new(
                now + jiff::SignedDuration::from_nanos(1),
                actor,
                "shift.override",
                &subject,
                format!(
                    "committed shift now served by {person} instead of {}: {}",
                    previous.as_deref().unwrap_or("nobody"),
                    record.reason
                ),
                cause,
            );
            store.replace_shift(&rewritten, &audit).await?;
            Some(previous)
        }
    };
    Ok(OverrideOutcome {
        week,
        person: person.clone(),
        replaced_in_committed_shift: replaced,
    })
}

/// Who serves each of `weeks`: the committed shift where there is one, else one plan from the table's
/// history (starting after the last committed week before the latest asked about, or at the earliest
/// week asked about), with when the week starts (`None` outside the plan). Self-service swaps
/// (`crate::swaps`) ask it too.
pub async fn serving(
    store: &(impl ShiftLedger + ?Sized),
    roster: &Roster,
    rotation: &str,
    weeks: &[IsoWeek],
) -> Result<Vec<(Option<PersonId>, Option<jiff::Timestamp>)>, OverrideError> {
    let (Some(&earliest), Some(&latest)) = (weeks.iter().min(), weeks.iter().max()) else {
        return Ok(Vec::new());
    };
    let shifts = store.shifts(rotation).await?;
    let served: Vec<_> = shifts
        .iter()
        .map(ShiftRecord::served)
        .collect::<Result<_, _>>()?;
    let start = served
        .iter()
        .map(|s| s.week)
        .filter(|w| *w < latest)
        .max()
        .and_then(|w| w.next())
        .unwrap_or(earliest);
    let overrides: Vec<Override> = store
        .overrides(rotation)
        .await?
        .into_iter()
        .filter_map(|o| {
            Some(Override {
                week: o.week.parse().ok()?,
                person: PersonId::parse(&o.person).ok()?,
                reason: o.reason,
            })
        })
        .collect();
    let planned = plan::plan_between(roster, rotation, &served, &overrides, start, latest)?;
    Ok(weeks
        .iter()
        .map(
            |week| match shifts.iter().find(|s| s.week == week.to_string()) {
                Some(shift) => (
                    shift
                        .primary
                        .as_deref()
                        .and_then(|p| PersonId::parse(p).ok()),
                    Some(shift.start_utc),
                ),
                None => planned
                    .week(*week)
                    .map_or((None, None), |w| (w.primary.clone(), Some(w.start_utc))),
            },
        )
        .collect())
}

/// Swaps the people on duty in two weeks: two overrides, both audited.
pub async fn swap_weeks(
    store: &(impl ShiftLedger + ?Sized),
    roster: &Roster,
    rotation: &str,
    first: IsoWeek,
    second: IsoWeek,
    reason: &str,
    operator: Operator<'_>,
) -> Result<(OverrideOutcome, OverrideOutcome), OverrideError> {
    if reason.trim().is_empty() {
        return Err(OverrideError::NoReason);
    }
    if first == second {
        return Err(OverrideError::SameWeek);
    }
    if roster.rotation(rotation).is_none() {
        return Err(unknown_rotation(roster, rotation));
    }
    let serving = serving(store, roster, rotation, &[first, second]).await?;
    let a = serving[0]
        .0
        .clone()
        .ok_or(OverrideError::NobodyPlanned(first))?;
    let b = serving[1]
        .0
        .clone()
        .ok_or(OverrideError::NobodyPlanned(second))?;
    let why = format!(
        "swap of {first} ({a}) and {second} ({b}): {}",
        reason.trim()
    );
    let one = set_override(store, roster, rotation, first, &b, &why, operator).await?;
    let two = set_override(store, roster, rotation, second, &a, &why, operator).await?;
    Ok((one, two))
}
