//! The Statuspage fake as a process, for `make demo`: prints `ready <base url>` and serves until
//! killed; `GET /_fake/calls` lists the calls it received.

use clinic_tests::statuspage_fake::StatuspageFake;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(page), Some(key)) = (args.next(), args.next()) else {
        eprintln!("usage: statuspage-fake PAGE_ID API_KEY");
        std::process::exit(2);
    };
    let fake = StatuspageFake::start(&page, &key).await;
    println!("ready {}", fake.base_url());
    std::future::pending::<()>().await;
}
