//! `clinic maintenance`: vendor notices parsed offline (by `maintenance_parse.rs`), the stored
//! maintenances of a date range, and the review list of mails that could not be parsed.

use std::path::PathBuf;

use clap::Subcommand;

use crate::audit::AuditEntry;

use super::error::CliError;
use super::maintenance_parse;
use super::operator::operator;
use super::table::table_store;

/// How `maintenance parse` prints its results.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub(super) enum ParseFormat {
    Human,
    Json,
}

#[derive(Subcommand, Debug)]
pub(super) enum MaintenanceCommand {
    /// Parse e-mails (no AWS): one file prints its JSON list; several print {path: list or {"error"}}.
    Parse {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// `human` (the default on a terminal): times in UTC, failures on stderr, exit status 1
        /// when any file failed. `json` (the default otherwise): one file's list, or several
        /// files' {path: list or {"error"}}, exit status 0 unless a file could not be read.
        #[arg(long, value_enum)]
        format: Option<ParseFormat>,
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
    /// Check a circuits file (vendor circuit id -> site, service, redundancy group; no AWS).
    Circuits { file: PathBuf },
    /// The stored maintenances of a date range through a circuits file: redundancy groups that
    /// lose every circuit at once (an outage no single notice announces), and circuits the file
    /// does not know (needs CLINIC_TABLE).
    Outages {
        #[arg(long)]
        circuits: PathBuf,
        /// First day, UTC (default: today).
        #[arg(long)]
        from: Option<jiff::civil::Date>,
        /// Last day, UTC, inclusive (default: 30 days after --from).
        #[arg(long)]
        to: Option<jiff::civil::Date>,
    },
    /// Record that you looked at a stored maintenance (audited; the brief and the calendar show it;
    /// needs CLINIC_TABLE).
    Ack {
        /// `provider/id`, as `maintenance list` prints them.
        maintenance: String,
        /// What you found or did (kept with it and in the audit log).
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Confirm a stored maintenance after checking it against its mail (a generic reading is
    /// marked unverified until then), correcting its window or status; audited (needs CLINIC_TABLE).
    Confirm {
        /// `provider/id`, as `maintenance list` prints them.
        maintenance: String,
        /// The real start (RFC 3339, e.g. 2026-05-07T16:00:00Z); give --end with it.
        #[arg(long)]
        start: Option<jiff::Timestamp>,
        /// The real end (RFC 3339); give --start with it.
        #[arg(long)]
        end: Option<jiff::Timestamp>,
        /// The real status: scheduled, tentative, rescheduled, in-progress, completed, cancelled.
        #[arg(long, value_parser = super::confirm::status_word)]
        status: Option<crate::maintenance::Status>,
        /// What you checked (kept in the audit log).
        #[arg(long, default_value = "")]
        note: String,
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

pub(super) async fn run(command: MaintenanceCommand) -> Result<(), CliError> {
    use crate::maintenance::lifecycle::{impact_name, status_name};
    use crate::maintenance::ports::MaintenanceLedger;
    match command {
        MaintenanceCommand::Parse { files, format } => {
            use std::io::IsTerminal as _;
            let format = format.unwrap_or(if std::io::stdout().is_terminal() {
                ParseFormat::Human
            } else {
                ParseFormat::Json
            });
            let (text, code) = match format {
                ParseFormat::Json => maintenance_parse::parse_files_cli(&files),
                ParseFormat::Human => maintenance_parse::parse_files_human(&files),
            };
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
            let (from, to, start, end) = day_range(from, to)?;
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
        MaintenanceCommand::Circuits { file } => super::circuits::check(&file),
        MaintenanceCommand::Outages { circuits, from, to } => {
            let circuits = super::circuits::load(&circuits)?;
            let (from, to, start, end) = day_range(from, to)?;
            let store = table_store().await?;
            let records = store.maintenances_between(start, end).await?;
            print!("{}", super::circuits::report(&records, &circuits, from, to));
            Ok(())
        }
        MaintenanceCommand::Ack { maintenance, note } => {
            super::circuits::acknowledge(&maintenance, &note).await
        }
        MaintenanceCommand::Confirm {
            maintenance,
            start,
            end,
            status,
            note,
        } => super::confirm::confirm(&maintenance, start, end, status, &note).await,
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

/// `--from`/`--to` as days and as the instants bounding them: today and 30 days on by default.
fn day_range(
    from: Option<jiff::civil::Date>,
    to: Option<jiff::civil::Date>,
) -> Result<
    (
        jiff::civil::Date,
        jiff::civil::Date,
        jiff::Timestamp,
        jiff::Timestamp,
    ),
    CliError,
> {
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
    Ok((from, to, start, end))
}
