//! `clinic status`: the brief (who is on duty, tasks, incidents, maintenance, mail that needs
//! someone) as text in UTC and an optional zone, or as JSON.

use clap::Args;

use crate::config::{BriefConfig, FromVariables as _};

use super::error::CliError;

#[derive(Args, Debug)]
pub(super) struct StatusArgs {
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

pub(super) async fn run(args: StatusArgs) -> Result<(), CliError> {
    let zone =
        crate::brief::zone(args.zone.as_deref()).map_err(|e| CliError::Usage(e.to_string()))?;
    let config = BriefConfig::from_env()?;
    let settings = config.brief.settings()?;
    let store = super::table::open_table(&config.table).await;
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
