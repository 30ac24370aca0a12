//! The duty ahead: per rotation, the next [`AHEAD_WEEKS`] weeks as the weekly job would act on them:
//! the committed shifts, then the plan from the table's history and overrides (`plan_between`, as the
//! job and the drift check plan), each week with the planner's own "why this person" (`explain`).

use serde::Serialize;

use crate::rotation::calendar::IsoWeek;
use crate::rotation::explain::{Explanation, explain};
use crate::rotation::plan::{self, History, Override, PlanError};
use crate::rotation::roster::Roster;
use crate::shifts::{ShiftLedger, ShiftRecord, override_from_record};
use crate::store::StoreError;

/// How many weeks ahead the pages show, this week included.
pub const AHEAD_WEEKS: u32 = 12;

/// One week ahead, committed or only planned.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AheadWeek {
    pub week: String,
    pub start: jiff::Timestamp,
    pub end: jiff::Timestamp,
    pub primary: Option<String>,
    pub backup: Option<String>,
    /// The weekly job has committed it (a shift in the table); otherwise only planned so far.
    pub committed: bool,
    pub overridden: Option<String>,
    pub unstaffed_reason: Option<String>,
    /// The planner's reasons, as `clinic rotation explain` gives them; `None` for a committed week the
    /// roster can no longer replay (a person since removed, say).
    pub why: Option<Explanation>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RotationAhead {
    pub rotation: String,
    pub weeks: Vec<AheadWeek>,
}

#[derive(Debug, thiserror::Error)]
pub enum AheadError {
    #[error("cannot plan rotation {rotation}: {source}")]
    Plan {
        rotation: String,
        #[source]
        source: PlanError,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Every rotation of the roster, the weeks from the one containing `now` on.
pub async fn ahead(
    ledger: &dyn ShiftLedger,
    roster: &Roster,
    now: jiff::Timestamp,
) -> Result<Vec<RotationAhead>, AheadError> {
    Ok(ahead_and_shifts(ledger, roster, now)
        .await?
        .into_iter()
        .map(|(rotation, _)| rotation)
        .collect())
}

/// As [`ahead`], each rotation with the committed shifts it was planned from, so a page that also
/// lists past shifts (*mine*) reads them once. A rotation's shifts and overrides are read together.
pub async fn ahead_and_shifts(
    ledger: &dyn ShiftLedger,
    roster: &Roster,
    now: jiff::Timestamp,
) -> Result<Vec<(RotationAhead, Vec<ShiftRecord>)>, AheadError> {
    let mut rotations = Vec::new();
    for name in roster.rotation_names() {
        let rotation = name.to_string();
        let (shifts, overrides) =
            tokio::join!(ledger.shifts(&rotation), ledger.overrides(&rotation));
        let shifts = shifts?;
        let overrides = overrides?
            .iter()
            .map(override_from_record)
            .collect::<Result<Vec<_>, _>>()?;
        let planned = rotation_ahead(roster, &rotation, &shifts, &overrides, now)?;
        rotations.push((planned, shifts));
    }
    Ok(rotations)
}

/// One rotation's weeks from the one containing `now` (UTC), [`AHEAD_WEEKS`] in all. Planned weeks
/// start after the last committed one, as the weekly job and `clinic rotation explain` plan them.
pub fn rotation_ahead(
    roster: &Roster,
    rotation: &str,
    shifts: &[ShiftRecord],
    overrides: &[Override],
    now: jiff::Timestamp,
) -> Result<RotationAhead, AheadError> {
    let failed = |source| AheadError::Plan {
        rotation: rotation.to_owned(),
        source,
    };
    let this_week = IsoWeek::containing(now.to_zoned(jiff::tz::TimeZone::UTC).date());
    let mut last = this_week;
    for _ in 1..AHEAD_WEEKS {
        last = last.next().unwrap_or(last);
    }
    let served = shifts
        .iter()
        .map(ShiftRecord::served)
        .collect::<Result<Vec<_>, _>>()?;
    let mut weeks = Vec::new();
    for shift in shifts {
        let Ok(week) = shift.week.parse::<IsoWeek>() else {
            continue;
        };
        if week < this_week || week > last {
            continue;
        }
        // Why the job chose them: the planner replayed on the history before that week.
        let history = History {
            served: served.iter().filter(|s| s.week < week).cloned().collect(),
        };
        let pinned: Vec<Override> = overrides
            .iter()
            .filter(|o| o.week == week)
            .cloned()
            .collect();
        let why = explain(roster, rotation, &history, &pinned, week.monday(), week).ok();
        weeks.push(AheadWeek {
            week: shift.week.clone(),
            start: shift.start_utc,
            end: shift.end_utc,
            primary: shift.primary.clone(),
            backup: shift.backup.clone(),
            committed: true,
            overridden: shift.overridden.clone(),
            unstaffed_reason: shift.unstaffed_reason.clone(),
            why,
        });
    }
    let start = served
        .iter()
        .map(|s| s.week)
        .max()
        .and_then(IsoWeek::next)
        .unwrap_or(this_week);
    if start <= last {
        let planned = plan::plan_between(roster, rotation, &served, overrides, start, last)
            .map_err(failed)?;
        let history = History {
            served: served.iter().filter(|s| s.week < start).cloned().collect(),
        };
        let from_start: Vec<Override> = overrides
            .iter()
            .filter(|o| o.week >= start)
            .cloned()
            .collect();
        for week in planned.weeks.iter().filter(|w| w.week >= this_week) {
            let why = explain(
                roster,
                rotation,
                &history,
                &from_start,
                start.monday(),
                week.week,
            )
            .map_err(failed)?;
            weeks.push(AheadWeek {
                week: week.week.to_string(),
                start: week.start_utc,
                end: week.end_utc,
                primary: week.primary.as_ref().map(ToString::to_string),
                backup: week.backup.as_ref().map(ToString::to_string),
                committed: false,
                overridden: week.overridden.clone(),
                unstaffed_reason: week.unstaffed_reason.clone(),
                why: Some(why),
            });
        }
    }
    weeks.sort_by_key(|w| w.start);
    Ok(RotationAhead {
        rotation: rotation.to_owned(),
        weeks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROSTER: &str = "[rotations.clinic]\nstyle = \"fair\"\nmin_working_days = 3\n\
        avoid_same_person = true\navoid_same_team = true\nfirst_duty_backup = false\n";

    fn roster() -> Roster {
        let person = |id: &str, team: &str| {
            format!(
                "\n[[people]]\nid = \"{id}\"\nname = \"{id}\"\nemail = \"{id}@example.org\"\n\
                 team = \"{team}\"\ntimezone = \"Europe/Rome\"\nholidays = \"IT\"\n\
                 rotations = [\"clinic\"]\nprevious_duties = 2\nrole = \"engineer\"\n"
            )
        };
        let text = format!(
            "{ROSTER}{}{}{}",
            person("ada", "red"),
            person("bea", "blue"),
            person("cyd", "green")
        );
        Roster::parse(&text).unwrap_or_else(|e| panic!("{e}"))
    }

    fn monday(week: &str) -> jiff::Timestamp {
        let week: IsoWeek = week.parse().unwrap();
        week.monday()
            .to_zoned(jiff::tz::TimeZone::UTC)
            .unwrap()
            .timestamp()
            + jiff::SignedDuration::from_hours(12)
    }

    #[test]
    fn twelve_weeks_ahead_planned_as_the_job_would_plan_them_each_with_its_explanation() {
        let roster = roster();
        let now = monday("2027-W10");
        let first = plan::plan_between(
            &roster,
            "clinic",
            &[],
            &[],
            "2027-W10".parse().unwrap(),
            "2027-W10".parse().unwrap(),
        )
        .unwrap();
        let committed = ShiftRecord::from_plan("clinic", &first.weeks[0], now, "test");
        let ahead = rotation_ahead(
            &roster,
            "clinic",
            std::slice::from_ref(&committed),
            &[],
            now,
        )
        .unwrap();
        assert_eq!(ahead.weeks.len(), AHEAD_WEEKS as usize);
        assert!(ahead.weeks[0].committed);
        assert_eq!(ahead.weeks[0].primary, committed.primary);
        assert!(ahead.weeks[1..].iter().all(|w| !w.committed));
        assert_eq!(ahead.weeks[11].week, "2027-W21");
        // The plan is the job's: plan_between from the week after the committed one.
        let job = plan::plan_between(
            &roster,
            "clinic",
            &[committed.served().unwrap()],
            &[],
            "2027-W11".parse().unwrap(),
            "2027-W21".parse().unwrap(),
        )
        .unwrap();
        for (shown, planned) in ahead.weeks[1..].iter().zip(&job.weeks) {
            assert_eq!(shown.week, planned.week.to_string());
            assert_eq!(
                shown.primary,
                planned.primary.as_ref().map(|p| p.to_string())
            );
            let why = shown.why.as_ref().expect("an explanation");
            assert_eq!(why.primary, planned.primary, "{}", shown.week);
        }
        // Nobody serves twice running.
        for pair in ahead.weeks.windows(2) {
            assert_ne!(pair[0].primary, pair[1].primary);
        }
    }

    #[test]
    fn an_override_is_planned_and_explained_with_its_reason() {
        let roster = roster();
        let now = monday("2027-W10");
        let overrides = vec![Override {
            week: "2027-W12".parse().unwrap(),
            person: crate::rotation::roster::PersonId::parse("cyd").unwrap(),
            reason: "swapped with ada".into(),
        }];
        let ahead = rotation_ahead(&roster, "clinic", &[], &overrides, now).unwrap();
        let week = ahead.weeks.iter().find(|w| w.week == "2027-W12").unwrap();
        assert_eq!(week.primary.as_deref(), Some("cyd"));
        assert_eq!(week.overridden.as_deref(), Some("swapped with ada"));
        let text = week.why.as_ref().unwrap().to_string();
        assert!(
            text.contains("primary by override: swapped with ada"),
            "{text}"
        );
        assert!(ahead.weeks.iter().all(|w| !w.committed));
    }

    #[test]
    fn an_unknown_rotation_is_a_plan_error_naming_it() {
        let err = rotation_ahead(&roster(), "nope", &[], &[], monday("2027-W10")).unwrap_err();
        assert!(err.to_string().contains("nope"), "{err}");
    }
}
