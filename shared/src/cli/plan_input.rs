//! What `rotation plan` and `rotation explain` plan from. Against a table (CLINIC_TABLE set) both
//! start where the weekly job will: the committed shifts as history, the overrides recorded, from
//! the first week not yet committed. Offline (no table, or `--offline`) they plan from the roster
//! alone and need `--from`, the same for both. Each says which input it used.

use jiff::civil::Date;

use crate::rotation::calendar::IsoWeek;
use crate::rotation::plan::{History, Override};
use crate::shifts::{ShiftLedger, override_from_record};

use super::error::CliError;
use super::table::table_store;

/// The history, overrides and first week a plan starts from, and the line that says so.
pub(super) struct PlanInput {
    pub(super) history: History,
    pub(super) overrides: Vec<Override>,
    pub(super) from: Date,
    pub(super) said: String,
}

/// Whether a table is named: without one, planning is offline.
fn table_named() -> bool {
    std::env::var_os(crate::config::vars::TABLE).is_some_and(|t| !t.is_empty())
}

pub(super) async fn plan_input(
    rotation: &str,
    from: Option<Date>,
    offline: bool,
) -> Result<PlanInput, CliError> {
    if offline || !table_named() {
        let from = from.ok_or_else(|| {
            CliError::Usage(
                "give --from YYYY-MM-DD to plan from the roster alone, or set CLINIC_TABLE to start \
                 from the table's history, as the weekly job does"
                    .into(),
            )
        })?;
        return Ok(PlanInput {
            history: History::default(),
            overrides: Vec::new(),
            from,
            said: format!("input: the roster alone (no table history), from the week of {from}"),
        });
    }
    let store = table_store().await?;
    let shifts = store.shifts(rotation).await?;
    let overrides = store
        .overrides(rotation)
        .await?
        .iter()
        .map(override_from_record)
        .collect::<Result<Vec<_>, _>>()?;
    let served = shifts
        .iter()
        .map(|s| s.served())
        .collect::<Result<Vec<_>, _>>()?;
    let last_committed = served.iter().map(|s| s.week).max();
    let (start, how) = match from {
        Some(date) => (IsoWeek::containing(date), "from --from"),
        None => match last_committed.and_then(IsoWeek::next) {
            Some(next) => (next, "from the first week not yet committed"),
            None => (
                IsoWeek::containing(jiff::Zoned::now().date()),
                "from this week (nothing committed yet)",
            ),
        },
    };
    // As the weekly job plans a week: the shifts committed before it, the overrides from it on.
    let history = History {
        served: served.into_iter().filter(|s| s.week < start).collect(),
    };
    let overrides: Vec<Override> = overrides.into_iter().filter(|o| o.week >= start).collect();
    let table = std::env::var(crate::config::vars::TABLE).unwrap_or_default();
    let said = format!(
        "input: table {table}: {}{}, {}; planning {start} on, {how}, as the weekly job will",
        counted(history.served.len(), "committed week"),
        last_committed
            .map(|w| format!(" (last {w})"))
            .unwrap_or_default(),
        counted(overrides.len(), "override"),
    );
    Ok(PlanInput {
        history,
        overrides,
        from: start.monday(),
        said,
    })
}

/// `1 override`, `2 overrides`.
fn counted(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}
