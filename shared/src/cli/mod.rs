//! The `clinic` command: planning from a roster file offline, and operating the table (overrides,
//! audit, local set-up, invoking a handler) through the same code the functions run. This file is
//! the parser's root and the dispatch; each command group has its own file beside it.

pub mod maintenance_parse;
pub mod serve;

mod audit;
mod circuits;
mod confirm;
mod downtime;
mod error;
mod invoke;
mod maintenance;
mod notice;
mod oncall;
mod operator;
mod plan_input;
mod roster;
mod rotation;
mod serve_command;
mod setup;
mod status;
mod table;

use clap::{Parser, Subcommand};

pub use error::{CliError, describe};
pub use rotation::plan_table;

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
    Rotation(rotation::RotationCommand),
    /// Check a roster file.
    #[command(subcommand)]
    Roster(roster::RosterCommand),
    /// List the audit log (needs CLINIC_TABLE).
    Audit(audit::AuditArgs),
    /// Local set-up of the table and the sender identity (needs CLINIC_TABLE, AWS_ENDPOINT_URL for a local stack).
    #[command(subcommand)]
    Setup(setup::SetupCommand),
    /// Run a function's handler here, on an event file, with the same configuration variables as Lambda.
    Invoke(invoke::InvokeArgs),
    /// Vendor maintenance notices: parse mails, list what is stored, review what could not be parsed.
    #[command(subcommand)]
    Maintenance(maintenance::MaintenanceCommand),
    /// Planned downtime of our own services (needs the victorops-webhook configuration).
    #[command(subcommand)]
    Downtime(downtime::DowntimeCommand),
    /// Serve the webhooks (POST /hooks/phabricator) over HTTP through the functions' own handlers, with
    /// the same configuration variables as Lambda; stops on Ctrl-C or SIGTERM.
    Serve(serve_command::ServeArgs),
    /// Notices people post (`alert`, `notice`, `ok` with --as PERSON; `show`): the line at the top
    /// of the brief, the pages and the channel topic (needs CLINIC_TABLE and the roster).
    #[command(subcommand)]
    Notice(notice::NoticeCommand),
    /// Print the brief: who is on duty, tasks, incidents, maintenance and mail that need someone
    /// (needs CLINIC_TABLE; CLINIC_TRIAGE_RULES and PHABRICATOR_URL when set).
    Status(status::StatusArgs),
}

impl Cli {
    /// Whether this is `clinic serve` (a server, which must outlive its clients' connections).
    pub fn serves(&self) -> bool {
        matches!(self.command, Command::Serve(_))
    }
}

/// Runs the command; the binary maps the error to a message and exit status 1 (2 for usage).
pub async fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Rotation(command) => rotation::run(command).await,
        Command::Roster(command) => roster::run(command),
        Command::Audit(args) => audit::run(args).await,
        Command::Setup(command) => setup::run(command).await,
        Command::Invoke(args) => invoke::run(args).await,
        Command::Maintenance(command) => maintenance::run(command).await,
        Command::Downtime(command) => downtime::run(command).await,
        Command::Serve(args) => serve_command::run(args).await,
        Command::Status(args) => status::run(args).await,
        Command::Notice(command) => notice::run(command).await,
    }
}
