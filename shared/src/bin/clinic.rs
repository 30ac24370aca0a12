//! The `clinic` command line; everything it does lives in `clinic::cli`.

use std::process::ExitCode;

use clap::Parser as _;

#[tokio::main]
async fn main() -> ExitCode {
    clinic::functions::lambda::init_tracing();
    let cli = clinic::cli::Cli::parse();
    if !cli.serves() {
        restore_sigpipe();
    }
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

/// Rust ignores SIGPIPE, so a write to a closed pipe (`clinic audit | head`) is an error, and
/// `println!` panics on it. A command's output ends where its reader stopped, as it does for
/// coreutils: the default action comes back and the process ends quietly on the signal. Not for
/// `clinic serve`, whose sockets must survive a client that goes away.
fn restore_sigpipe() {
    // SAFETY: called once at start, before any thread of ours writes; SIG_DFL is a valid action.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
