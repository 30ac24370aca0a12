//! `clinic invoke`: one function's handler run here on an event file, with the configuration the
//! Lambda would read, printing its report or answer.

use std::path::PathBuf;

use clap::Args;

use crate::config::{
    FromVariables as _, MaintenanceMailConfig, PhabricatorWebhookConfig, RotationConfig,
    VictorOpsWebhookConfig,
};
use crate::functions::rotation::RotationFunction;
use crate::functions::victorops_webhook::VictorOpsFunction;

use super::error::CliError;

#[derive(Args, Debug)]
pub(super) struct InvokeArgs {
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
    /// The clock (default: now), RFC 3339: for a replayed HTTP event (victorops-webhook,
    /// phabricator-webhook), or the rotation job's now (its mails' Date, its audit entries).
    #[arg(long)]
    at: Option<jiff::Timestamp>,
}

pub(super) async fn run(args: InvokeArgs) -> Result<(), CliError> {
    let text = std::fs::read_to_string(&args.event).map_err(|source| CliError::Read {
        path: args.event.display().to_string(),
        source,
    })?;
    let event: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| CliError::Usage(format!("{} is not JSON: {e}", args.event.display())))?;
    match args.function.as_str() {
        "rotation" => {
            let config = RotationConfig::from_env()?;
            let function = match args.at {
                Some(at) => {
                    let clock = std::sync::Arc::new(crate::clock::ManualClock::at(at));
                    RotationFunction::from_config_with_clock(&config, clock).await?
                }
                None => RotationFunction::from_config(&config).await?,
            };
            let report = function.dispatch(event).await.map_err(CliError::from)?;
            print_report(&report, report.summary(), args.json);
            Ok(())
        }
        "maintenance-mail" => {
            let config = MaintenanceMailConfig::from_env()?;
            let function =
                crate::functions::maintenance_mail::MaintenanceFunction::from_config(&config)
                    .await?;
            let report = function.handle(event).await.map_err(CliError::from)?;
            print_report(&report, report.summary(), args.json);
            Ok(())
        }
        "phabricator-webhook" => {
            let config = PhabricatorWebhookConfig::from_env()?;
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
            let config = VictorOpsWebhookConfig::from_env()?;
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
