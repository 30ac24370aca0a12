//! `clinic audit`: the audit log of a range of UTC days, as lines or JSON (needs CLINIC_TABLE).

use std::io::Write as _;

use clap::Args;

use crate::audit::{AuditLog, format_line};

use super::error::CliError;
use super::table::table_store;

#[derive(Args, Debug)]
pub(super) struct AuditArgs {
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

pub(super) async fn run(args: AuditArgs) -> Result<(), CliError> {
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
