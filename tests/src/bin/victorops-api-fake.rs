//! The VictorOps API fake as a process, for `make demo`: reads its team, policies, rotations and
//! clock from a JSON file, prints `ready <base url>` and serves until killed; `GET /_fake/calls`
//! lists the calls it received, `GET /_fake/overrides` the scheduled overrides it holds.

use clinic_tests::victorops_api_fake::{FakeSetup, VictorOpsApiFake};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(id), Some(key), Some(path)) = (args.next(), args.next(), args.next()) else {
        eprintln!("usage: victorops-api-fake API_ID API_KEY SETUP.json");
        std::process::exit(2);
    };
    let setup: FakeSetup = match std::fs::read_to_string(&path)
        .map_err(|e| e.to_string())
        .and_then(|text| serde_json::from_str(&text).map_err(|e| e.to_string()))
    {
        Ok(setup) => setup,
        Err(e) => {
            eprintln!("victorops-api-fake: cannot read {path}: {e}");
            std::process::exit(2);
        }
    };
    let fake = VictorOpsApiFake::start(&id, &key, setup).await;
    println!("ready {}", fake.base_url());
    std::future::pending::<()>().await;
}
