//! The `clinic` command: planning from a roster file offline, and operating the table (overrides,
//! audit, local set-up, invoking a handler) through the same code the functions run.

pub mod maintenance_parse;
pub mod serve;

use std::io::Write as _;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::adapters::dynamo::DynamoStore;
use crate::audit::{AuditEntry, AuditLog, format_line};
use crate::config::{Component, Config};
use crate::functions::rotation::{RotationFunction, StartupError};
use crate::functions::victorops_webhook::VictorOpsFunction;
use crate::reviewed_file::ReviewedFile as _;
use crate::rotation::calendar::IsoWeek;
use crate::rotation::explain::explain;
use crate::rotation::plan::{self, History, Plan};
use crate::rotation::roster::{PersonId, Roster};
use crate::shifts::ShiftLedger;
use crate::shifts::overrides::{Operator, OverrideError, set_override, swap_weeks};

#[derive(Parser, Debug)]
#[command(
    name = "clinic",
    version,
    about = "Clinic: the SRE clinic-duty rotation, automated"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Plan, explain and override the rotation.
    #[command(subcommand)]
    Rotation(RotationCommand),
    /// Check a roster file.
    #[command(subcommand)]
    Roster(RosterCommand),
    /// List the audit log (needs CLINIC_TABLE).
    Audit(AuditArgs),
    /// Local set-up of the table and the sender identity (needs CLINIC_TABLE, AWS_ENDPOINT_URL for a local stack).
    #[command(subcommand)]
    Setup(SetupCommand),
    /// Run a function's handler here, on an event file, with the same configuration variables as Lambda.
    Invoke(InvokeArgs),
    /// Vendor maintenance notices: parse mails, list what is stored, review what could not be parsed.
    #[command(subcommand)]
    Maintenance(MaintenanceCommand),
    /// Planned downtime of our own services (needs the victorops-webhook configuration).
    #[command(subcommand)]
    Downtime(DowntimeCommand),
    /// Serve the webhooks (POST /hooks/phabricator) over HTTP through the functions' own handlers, with
    /// the same configuration variables as Lambda; stops on Ctrl-C or SIGTERM.
    Serve(ServeArgs),
    /// Print the brief: who is on duty, tasks, incidents, maintenance and mail that need someone
    /// (needs CLINIC_TABLE; CLINIC_TRIAGE_RULES and PHABRICATOR_URL when set).
    Status(StatusArgs),
}

#[derive(Args, Debug)]
struct StatusArgs {
    /// Print the brief as JSON, for tools.
    #[arg(long)]
    json: bool,
    /// Show times in this IANA zone too (e.g. Europe/Berlin; default: UTC only).
    #[arg(long)]
    zone: Option<String>,
    /// The moment of the brief (default: now), RFC 3339.
    #[arg(long)]
    at: Option<jiff::Timestamp>,
}

#[derive(Subcommand, Debug)]
enum MaintenanceCommand {
    /// Parse e-mails (no AWS): one file prints its JSON list; several print {path: list or {"error"}}.
    Parse {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// List the maintenances stored for a time range (needs CLINIC_TABLE).
    List {
        /// First day, UTC (default: today).
        #[arg(long)]
        from: Option<jiff::civil::Date>,
        /// Last day, UTC, inclusive (default: 30 days after --from).
        #[arg(long)]
        to: Option<jiff::civil::Date>,
        #[arg(long)]
        json: bool,
    },
    /// List the mails kept for review (needs CLINIC_TABLE).
    Review {
        #[arg(long)]
        json: bool,
    },
    /// Take a mail off the review list once it has been dealt with (needs CLINIC_TABLE); the raw
    /// mail stays in S3 and the audit log says who and why.
    Reviewed {
        /// The review item's id, as `maintenance review` prints it.
        id: String,
        /// What was done about it (kept in the audit log).
        #[arg(long)]
        note: String,
    },
}

#[derive(Subcommand, Debug)]
enum DowntimeCommand {
    /// Record a window, post a Statuspage scheduled maintenance, and have the announce mails sent
    /// 7 days ahead, 1 minute before the start and (with --mail-after) after the end.
    Schedule(DowntimeArgs),
}

#[derive(Args, Debug)]
struct DowntimeArgs {
    /// Affected services, comma-separated (names from the mapping file's [services]).
    #[arg(long, value_delimiter = ',', required = true)]
    services: Vec<String>,
    /// Start, "YYYY-MM-DD HH:MM" in UTC.
    #[arg(long)]
    start: String,
    /// End, "YYYY-MM-DD HH:MM" in UTC.
    #[arg(long)]
    end: String,
    /// What to expect: no-impact, degraded, partial-outage or full-outage.
    #[arg(long)]
    impact: String,
    /// Accept less than 7 days' notice (the announcement says so).
    #[arg(long)]
    urgent: bool,
    /// Also mail the announce list when the window has ended.
    #[arg(long)]
    mail_after: bool,
    /// Announce list, comma-separated (default: $CLINIC_ANNOUNCE_LIST).
    #[arg(long, value_delimiter = ',')]
    announce_to: Vec<String>,
    /// The clock (default: now), for rehearsals on the local stack; RFC 3339.
    #[arg(long)]
    at: Option<jiff::Timestamp>,
}

#[derive(Args, Debug)]
struct ServeArgs {
    /// The address to listen on, e.g. 127.0.0.1:8080 (port 0 picks a free port, printed at start).
    #[arg(long)]
    listen: std::net::SocketAddr,
    /// Handle every request as if at this moment (default: the clock), RFC 3339: rehearsals of
    /// recorded deliveries on the local stack.
    #[arg(long)]
    at: Option<jiff::Timestamp>,
}

#[derive(Subcommand, Debug)]
enum RotationCommand {
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
struct SyncArgs {
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

#[derive(Args, Debug)]
struct SwapArgs {
    #[command(flatten)]
    roster: RosterArg,
    #[arg(long)]
    rotation: String,
    #[arg(long)]
    week: IsoWeek,
    #[arg(long)]
    with_week: IsoWeek,
    /// Why, for the audit log.
    #[arg(long)]
    reason: String,
    /// VictorOps' now (default: now), for rehearsals against a fake; RFC 3339.
    #[arg(long)]
    at: Option<jiff::Timestamp>,
}

#[derive(Args, Debug)]
struct RosterArg {
    /// The roster TOML file (default: $CLINIC_ROSTER).
    #[arg(long)]
    roster: Option<PathBuf>,
}

impl RosterArg {
    fn load(&self) -> Result<Roster, CliError> {
        let path = match &self.roster {
            Some(path) => path.clone(),
            None => std::env::var_os(crate::config::vars::ROSTER)
                .map(PathBuf::from)
                .ok_or_else(|| CliError::Usage("give --roster FILE or set CLINIC_ROSTER".into()))?,
        };
        Ok(Roster::load(&path).map_err(StartupError::from)?)
    }
}

#[derive(Args, Debug)]
struct PlanArgs {
    #[command(flatten)]
    roster: RosterArg,
    #[arg(long)]
    rotation: String,
    /// Plan from the ISO week containing this date (YYYY-MM-DD).
    #[arg(long)]
    from: jiff::civil::Date,
    #[arg(long, default_value_t = 8)]
    weeks: u32,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
struct ExplainArgs {
    #[command(flatten)]
    roster: RosterArg,
    #[arg(long)]
    rotation: String,
    /// The week to explain, e.g. 2027-W05.
    #[arg(long)]
    week: IsoWeek,
    /// Plan from the ISO week containing this date (default: the explained week itself).
    #[arg(long)]
    from: Option<jiff::civil::Date>,
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
struct OverrideArgs {
    #[command(flatten)]
    roster: RosterArg,
    #[arg(long)]
    rotation: String,
    #[arg(long)]
    week: IsoWeek,
    /// The person who serves that week instead.
    #[arg(long)]
    person: String,
    /// Why, for the audit log.
    #[arg(long)]
    reason: String,
    /// VictorOps' now (default: now), for rehearsals against a fake; RFC 3339.
    #[arg(long)]
    at: Option<jiff::Timestamp>,
}

#[derive(Args, Debug)]
struct HistoryArgs {
    #[arg(long)]
    rotation: String,
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand, Debug)]
enum RosterCommand {
    /// Validate a roster file and list every problem.
    Check(RosterArg),
}

#[derive(Args, Debug)]
struct AuditArgs {
    /// First UTC day (default: 7 days ago).
    #[arg(long)]
    since: Option<jiff::civil::Date>,
    /// Last UTC day (default: today).
    #[arg(long)]
    until: Option<jiff::civil::Date>,
    #[arg(long, default_value_t = 200)]
    limit: usize,
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand, Debug)]
enum SetupCommand {
    /// Create the table from its definition in code (an existing table is left alone).
    Table,
    /// Register a sender identity with SES v2 (local stack: marks it verified).
    Identity {
        #[arg(long)]
        address: String,
    },
    /// Create an S3 bucket (the local stack's inbound-mail and calendar buckets).
    Bucket {
        #[arg(long)]
        name: String,
    },
}

#[derive(Args, Debug)]
struct InvokeArgs {
    /// The function: `rotation`, `maintenance-mail`, `victorops-webhook` (a Function URL / API Gateway
    /// event, or a scheduled event for the reminder sweep) or `phabricator-webhook` (an HTTP event, or
    /// a scheduled event for the stale-task follow-up).
    function: String,
    /// The event JSON file.
    #[arg(long)]
    event: PathBuf,
    /// Print the full report as JSON.
    #[arg(long)]
    json: bool,
    /// The clock for a replayed HTTP event (victorops-webhook, phabricator-webhook; default: now), RFC 3339.
    #[arg(long)]
    at: Option<jiff::Timestamp>,
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Startup(#[from] StartupError),
    #[error("{0}")]
    Plan(#[from] plan::PlanError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Override(#[from] OverrideError),
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the handler failed ({kind}): {message}")]
    Handler { kind: &'static str, message: String },
    #[error("{0}")]
    Aws(String),
    /// The command already said what went wrong; exit with this status.
    #[error("exit status {0}")]
    Reported(i32),
    #[error(transparent)]
    WebhookStartup(#[from] crate::functions::phabricator_webhook::StartupError),
    #[error(transparent)]
    Check(#[from] crate::oncall::sync::CheckError),
    #[error(transparent)]
    BriefSettings(#[from] crate::config::BriefSettingsError),
    #[error("cannot serve on {address}: {source}")]
    Serve {
        address: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

/// Runs the command; the binary maps the error to a message and exit status 1 (2 for usage).
pub async fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Rotation(RotationCommand::Plan(args)) => plan_command(args),
        Command::Rotation(RotationCommand::Explain(args)) => explain_command(args),
        Command::Rotation(RotationCommand::Override(args)) => override_command(args).await,
        Command::Rotation(RotationCommand::Swap(args)) => swap_command(args).await,
        Command::Rotation(RotationCommand::History(args)) => history_command(args).await,
        Command::Rotation(RotationCommand::Sync(args)) => sync_command(args).await,
        Command::Roster(RosterCommand::Check(args)) => {
            let roster = args.load()?;
            println!(
                "roster is valid: {} people, rotations: {}",
                roster.people().len(),
                roster
                    .rotation_names()
                    .map(|n| n.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            Ok(())
        }
        Command::Audit(args) => audit_command(args).await,
        Command::Setup(command) => setup_command(command).await,
        Command::Invoke(args) => invoke_command(args).await,
        Command::Maintenance(command) => maintenance_command(command).await,
        Command::Downtime(DowntimeCommand::Schedule(args)) => downtime_command(args).await,
        Command::Serve(args) => serve_command(args).await,
        Command::Status(args) => status_command(args).await,
    }
}

async fn status_command(args: StatusArgs) -> Result<(), CliError> {
    let zone =
        crate::brief::zone(args.zone.as_deref()).map_err(|e| CliError::Usage(e.to_string()))?;
    let config = Config::from_env(Component::TableOnly)?;
    let settings = config.brief_settings()?;
    let sdk = crate::adapters::sdk::sdk_config(&config.aws()).await;
    let store = DynamoStore::new(
        crate::adapters::sdk::dynamodb(&sdk),
        config.table()?.clone(),
    );
    let now = args.at.unwrap_or_else(jiff::Timestamp::now);
    let brief = crate::brief::build(&store, &settings, now).await?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&brief).unwrap_or_default()
        );
    } else {
        print!("{}", crate::brief::render::text(&brief, zone.as_ref()));
    }
    Ok(())
}

fn plan_command(args: PlanArgs) -> Result<(), CliError> {
    let roster = args.roster.load()?;
    let plan = plan::plan(
        &roster,
        &args.rotation,
        &History::default(),
        &[],
        args.from,
        args.weeks,
    )?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&plan).unwrap_or_default()
        );
    } else {
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

fn explain_command(args: ExplainArgs) -> Result<(), CliError> {
    let roster = args.roster.load()?;
    let from = args.from.unwrap_or_else(|| args.week.monday());
    let explanation = explain(
        &roster,
        &args.rotation,
        &History::default(),
        &[],
        from,
        args.week,
    )?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&explanation).unwrap_or_default()
        );
    } else {
        print!("{explanation}");
    }
    Ok(())
}

async fn table_store() -> Result<DynamoStore, CliError> {
    let config = Config::from_env(Component::TableOnly)?;
    let sdk = crate::adapters::sdk::sdk_config(&config.aws()).await;
    Ok(DynamoStore::new(
        crate::adapters::sdk::dynamodb(&sdk),
        config.table()?.clone(),
    ))
}

/// The table, and the VictorOps sync when `VICTOROPS_API_*` are set (an error naming them when
/// `required`); the key may be an SSM parameter, as on Lambda.
async fn table_store_and_victorops(
    required: bool,
) -> Result<(DynamoStore, Option<crate::oncall::VictorOpsSync>), CliError> {
    use std::sync::Arc;
    let config = Config::load(Component::TableOnly).await?;
    if required {
        config.victorops_api()?;
    }
    let sdk = crate::adapters::sdk::sdk_config(&config.aws()).await;
    let store = DynamoStore::new(
        crate::adapters::sdk::dynamodb(&sdk),
        config.table()?.clone(),
    );
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
async fn victorops_follow_up(
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

async fn sync_command(args: SyncArgs) -> Result<(), CliError> {
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

fn operator() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into());
    format!("cli:{user}")
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

async fn audit_command(args: AuditArgs) -> Result<(), CliError> {
    let store = table_store().await?;
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    let until = args.until.unwrap_or(today);
    let since = args
        .since
        .unwrap_or_else(|| until.saturating_sub(jiff::Span::new().days(7)));
    if since > until {
        return Err(CliError::Usage(format!(
            "--since {since} is after --until {until}"
        )));
    }
    if (until - since).get_days() > 366 {
        return Err(CliError::Usage("list at most a year at a time".into()));
    }
    let entries = store.list(since, until, args.limit).await?;
    let mut out = std::io::stdout().lock();
    if args.json {
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&entries).unwrap_or_default()
        );
    } else if entries.is_empty() {
        let _ = writeln!(out, "no audit entries from {since} to {until}");
    } else {
        for entry in &entries {
            let _ = writeln!(out, "{}", format_line(entry));
        }
    }
    Ok(())
}

async fn setup_command(command: SetupCommand) -> Result<(), CliError> {
    match command {
        SetupCommand::Table => {
            let store = table_store().await?;
            let created =
                crate::adapters::dynamo::table::create(store.client(), store.table()).await?;
            println!(
                "table {}: {}",
                store.table(),
                if created { "created" } else { "already exists" }
            );
        }
        SetupCommand::Bucket { name } => {
            let config = Config::from_env(Component::Offline)?;
            let sdk = crate::adapters::sdk::sdk_config(&config.aws()).await;
            let result = crate::adapters::sdk::s3(&sdk, &config.aws())
                .create_bucket()
                .bucket(&name)
                .send()
                .await;
            match result {
                Ok(_) => println!("bucket {name}: created"),
                Err(e)
                    if e.as_service_error().is_some_and(|e| {
                        e.is_bucket_already_owned_by_you() || e.is_bucket_already_exists()
                    }) =>
                {
                    println!("bucket {name}: already exists")
                }
                Err(e) => {
                    return Err(CliError::Aws(format!(
                        "S3 CreateBucket failed: {}",
                        aws_sdk_s3::error::DisplayErrorContext(e)
                    )));
                }
            }
        }
        SetupCommand::Identity { address } => {
            let address = crate::mail::EmailAddress::parse(&address)
                .map_err(|e| CliError::Usage(e.to_string()))?;
            let config = Config::from_env(Component::Offline)?;
            let sdk = crate::adapters::sdk::sdk_config(&config.aws()).await;
            let result = crate::adapters::sdk::sesv2(&sdk)
                .create_email_identity()
                .email_identity(address.as_str())
                .send()
                .await;
            match result {
                Ok(_) => println!("sender identity {address}: created"),
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|e| e.is_already_exists_exception()) =>
                {
                    println!("sender identity {address}: already exists")
                }
                Err(e) => {
                    return Err(CliError::Aws(format!(
                        "SES CreateEmailIdentity failed: {e:?}"
                    )));
                }
            }
        }
    }
    Ok(())
}

async fn invoke_command(args: InvokeArgs) -> Result<(), CliError> {
    let text = std::fs::read_to_string(&args.event).map_err(|source| CliError::Read {
        path: args.event.display().to_string(),
        source,
    })?;
    let event: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| CliError::Usage(format!("{} is not JSON: {e}", args.event.display())))?;
    match args.function.as_str() {
        "rotation" => {
            let config = Config::from_env(Component::Rotation)?;
            let function = RotationFunction::from_config(&config).await?;
            let report = function.handle(event).await.map_err(CliError::from)?;
            print_report(&report, report.summary(), args.json);
            Ok(())
        }
        "maintenance-mail" => {
            let config = Config::from_env(Component::MaintenanceMail)?;
            let function =
                crate::functions::maintenance_mail::MaintenanceFunction::from_config(&config)
                    .await?;
            let report = function.handle(event).await.map_err(CliError::from)?;
            print_report(&report, report.summary(), args.json);
            Ok(())
        }
        "phabricator-webhook" => {
            let config = Config::from_env(Component::PhabricatorWebhook)?;
            let function =
                crate::functions::phabricator_webhook::PhabricatorFunction::from_config(&config)
                    .await?;
            let answer = function
                .dispatch_at(event, args.at.unwrap_or_else(jiff::Timestamp::now))
                .await
                .map_err(CliError::from)?;
            println!(
                "{}",
                serde_json::to_string_pretty(&answer).unwrap_or_default()
            );
            Ok(())
        }
        "victorops-webhook" => {
            let config = Config::from_env(Component::VictorOpsWebhook)?;
            let function = VictorOpsFunction::from_config(&config)
                .await
                .map_err(|e| CliError::Usage(e.to_string()))?;
            let answer = function
                .dispatch_at(event, args.at.unwrap_or_else(jiff::Timestamp::now))
                .await
                .map_err(|f| CliError::Handler {
                    kind: if f.retryable {
                        "retryable"
                    } else {
                        "not retryable"
                    },
                    message: f.message,
                })?;
            println!(
                "{}",
                serde_json::to_string_pretty(&answer).unwrap_or_default()
            );
            Ok(())
        }
        other => Err(CliError::Usage(format!(
            "unknown function {other:?}; known: rotation, maintenance-mail, victorops-webhook, phabricator-webhook"
        ))),
    }
}

async fn downtime_command(args: DowntimeArgs) -> Result<(), CliError> {
    use crate::incidents::downtime::{DowntimeError, DowntimeRequest, plan_window};
    let announce = if args.announce_to.is_empty() {
        std::env::var(crate::config::vars::ANNOUNCE_LIST)
            .unwrap_or_default()
            .split(',')
            .map(str::to_owned)
            .collect()
    } else {
        args.announce_to
    };
    let request = DowntimeRequest {
        services: args.services,
        start: args.start,
        end: args.end,
        impact: args.impact,
        urgent: args.urgent,
        mail_after: args.mail_after,
        announce,
    };
    let config = Config::from_env(Component::VictorOpsWebhook)?;
    let function = VictorOpsFunction::from_config(&config)
        .await
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let desk = function.webhook().desk();
    let now = args.at.unwrap_or_else(jiff::Timestamp::now);
    let window = plan_window(&request, desk.mapping(), now, &operator()).map_err(|e| match e {
        DowntimeError::Invalid(m) => CliError::Usage(m),
        other => CliError::Handler {
            kind: "retryable",
            message: other.to_string(),
        },
    })?;
    let cause = format!("cli:{}", uuid::Uuid::new_v4().simple());
    let (window, lines) = desk
        .schedule_downtime(window, &cause, now)
        .await
        .map_err(|e| CliError::Handler {
            kind: "retryable",
            message: crate::functions::lambda::HandlerFailure::new(&e, true).message,
        })?;
    println!(
        "downtime {} recorded: {} from {} to {} ({:?}); Statuspage maintenance {}",
        window.id,
        window.services.join(", "),
        window.start,
        window.end,
        window.kind,
        window.statuspage_id.as_deref().unwrap_or("-")
    );
    for (slot, due) in window.slots() {
        let done = lines.iter().find(|l| l.slot == slot).map(|l| l.outcome);
        println!(
            "  mail {slot:<8} due {due}  {}",
            done.unwrap_or("scheduled")
        );
    }
    Ok(())
}

async fn serve_command(args: ServeArgs) -> Result<(), CliError> {
    use std::sync::Arc;

    use lambda_http::http::Method;

    // Each webhook is served when its configuration is complete; with neither, every problem is named.
    let phabricator_config = Config::load(Component::PhabricatorWebhook).await;
    let victorops_config = Config::load(Component::VictorOpsWebhook).await;
    let mut routes = crate::functions::http::Routes::new();
    let mut dry_run = false;
    if let Ok(config) = &phabricator_config {
        // The webhook, and GET /status when CLINIC_STATUS_TOKEN is set, as the Lambda routes them.
        let function =
            crate::functions::phabricator_webhook::PhabricatorFunction::from_config(config).await?;
        routes = routes.extend(function.routes());
        dry_run = config.dry_run;
    } else if let Ok(config) = Config::load(Component::TableOnly).await
        && let Some(token) = config.status_token.clone()
    {
        let settings = config.brief_settings()?;
        let sdk = crate::adapters::sdk::sdk_config(&config.aws()).await;
        let store = Arc::new(DynamoStore::new(
            crate::adapters::sdk::dynamodb(&sdk),
            config.table()?.clone(),
        ));
        let status = Arc::new(
            crate::functions::phabricator_webhook::status::StatusEndpoint::new(
                crate::brief::Briefing::new(store, settings),
                token,
            ),
        );
        routes = routes
            .route(
                Method::GET,
                crate::functions::phabricator_webhook::status::STATUS_PATH,
                status.clone(),
            )
            .route(
                Method::GET,
                crate::functions::phabricator_webhook::status::CALENDAR_PATH,
                status,
            );
    }
    if let Ok(config) = &victorops_config {
        let hook = crate::functions::victorops_webhook::VictorOpsFunction::from_config(config)
            .await
            .map_err(|e| CliError::Usage(e.to_string()))?;
        routes = routes.route(Method::POST, "/hooks/victorops", Arc::new(hook));
    }
    if routes.paths().next().is_none() {
        let mut problems = Vec::new();
        for error in [phabricator_config.err(), victorops_config.err()]
            .into_iter()
            .flatten()
        {
            problems.extend(error.problems);
        }
        problems.dedup_by(|a, b| a.variable == b.variable);
        return Err(CliError::Config(crate::config::ConfigError { problems }));
    }
    let routes = Arc::new(routes.at(args.at));
    let failed = |source| CliError::Serve {
        address: args.listen,
        source,
    };
    let (listener, bound) = crate::cli::serve::bind(args.listen).await.map_err(failed)?;
    for (method, path) in routes.paths() {
        println!("clinic serve: {method} http://{bound}{path}");
    }
    println!(
        "clinic serve: listening on {bound}{}",
        if dry_run { " (dry run)" } else { "" }
    );
    crate::cli::serve::serve(listener, routes, stop_signal())
        .await
        .map_err(failed)?;
    println!("clinic serve: stopped");
    Ok(())
}

async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

impl From<crate::functions::lambda::HandlerFailure> for CliError {
    fn from(failure: crate::functions::lambda::HandlerFailure) -> Self {
        let kind = if failure.retryable {
            "retryable"
        } else {
            "not retryable"
        };
        CliError::Handler {
            kind,
            message: failure.message,
        }
    }
}

/// A handler's report: JSON for tools, or its summary for people.
fn print_report(report: &impl serde::Serialize, summary: String, json: bool) {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(report).unwrap_or_default()
        );
    } else {
        print!("{summary}");
    }
}

/// The error and its causes on one line, for the terminal.
pub fn describe(error: &CliError) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let shown = cause.to_string();
        if !text.contains(&shown) {
            text.push_str(": ");
            text.push_str(&shown);
        }
        source = cause.source();
    }
    text
}

async fn maintenance_command(command: MaintenanceCommand) -> Result<(), CliError> {
    use crate::maintenance::lifecycle::{impact_name, status_name};
    use crate::maintenance::ports::MaintenanceLedger;
    match command {
        MaintenanceCommand::Parse { files } => {
            let (text, code) = maintenance_parse::parse_files_cli(&files);
            if !text.is_empty() {
                println!("{text}");
            }
            if code == 0 {
                Ok(())
            } else {
                Err(CliError::Reported(code))
            }
        }
        MaintenanceCommand::List { from, to, json } => {
            let store = table_store().await?;
            let today = jiff::Timestamp::now()
                .to_zoned(jiff::tz::TimeZone::UTC)
                .date();
            let from = from.unwrap_or(today);
            let to = to.unwrap_or_else(|| from.saturating_add(jiff::Span::new().days(30)));
            if from > to {
                return Err(CliError::Usage(format!("--from {from} is after --to {to}")));
            }
            let start = from
                .to_zoned(jiff::tz::TimeZone::UTC)
                .map(|z| z.timestamp());
            let end = to
                .tomorrow()
                .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC))
                .map(|z| z.timestamp());
            let (Ok(start), Ok(end)) = (start, end) else {
                return Err(CliError::Usage("dates out of range".into()));
            };
            let records = store.maintenances_between(start, end).await?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&records).unwrap_or_default()
                );
            } else if records.is_empty() {
                println!("no maintenance from {from} to {to}");
            } else {
                for r in &records {
                    let when = |s: i64| {
                        jiff::Timestamp::from_second(s)
                            .map(|t| t.strftime("%Y-%m-%d %H:%M").to_string())
                            .unwrap_or_default()
                    };
                    let circuits: Vec<String> = r
                        .circuits
                        .iter()
                        .map(|c| format!("{} {}", c.circuit_id, impact_name(c.impact)))
                        .collect();
                    println!(
                        "{} to {} UTC  {:<12} {:<14} {:<20} {}",
                        when(r.start),
                        when(r.end),
                        status_name(r.status),
                        r.provider,
                        r.maintenance_id,
                        circuits.join(", ")
                    );
                }
            }
            Ok(())
        }
        MaintenanceCommand::Review { json } => {
            let store = table_store().await?;
            let items = store.reviews().await?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&items).unwrap_or_default()
                );
            } else if items.is_empty() {
                println!("no mail needs review");
            } else {
                for i in &items {
                    println!(
                        "{}  {}  s3://{}/{}  from {}  {:?}\n    {}",
                        i.received_at.strftime("%Y-%m-%d %H:%M UTC"),
                        i.id,
                        i.bucket,
                        i.key,
                        i.from.as_deref().unwrap_or("?"),
                        i.subject.as_deref().unwrap_or(""),
                        i.reason
                    );
                }
            }
            Ok(())
        }
        MaintenanceCommand::Reviewed { id, note } => {
            let (id, note) = (id.trim(), note.trim());
            if id.is_empty() || id.len() > 200 || id.chars().any(char::is_control) {
                return Err(CliError::Usage(format!("not a review item id: {id:?}")));
            }
            if note.is_empty() {
                return Err(CliError::Usage(
                    "--note must say what was done about the mail".into(),
                ));
            }
            let store = table_store().await?;
            let audit = AuditEntry::new(
                jiff::Timestamp::now(),
                operator(),
                "maintenance.reviewed",
                format!("review/{id}"),
                note,
                format!("cli:{}", uuid::Uuid::new_v4().simple()),
            );
            if store.review_done(id, &audit).await? {
                println!("review item {id} is off the list");
                Ok(())
            } else {
                Err(CliError::Usage(format!(
                    "no mail on the review list has id {id:?} (see `clinic maintenance review`)"
                )))
            }
        }
    }
}
