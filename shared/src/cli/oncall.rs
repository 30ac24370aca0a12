//! Clinic and VictorOps in step: `clinic rotation sync`, and the follow-up an override or swap runs
//! on the weeks it changed (both need CLINIC_TABLE and VICTOROPS_API_*).

use clap::Args;

use crate::adapters::dynamo::DynamoStore;
use crate::config::{FromVariables as _, SyncConfig};
use crate::rotation::calendar::IsoWeek;
use crate::rotation::roster::Roster;
use crate::shifts::ShiftLedger;
use crate::shifts::overrides::Operator;

use super::error::CliError;
use super::operator::operator;
use super::roster::RosterArg;

#[derive(Args, Debug)]
pub(super) struct SyncArgs {
    #[command(flatten)]
    roster: RosterArg,
    #[arg(long)]
    rotation: String,
    /// Only compare and list the differences; change nothing in VictorOps.
    #[arg(long)]
    check: bool,
    /// How many weeks ahead to compare (1 to 4; VictorOps shows at most 30 days).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=4))]
    weeks: u32,
    /// VictorOps' now (default: now), for rehearsals against a fake; RFC 3339.
    #[arg(long)]
    at: Option<jiff::Timestamp>,
    #[arg(long)]
    json: bool,
}

/// The table, and the VictorOps sync when `VICTOROPS_API_*` are set (an error naming them when
/// `required`); the key may be an SSM parameter, as on Lambda.
pub(super) async fn table_store_and_victorops(
    required: bool,
) -> Result<(DynamoStore, Option<crate::oncall::VictorOpsSync>), CliError> {
    use std::sync::Arc;
    let config = SyncConfig::load().await?;
    if required {
        config.victorops_api()?;
    }
    let store = super::table::open_table(&config.table).await;
    let sync = config.victorops_api.as_ref().map(|api| {
        let client = crate::adapters::victorops::VictorOpsClient::new(
            api,
            crate::adapters::victorops::default_pacing(),
        );
        crate::oncall::VictorOpsSync::new(
            Arc::new(client),
            Arc::new(store.clone()),
            config.mail_lease_seconds,
        )
    });
    Ok((store, sync))
}

/// After an override or swap: replaces the VictorOps overrides of the weeks already committed.
pub(super) async fn victorops_follow_up(
    store: &DynamoStore,
    sync: Option<&crate::oncall::VictorOpsSync>,
    roster: &Roster,
    rotation: &str,
    weeks: &[IsoWeek],
    at: Option<jiff::Timestamp>,
    who: Operator<'_>,
) -> Result<(), CliError> {
    let Some(sync) =
        sync.filter(|_| crate::oncall::VictorOpsSync::link(roster, rotation).is_some())
    else {
        return Ok(());
    };
    let mut failed = false;
    let now = at.unwrap_or_else(jiff::Timestamp::now);
    for shift in store.shifts(rotation).await? {
        let asked = weeks.iter().any(|w| w.to_string() == shift.week);
        if asked && shift.end_utc > now {
            let outcome = sync.keep_in_step(roster, &shift, now, who, false).await?;
            println!("{}", outcome.summary());
            failed |= outcome.failed();
        }
    }
    if failed {
        eprintln!(
            "clinic: the override is recorded, but VictorOps could not be updated; the next run of the \
             rotation function (or `clinic rotation sync`) tries again"
        );
        return Err(CliError::Reported(1));
    }
    Ok(())
}

pub(super) async fn sync_command(args: SyncArgs) -> Result<(), CliError> {
    let roster = args.roster.load()?;
    if roster.rotation(&args.rotation).is_none() {
        return Err(CliError::Usage(format!(
            "the roster has no rotation {:?}",
            args.rotation
        )));
    }
    let (store, Some(sync)) = table_store_and_victorops(true).await? else {
        return Err(CliError::Usage(
            "set VICTOROPS_API_URL, VICTOROPS_API_ID and VICTOROPS_API_KEY".into(),
        ));
    };
    let at = args.at.unwrap_or_else(jiff::Timestamp::now);
    let actor = operator();
    let cause = format!("cli:{}", uuid::Uuid::new_v4().simple());
    let who = Operator {
        actor: &actor,
        cause: &cause,
        at: jiff::Timestamp::now(),
    };
    let mut failed = 0;
    let mut weeks = Vec::new();
    if !args.check {
        for shift in store.shifts(&args.rotation).await? {
            if shift.end_utc > at {
                let outcome = sync.keep_in_step(&roster, &shift, at, who, true).await?;
                failed += usize::from(outcome.failed());
                weeks.push(outcome);
            }
        }
    }
    let shifts = store.shifts(&args.rotation).await?;
    let overrides = store.overrides(&args.rotation).await?;
    let report = sync
        .check(&roster, &args.rotation, &shifts, &overrides, at, args.weeks)
        .await?;
    if args.json {
        let both = serde_json::json!({ "synced": weeks, "check": report });
        println!(
            "{}",
            serde_json::to_string_pretty(&both).unwrap_or_default()
        );
    } else {
        for week in &weeks {
            println!("{}", week.summary());
        }
        print!("{}", report.text());
    }
    if failed > 0 || report.count() > 0 {
        return Err(CliError::Reported(1));
    }
    Ok(())
}
