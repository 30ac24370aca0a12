//! `clinic rotation`: planning and explaining weeks from the roster offline, overriding and swapping
//! committed weeks in the table, listing its history; `rotation sync` itself lives in `oncall.rs`.

use clap::{Args, Subcommand};

use crate::rotation::calendar::IsoWeek;
use crate::rotation::explain::explain;
use crate::rotation::plan::{self, Plan};
use crate::rotation::roster::PersonId;
use crate::shifts::ShiftLedger;
use crate::shifts::overrides::{Operator, set_override, swap_weeks};

use super::error::CliError;
use super::oncall::{SyncArgs, sync_command, table_store_and_victorops, victorops_follow_up};
use super::operator::operator;
use super::plan_input::plan_input;
use super::roster::RosterArg;
use super::table::table_store;

#[derive(Subcommand, Debug)]
pub(super) enum RotationCommand {
    /// Plan weeks from a roster without touching AWS.
    Plan(PlanArgs),
    /// Say why a week's person was planned and not the others.
    Explain(ExplainArgs),
    /// Replace the person on duty for one week (recorded in the table and audited).
    Override(OverrideArgs),
    /// Swap the people on duty in two weeks (two overrides, audited).
    Swap(SwapArgs),
    /// List the committed shifts of a rotation (needs CLINIC_TABLE).
    History(HistoryArgs),
    /// Keep VictorOps in step: scheduled overrides for the committed shifts not yet over, then the
    /// differences between VictorOps and Clinic for the coming weeks (needs CLINIC_TABLE and
    /// VICTOROPS_API_*). Exit status 1 when a difference remains or a step failed.
    Sync(SyncArgs),
}

#[derive(Args, Debug)]
pub(super) struct PlanArgs {
    #[command(flatten)]
    roster: RosterArg,
    /// The rotation, as named in the roster's [rotations.NAME] (e.g. sre-clinic).
    #[arg(long)]
    rotation: String,
    /// Plan from the ISO week containing this date (YYYY-MM-DD). Needed offline; against a table
    /// the default is the first week not yet committed, where the weekly job goes on.
    #[arg(long)]
    from: Option<jiff::civil::Date>,
    /// Plan from the roster alone even when CLINIC_TABLE is set.
    #[arg(long)]
    offline: bool,
    /// How many weeks to plan, from 1.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=u32::MAX as i64))]
    weeks: u32,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
pub(super) struct ExplainArgs {
    #[command(flatten)]
    roster: RosterArg,
    /// The rotation, as named in the roster's [rotations.NAME] (e.g. sre-clinic).
    #[arg(long)]
    rotation: String,
    /// The week to explain, e.g. 2027-W05.
    #[arg(long)]
    week: IsoWeek,
    /// Plan from the ISO week containing this date, as `rotation plan --from` does. Needed offline;
    /// against a table the default is the first week not yet committed.
    #[arg(long)]
    from: Option<jiff::civil::Date>,
    /// Explain from the roster alone even when CLINIC_TABLE is set.
    #[arg(long)]
    offline: bool,
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
pub(super) struct OverrideArgs {
    #[command(flatten)]
    roster: RosterArg,
    /// The rotation, as named in the roster's [rotations.NAME] (e.g. sre-clinic).
    #[arg(long)]
    rotation: String,
    /// The ISO week, e.g. 2027-W05.
    #[arg(long)]
    week: IsoWeek,
    /// The person who serves that week instead.
    #[arg(long)]
    person: String,
    /// Why, for the audit log.
    #[arg(long)]
    reason: String,
    /// The operator's now (default: now), RFC 3339: the audit entries' time and VictorOps' now, for
    /// rehearsals against a fake.
    #[arg(long)]
    at: Option<jiff::Timestamp>,
}

#[derive(Args, Debug)]
pub(super) struct SwapArgs {
    #[command(flatten)]
    roster: RosterArg,
    /// The rotation, as named in the roster's [rotations.NAME] (e.g. sre-clinic).
    #[arg(long)]
    rotation: String,
    /// The ISO week, e.g. 2027-W05.
    #[arg(long)]
    week: IsoWeek,
    /// The other ISO week, e.g. 2027-W06.
    #[arg(long)]
    with_week: IsoWeek,
    /// Why, for the audit log.
    #[arg(long)]
    reason: String,
    /// The operator's now (default: now), RFC 3339: the audit entries' time and VictorOps' now, for
    /// rehearsals against a fake.
    #[arg(long)]
    at: Option<jiff::Timestamp>,
}

#[derive(Args, Debug)]
pub(super) struct HistoryArgs {
    /// The rotation, as named in the roster's [rotations.NAME] (e.g. sre-clinic).
    #[arg(long)]
    rotation: String,
    #[arg(long)]
    json: bool,
}

pub(super) async fn run(command: RotationCommand) -> Result<(), CliError> {
    match command {
        RotationCommand::Plan(args) => plan_command(args).await,
        RotationCommand::Explain(args) => explain_command(args).await,
        RotationCommand::Override(args) => override_command(args).await,
        RotationCommand::Swap(args) => swap_command(args).await,
        RotationCommand::History(args) => history_command(args).await,
        RotationCommand::Sync(args) => sync_command(args).await,
    }
}

async fn plan_command(args: PlanArgs) -> Result<(), CliError> {
    let roster = args.roster.load()?;
    let input = plan_input(&args.rotation, args.from, args.offline).await?;
    let plan = plan::plan(
        &roster,
        &args.rotation,
        &input.history,
        &input.overrides,
        input.from,
        args.weeks,
    )?;
    if args.json {
        eprintln!("{}", input.said);
        println!(
            "{}",
            serde_json::to_string_pretty(&plan).unwrap_or_default()
        );
    } else {
        println!("{}", input.said);
        print!("{}", plan_table(&plan));
    }
    Ok(())
}

/// The human table of a plan.
pub fn plan_table(plan: &Plan) -> String {
    let mut out = format!("rotation {}\n", plan.rotation);
    out.push_str(&format!(
        "{:<9} {:<12} {:<12} {:<28} {:<17} {:<17} {}\n",
        "WEEK", "PRIMARY", "BACKUP", "TEAM", "START (UTC)", "END (UTC)", "NOTES"
    ));
    for week in &plan.weeks {
        let mut notes = Vec::new();
        if let Some(reason) = &week.unstaffed_reason {
            notes.push(format!("UNSTAFFED: {reason}"));
        }
        if !week.relaxed.is_empty() {
            notes.push(format!(
                "relaxed: {}",
                week.relaxed
                    .iter()
                    .map(|r| r.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if let Some(reason) = &week.overridden {
            notes.push(format!("override: {reason}"));
        }
        if !week.excluded.is_empty() {
            notes.push(format!("{} not eligible", week.excluded.len()));
        }
        out.push_str(&format!(
            "{:<9} {:<12} {:<12} {:<28} {:<17} {:<17} {}\n",
            week.week.to_string(),
            week.primary
                .as_ref()
                .map(|p| p.to_string())
                .unwrap_or_else(|| "-".into()),
            week.backup
                .as_ref()
                .map(|p| p.to_string())
                .unwrap_or_else(|| "-".into()),
            week.team
                .as_ref()
                .map(|t| t.to_string())
                .unwrap_or_else(|| "-".into()),
            week.start_utc.strftime("%Y-%m-%d %H:%M").to_string(),
            week.end_utc.strftime("%Y-%m-%d %H:%M").to_string(),
            notes.join("; ")
        ));
    }
    for warning in &plan.warnings {
        out.push_str(&format!("warning: {warning}\n"));
    }
    out
}

async fn explain_command(args: ExplainArgs) -> Result<(), CliError> {
    let roster = args.roster.load()?;
    let input = plan_input(&args.rotation, args.from, args.offline).await?;
    let explanation = explain(
        &roster,
        &args.rotation,
        &input.history,
        &input.overrides,
        input.from,
        args.week,
    )?;
    if args.json {
        eprintln!("{}", input.said);
        println!(
            "{}",
            serde_json::to_string_pretty(&explanation).unwrap_or_default()
        );
    } else {
        println!("{}", input.said);
        print!("{explanation}");
    }
    Ok(())
}

async fn override_command(args: OverrideArgs) -> Result<(), CliError> {
    let roster = args.roster.load()?;
    let person = PersonId::parse(&args.person).map_err(|e| CliError::Usage(e.to_string()))?;
    let (store, victorops) = table_store_and_victorops(false).await?;
    let actor = operator();
    let cause = format!("cli:{}", uuid::Uuid::new_v4().simple());
    let who = Operator {
        actor: &actor,
        cause: &cause,
        at: args.at.unwrap_or_else(jiff::Timestamp::now),
    };
    let outcome = set_override(
        &store,
        &roster,
        &args.rotation,
        args.week,
        &person,
        &args.reason,
        who,
    )
    .await?;
    println!(
        "override recorded: {} {} -> {}",
        args.rotation, outcome.week, outcome.person
    );
    if let Some(previous) = outcome.replaced_in_committed_shift {
        println!(
            "{} was already committed (on duty: {}); the shift now names {} and counts for them. Handoff mails \
             are not re-sent: tell the people concerned.",
            outcome.week,
            previous.as_deref().unwrap_or("nobody"),
            outcome.person
        );
    }
    victorops_follow_up(
        &store,
        victorops.as_ref(),
        &roster,
        &args.rotation,
        &[outcome.week],
        args.at,
        who,
    )
    .await
}

async fn swap_command(args: SwapArgs) -> Result<(), CliError> {
    let roster = args.roster.load()?;
    let (store, victorops) = table_store_and_victorops(false).await?;
    let actor = operator();
    let cause = format!("cli:{}", uuid::Uuid::new_v4().simple());
    let who = Operator {
        actor: &actor,
        cause: &cause,
        at: args.at.unwrap_or_else(jiff::Timestamp::now),
    };
    let (one, two) = swap_weeks(
        &store,
        &roster,
        &args.rotation,
        args.week,
        args.with_week,
        &args.reason,
        who,
    )
    .await?;
    println!(
        "swapped: {} {} -> {}, {} -> {}",
        args.rotation, one.week, one.person, two.week, two.person
    );
    victorops_follow_up(
        &store,
        victorops.as_ref(),
        &roster,
        &args.rotation,
        &[one.week, two.week],
        args.at,
        who,
    )
    .await
}

async fn history_command(args: HistoryArgs) -> Result<(), CliError> {
    let store = table_store().await?;
    let shifts = store.shifts(&args.rotation).await?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&shifts).unwrap_or_default()
        );
        return Ok(());
    }
    for s in shifts {
        println!(
            "{:<9} {:<12} {:<12} {} to {}{}",
            s.week,
            s.primary.as_deref().unwrap_or("-"),
            s.backup.as_deref().unwrap_or("-"),
            s.start_utc.strftime("%Y-%m-%d %H:%M"),
            s.end_utc.strftime("%Y-%m-%d %H:%M UTC"),
            s.unstaffed_reason
                .map(|r| format!("  UNSTAFFED: {r}"))
                .unwrap_or_default()
        );
    }
    Ok(())
}
