//! `clinic notice alert|notice|ok <words> --as <person>` and `clinic notice show`: the same grammar
//! and service as the chat commands and the web form; the operator (`cli:$USER`) is recorded as the
//! actor beside the person whose notice it is.

use clap::{Args, Subcommand};

use crate::notices::{self, Command, NoticeError, Poster, Via};
use crate::rotation::roster::PersonId;

use super::error::CliError;
use super::operator::operator;
use super::roster::RosterArg;
use super::table::table_store;

#[derive(Subcommand, Debug)]
pub(super) enum NoticeCommand {
    /// Post an alert (something is broken now): `<text> [T123] [for 4h|2d]`.
    Alert(PostArgs),
    /// Post a notice (worth knowing): `<text> [T123] [for 4h|2d]`.
    Notice(PostArgs),
    /// Clear the notice standing, with an optional word on why.
    Ok(OkArgs),
    /// Print the notice standing, if any (needs CLINIC_TABLE).
    Show {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args, Debug)]
pub(super) struct PostArgs {
    /// The text, then optionally the task (`T123`) and the expiry (`for 4h`, `for 2d`).
    #[arg(required = true, num_args = 1..)]
    words: Vec<String>,
    #[command(flatten)]
    who: Who,
}

#[derive(Args, Debug)]
pub(super) struct OkArgs {
    words: Vec<String>,
    #[command(flatten)]
    who: Who,
}

#[derive(Args, Debug)]
struct Who {
    /// The roster person posting (must be in the roster's [notices] allow).
    #[arg(long = "as", value_name = "PERSON")]
    person: String,
    #[command(flatten)]
    roster: RosterArg,
}

pub(super) async fn run(command: NoticeCommand) -> Result<(), CliError> {
    let (verb, words, who) = match command {
        NoticeCommand::Show { json } => return show(json).await,
        NoticeCommand::Alert(args) => ("alert", args.words, args.who),
        NoticeCommand::Notice(args) => ("notice", args.words, args.who),
        NoticeCommand::Ok(args) => ("ok", args.words, args.who),
    };
    let line = std::iter::once(verb.to_owned())
        .chain(words)
        .collect::<Vec<_>>()
        .join(" ");
    let command = Command::parse(&line).map_err(|e| CliError::Usage(e.to_string()))?;
    let roster = who.roster.load()?;
    let person = PersonId::parse(&who.person)
        .ok()
        .filter(|id| roster.person(id).is_some())
        .ok_or_else(|| CliError::Usage(format!("--as {:?} is nobody on the roster", who.person)))?;
    let store = table_store().await?;
    let actor = operator();
    let cause = format!("cli:{}", uuid::Uuid::new_v4().simple());
    let poster = Poster {
        person: &person,
        via: Via::Cli,
        actor: &actor,
        cause: &cause,
    };
    let now = jiff::Timestamp::now();
    match notices::run(&store, roster.notices(), &poster, &command, None, now).await {
        Ok(posted) => {
            println!("{}", posted.reply(now));
            Ok(())
        }
        Err(e @ NoticeError::NotAllowed(_)) => Err(CliError::Usage(e.to_string())),
        Err(NoticeError::Store(e)) => Err(e.into()),
        Err(e @ NoticeError::Contended) => Err(CliError::Aws(e.to_string())),
    }
}

async fn show(json: bool) -> Result<(), CliError> {
    let store = table_store().await?;
    let now = jiff::Timestamp::now();
    let current = notices::current(&store, now).await?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&current).unwrap_or_else(|_| "null".into())
        );
        return Ok(());
    }
    match current {
        Some(notice) => println!("{}", notice.line(None, now)),
        None => println!("no notice stands"),
    }
    Ok(())
}
