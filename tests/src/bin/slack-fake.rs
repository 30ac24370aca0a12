//! The Slack fake as a process, for the demo and hand runs: `slack-fake TOKEN [--channel ID[=NAME]]...
//! [--usergroup ID]...` prints `ready <api base url>` and serves until killed; `/_fake/state` shows
//! what it holds and `/_fake/faults` makes it misbehave (see `clinic_tests::slack_fake`).

use clinic_tests::slack_fake::SlackFake;

fn usage() -> ! {
    eprintln!("usage: slack-fake TOKEN [--channel ID[=NAME]]... [--usergroup ID]...");
    std::process::exit(2);
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let Some(token) = args.next().filter(|t| !t.starts_with("--")) else {
        usage();
    };
    let fake = SlackFake::start(&token).await;
    while let Some(flag) = args.next() {
        let Some(value) = args.next() else { usage() };
        match flag.as_str() {
            "--channel" => {
                let (id, name) = value.split_once('=').unwrap_or((&value, &value));
                fake.add_channel(id, &name.to_ascii_lowercase(), true);
            }
            "--usergroup" => fake.add_usergroup(&value),
            _ => usage(),
        }
    }
    println!("ready {}", fake.base_url());
    std::future::pending::<()>().await;
}
