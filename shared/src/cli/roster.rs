//! The roster file: the `--roster` argument every planning command takes (falling back to
//! CLINIC_ROSTER), and `clinic roster check`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::functions::rotation::StartupError;
use crate::reviewed_file::ReviewedFile as _;
use crate::rotation::roster::Roster;

use super::error::CliError;

#[derive(Subcommand, Debug)]
pub(super) enum RosterCommand {
    /// Validate a roster file and list every problem.
    Check(RosterArg),
}

#[derive(Args, Debug)]
pub(super) struct RosterArg {
    /// The roster TOML file (default: $CLINIC_ROSTER).
    #[arg(long)]
    roster: Option<PathBuf>,
}

impl RosterArg {
    pub(super) fn load(&self) -> Result<Roster, CliError> {
        let path = match &self.roster {
            Some(path) => path.clone(),
            None => std::env::var_os(crate::config::vars::ROSTER)
                .map(PathBuf::from)
                .ok_or_else(|| CliError::Usage("give --roster FILE or set CLINIC_ROSTER".into()))?,
        };
        Ok(Roster::load(&path).map_err(StartupError::from)?)
    }
}

pub(super) fn run(command: RosterCommand) -> Result<(), CliError> {
    match command {
        RosterCommand::Check(args) => {
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
    }
}
