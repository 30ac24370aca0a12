//! What Clinic's black-box tests share: the local AWS stack (moto server on loopback, started once per
//! test binary and stopped with it), a fresh table per test, the whole table as text (`table_items`),
//! and readers for what moto received.

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};

use clinic::adapters::dynamo::{DynamoStore, TableName};

pub mod call_log;
pub mod failing_mailer;
pub mod fault_proxy;
pub mod incident_rig;
pub mod slack_fake;
pub mod statuspage_fake;
pub mod synapse;
mod table_items;
pub mod team_year;
pub mod victorops_api_fake;
pub mod web_browser;

pub use table_items::table_items;

/// The repository's root (this crate lives in `tests/`).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

struct Stack {
    url: String,
    // Held so the server lives as long as the test binary; it also exits with its parent.
    _child: Mutex<Child>,
}

static STACK: OnceLock<Stack> = OnceLock::new();

fn stack_python() -> PathBuf {
    std::env::var_os("CLINIC_STACK_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".venv/bin/python"))
}

/// With `CLINIC_STACK_INDEXED_QUERIES=1` the stack's Queries walk the partition they name instead of
/// the whole table (`moto_stack.py --indexed-queries`): the same answers, at DynamoDB's cost shape.
/// `make test` runs the brief's tests both ways; `make bench` measures the brief both ways.
pub fn indexed_queries() -> bool {
    std::env::var_os("CLINIC_STACK_INDEXED_QUERIES").is_some_and(|v| v == "1")
}

fn start_stack() -> Stack {
    let python = stack_python();
    assert!(
        python.exists(),
        "the local stack needs {} with moto installed: run `make test` (it creates the venv)",
        python.display()
    );
    let mut command = Command::new(&python);
    command
        .arg(repo_root().join("tests/stack/moto_stack.py"))
        .arg("--exit-with-parent");
    if indexed_queries() {
        command.arg("--indexed-queries");
    }
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start moto server with {}: {e}", python.display()));
    let stdout = child.stdout.take().expect("piped stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("moto server printed nothing");
    let url = line
        .trim()
        .strip_prefix("ready ")
        .unwrap_or_else(|| panic!("moto server did not start: {line:?}"))
        .to_owned();
    Stack {
        url,
        _child: Mutex::new(child),
    }
}

/// A child process of a test names the stack its parent started (see [`endpoint`]).
pub const STACK_URL_VARIABLE: &str = "CLINIC_TEST_STACK_URL";

/// The local stack's endpoint URL, starting it on first use; a test's child process given
/// [`STACK_URL_VARIABLE`] uses its parent's stack instead.
pub fn endpoint() -> &'static str {
    static GIVEN: OnceLock<Option<String>> = OnceLock::new();
    if let Some(url) = GIVEN.get_or_init(|| std::env::var(STACK_URL_VARIABLE).ok()) {
        return url;
    }
    &STACK.get_or_init(start_stack).url
}

/// A unique name for this test's table, so tests never see each other's items.
pub fn unique_table(prefix: &str) -> TableName {
    let suffix = uuid_like();
    TableName::parse(&format!("{prefix}-{suffix}")).expect("valid table name")
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!("{}-{n}-{nanos}", std::process::id())
}

/// SDK configuration pointed at the local stack with test credentials.
pub async fn sdk_config() -> aws_config::SdkConfig {
    let credentials =
        aws_sdk_dynamodb::config::Credentials::new("test", "test", None, None, "clinic-tests");
    clinic::adapters::sdk::loader()
        .endpoint_url(endpoint())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(credentials)
        .load()
        .await
}

/// SDK configuration built as the functions build theirs (`settings`: the endpoint, the region, the
/// call budget), with test credentials; without an endpoint, the local stack's.
pub async fn sdk_config_for(
    settings: &clinic::adapters::sdk::AwsSettings,
) -> aws_config::SdkConfig {
    let credentials =
        aws_sdk_dynamodb::config::Credentials::new("test", "test", None, None, "clinic-tests");
    let mut loader = clinic::adapters::sdk::loader_for(settings).credentials_provider(credentials);
    if settings.endpoint_url.is_none() {
        loader = loader.endpoint_url(endpoint());
    }
    if settings.region.is_none() {
        loader = loader.region(aws_config::Region::new("us-east-1"));
    }
    loader.load().await
}

/// A fresh table created from Clinic's own definition.
pub async fn fresh_store(prefix: &str) -> DynamoStore {
    let sdk = sdk_config().await;
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    let table = unique_table(prefix);
    clinic::adapters::dynamo::table::create(&client, &table)
        .await
        .expect("create table");
    DynamoStore::new(client, table)
}

/// The same table as `direct`, reached through a fault proxy in front of the local stack, with a
/// webhook's call budget as deployed.
pub async fn behind_proxy(direct: &DynamoStore) -> (DynamoStore, fault_proxy::FaultProxy) {
    let proxy = fault_proxy::FaultProxy::start(endpoint()).await;
    let settings = clinic::adapters::sdk::AwsSettings {
        endpoint_url: Some(clinic::http_url::HttpUrl::parse(&proxy.url()).expect("a URL")),
        region: Some("us-east-1".into()),
        ..clinic::adapters::sdk::AwsSettings::default()
    };
    let client = clinic::adapters::sdk::dynamodb(&sdk_config_for(&settings).await);
    (DynamoStore::new(client, direct.table().clone()), proxy)
}

/// Registers a sender with SES v2 on the local stack.
pub async fn verified_sender(address: &str) -> aws_sdk_sesv2::Client {
    let client = aws_sdk_sesv2::Client::new(&sdk_config().await);
    let result = client
        .create_email_identity()
        .email_identity(address)
        .send()
        .await;
    if let Err(e) = result {
        assert!(
            e.as_service_error()
                .is_some_and(|e| e.is_already_exists_exception()),
            "create identity: {e:?}"
        );
    }
    client
}

/// A message as moto's SES recorded it.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    pub source: String,
    pub destinations: Vec<String>,
    pub raw: String,
}

/// Every raw message the local SES has accepted so far (all tests of this binary share the server, so
/// callers filter by a recipient or subject of their own).
pub async fn received_mail() -> Vec<ReceivedMail> {
    let url = format!("{}/moto-api/data.json", endpoint());
    let data: serde_json::Value = reqwest::get(&url)
        .await
        .expect("moto data")
        .json()
        .await
        .expect("moto data is JSON");
    data["ses"]["RawMessage"]
        .as_array()
        .map(|messages| {
            messages
                .iter()
                .map(|m| ReceivedMail {
                    source: m["source"].as_str().unwrap_or_default().to_owned(),
                    destinations: m["destinations"]
                        .as_array()
                        .map(|d| {
                            d.iter()
                                .filter_map(|v| v.as_str().map(str::to_owned))
                                .collect()
                        })
                        .unwrap_or_default(),
                    raw: m["raw_data"].as_str().unwrap_or_default().to_owned(),
                })
                .collect()
        })
        .unwrap_or_default()
}
pub mod conduit_fake;
pub mod triage_rig;

/// Counts the DynamoDB requests a client sends, by operation name (`Query`, `GetItem`, ...), so tests
/// and the bench can hold code to a number of requests.
#[derive(Debug, Default)]
pub struct RequestCounter {
    seen: Mutex<Vec<String>>,
}

impl RequestCounter {
    /// The operations sent since the last call, in order.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.seen.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

#[derive(Debug)]
struct Counting(std::sync::Arc<RequestCounter>);

impl aws_sdk_dynamodb::config::Intercept for Counting {
    fn name(&self) -> &'static str {
        "clinic-tests request counter"
    }

    fn read_before_transmit(
        &self,
        context: &aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef<'_>,
        _components: &aws_sdk_dynamodb::config::RuntimeComponents,
        _cfg: &mut aws_sdk_dynamodb::config::ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        // The JSON protocol names the operation in X-Amz-Target: `DynamoDB_20120810.Query`.
        let target = context
            .request()
            .headers()
            .get("x-amz-target")
            .and_then(|t| t.rsplit('.').next())
            .unwrap_or("?")
            .to_owned();
        self.0
            .seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(target);
        Ok(())
    }
}

/// A fresh table, and a store on it whose every DynamoDB request is counted.
pub async fn fresh_counted_store(prefix: &str) -> (DynamoStore, std::sync::Arc<RequestCounter>) {
    let plain = fresh_store(prefix).await;
    let counter = std::sync::Arc::new(RequestCounter::default());
    let config = aws_sdk_dynamodb::config::Builder::from(&sdk_config().await)
        .interceptor(Counting(counter.clone()))
        .build();
    let store = DynamoStore::new(
        aws_sdk_dynamodb::Client::from_conf(config),
        plain.table().clone(),
    );
    (store, counter)
}

/// `clinic serve`'s server on a free loopback port, serving `routes` until [`Served::stop`].
pub struct Served {
    pub address: std::net::SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<()>,
}

impl Served {
    pub async fn start(routes: clinic::functions::http::Routes) -> Self {
        let (listener, address) =
            clinic::cli::serve::bind("127.0.0.1:0".parse().expect("an address"))
                .await
                .expect("bind a loopback port");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(clinic::cli::serve::serve(
            listener,
            std::sync::Arc::new(routes),
            async {
                let _ = stopped.await;
            },
        ));
        Self {
            address,
            stop,
            server,
        }
    }

    /// Stops the server and checks it ended cleanly.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        self.server.await.expect("the server task");
    }
}

/// The S3 notification Lambda gets when SES stores mail `key` (`size` bytes) in `bucket`: what the
/// maintenance-mail function is invoked with (a key's spaces arrive as `+`, as S3 encodes them).
pub fn s3_event(bucket: &str, key: &str, size: usize) -> aws_lambda_events::s3::S3Event {
    let encoded = key.replace(' ', "+");
    serde_json::from_value(serde_json::json!({
        "Records": [{
            "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
            "eventTime": "2027-01-05T14:03:11.977Z", "eventName": "ObjectCreated:Put",
            "userIdentity": {"principalId": "AWS:ses"}, "requestParameters": {"sourceIPAddress": "127.0.0.1"},
            "responseElements": {"x-amz-request-id": format!("req-{key}"), "x-amz-id-2": "x"},
            "s3": {"s3SchemaVersion": "1.0", "configurationId": "inbound",
                   "bucket": {"name": bucket, "ownerIdentity": {"principalId": "o"}, "arn": format!("arn:aws:s3:::{bucket}")},
                   "object": {"key": encoded, "size": size, "eTag": "e", "sequencer": "1"}}
        }]
    }))
    .expect("a valid S3 event")
}
