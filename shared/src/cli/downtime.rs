//! `clinic downtime`: scheduling planned downtime of our own services through the victorops-webhook's
//! desk (the window, its Statuspage maintenance and the announce mails).

use clap::{Args, Subcommand};

use crate::config::{FromVariables as _, VictorOpsWebhookConfig};
use crate::functions::victorops_webhook::VictorOpsFunction;

use super::error::CliError;
use super::operator::operator;

#[derive(Subcommand, Debug)]
pub(super) enum DowntimeCommand {
    /// Record a window, post a Statuspage scheduled maintenance, and have the announce mails sent
    /// 7 days ahead, 1 minute before the start and (with --mail-after) after the end.
    Schedule(DowntimeArgs),
}

#[derive(Args, Debug)]
pub(super) struct DowntimeArgs {
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

pub(super) async fn run(command: DowntimeCommand) -> Result<(), CliError> {
    match command {
        DowntimeCommand::Schedule(args) => schedule(args).await,
    }
}

async fn schedule(args: DowntimeArgs) -> Result<(), CliError> {
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
    let config = VictorOpsWebhookConfig::from_env()?;
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
