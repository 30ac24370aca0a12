//! The `clinic` command line; everything it does lives in `clinic::cli`.

use std::process::ExitCode;

use clap::Parser as _;

#[tokio::main]
async fn main() -> ExitCode {
    clinic::functions::lambda::init_tracing();
    let cli = clinic::cli::Cli::parse();
    match clinic::cli::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(clinic::cli::CliError::Reported(code)) => {
            ExitCode::from(u8::try_from(code).unwrap_or(1))
        }
        Err(error) => {
            eprintln!("clinic: {}", clinic::cli::describe(&error));
            if matches!(error, clinic::cli::CliError::Usage(_)) {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
