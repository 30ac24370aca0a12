//! A real Matrix homeserver for the tests: Synapse (PyPI `matrix-synapse`, pinned in the Makefile,
//! in `.venv-synapse`) on a free loopback port, with SQLite in a temporary directory, no
//! federation, no outbound network and rate limits a test can lower. Users are registered through
//! the admin API's shared-secret registration and logged in; rooms are made and joined through the
//! client-server API. One homeserver per test binary ([`shared`]), each test its own users and
//! rooms; it is killed when its [`Synapse`] is dropped, and by its launcher when the test process
//! ends (also after a panic).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use serde_json::{Value, json};

/// Synapse's default server name in the tests: user ids are `@name:clinic.test`.
pub const SERVER_NAME: &str = "clinic.test";
const SHARED_SECRET: &str = "clinic-tests-registration-shared-secret";
const STARTUP: Duration = Duration::from_secs(90);

/// Rate limits of a homeserver ([`SynapseOptions::rc_message`]: Synapse's `rc_message`).
#[derive(Debug, Clone, Copy)]
pub struct SynapseOptions {
    /// Messages (any event sent) a second per user, and the burst allowed.
    pub rc_message: (f64, u32),
}

impl Default for SynapseOptions {
    /// Generous: the tests' own traffic is never limited unless a test asks for it
    /// ([`Synapse::limit_messages`]).
    fn default() -> Self {
        Self {
            rc_message: (1000.0, 1000),
        }
    }
}

/// A running homeserver.
pub struct Synapse {
    url: String,
    dir: PathBuf,
    child: Mutex<Child>,
    admin: MatrixUser,
    http: reqwest::Client,
}

/// A registered, logged-in user.
#[derive(Debug, Clone)]
pub struct MatrixUser {
    pub user_id: String,
    pub access_token: String,
}

impl Drop for Synapse {
    fn drop(&mut self) {
        let mut child = self.child.lock().unwrap_or_else(|e| e.into_inner());
        let _ = child.kill();
        let _ = child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The Python with Synapse installed: `CLINIC_SYNAPSE_PYTHON` (a checkout sharing another's venv),
/// else the checkout's `.venv-synapse` that `make venv` makes.
fn venv_python() -> PathBuf {
    std::env::var_os("CLINIC_SYNAPSE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::repo_root().join(".venv-synapse/bin/python"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn config_yaml(dir: &Path, port: u16, options: &SynapseOptions) -> String {
    let d = dir.display();
    let (per_second, burst) = options.rc_message;
    let generous = "{per_second: 1000, burst_count: 1000}";
    format!(
        r#"server_name: "{SERVER_NAME}"
pid_file: "{d}/homeserver.pid"
public_baseurl: "http://127.0.0.1:{port}/"
listeners:
  - port: {port}
    bind_addresses: ["127.0.0.1"]
    type: http
    tls: false
    x_forwarded: false
    resources:
      - names: [client]
        compress: false
database:
  name: sqlite3
  args:
    database: "{d}/homeserver.db"
log_config: "{d}/log.yaml"
media_store_path: "{d}/media"
signing_key_path: "{d}/signing.key"
registration_shared_secret: "{SHARED_SECRET}"
enable_registration: false
report_stats: false
enable_metrics: false
trusted_key_servers: []
suppress_key_server_warning: true
federation_domain_whitelist: []
allow_public_rooms_over_federation: false
url_preview_enabled: false
presence:
  enabled: false
rc_message: {{per_second: {per_second}, burst_count: {burst}}}
rc_registration: {generous}
rc_login:
  address: {generous}
  account: {generous}
  failed_attempts: {generous}
rc_joins:
  local: {generous}
  remote: {generous}
rc_invites:
  per_room: {generous}
  per_user: {generous}
  per_issuer: {generous}
rc_room_creation: {generous}
"#
    )
}

fn log_yaml(dir: &Path) -> String {
    format!(
        r#"version: 1
formatters:
  plain:
    format: "%(asctime)s %(levelname)s %(name)s %(message)s"
handlers:
  file:
    class: logging.FileHandler
    filename: "{}/homeserver.log"
    formatter: plain
root:
  level: WARNING
  handlers: [file]
disable_existing_loggers: false
"#,
        dir.display()
    )
}

/// The homeserver every test of this binary shares, started on first use.
pub async fn shared() -> &'static Synapse {
    static SHARED: OnceLock<Synapse> = OnceLock::new();
    static STARTING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    if let Some(synapse) = SHARED.get() {
        return synapse;
    }
    let _starting = STARTING.lock().await;
    if let Some(synapse) = SHARED.get() {
        return synapse;
    }
    let synapse = Synapse::start(SynapseOptions::default()).await;
    // A static is never dropped: the launcher's watchdog ends Synapse with the test process.
    SHARED.get_or_init(|| synapse)
}

impl Synapse {
    /// Starts a homeserver of its own with `options` (most tests use [`shared`]).
    pub async fn start(options: SynapseOptions) -> Self {
        let python = venv_python();
        assert!(
            python.exists(),
            "the Matrix tests need Synapse in {}: run `make venv` (it installs the pinned \
             matrix-synapse there)",
            python.display()
        );
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "clinic-synapse-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("media")).expect("create Synapse's directory");
        let port = free_port();
        let write = |name: &str, text: &str| {
            std::fs::File::create(dir.join(name))
                .and_then(|mut f| f.write_all(text.as_bytes()))
                .expect("write Synapse's configuration");
        };
        write("homeserver.yaml", &config_yaml(&dir, port, &options));
        write("log.yaml", &log_yaml(&dir));
        let stderr = std::fs::File::create(dir.join("stderr.log")).expect("Synapse's stderr file");
        let child = Command::new(&python)
            .arg(crate::repo_root().join("tests/stack/synapse_run.py"))
            .arg(dir.join("homeserver.yaml"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start Synapse with {}: {e}", python.display()));
        let url = format!("http://127.0.0.1:{port}");
        // No pooled connections: the homeserver outlives the test (and tokio runtime) that
        // started it, and a pooled connection would belong to that runtime.
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(0)
            .build()
            .expect("an HTTP client");
        let mut synapse = Self {
            url,
            dir,
            child: Mutex::new(child),
            admin: MatrixUser {
                user_id: String::new(),
                access_token: String::new(),
            },
            http,
        };
        synapse.wait_until_ready().await;
        synapse.admin = synapse.register("clinic-admin", true).await;
        synapse
    }

    async fn wait_until_ready(&self) {
        let started = Instant::now();
        let versions = format!("{}/_matrix/client/versions", self.url);
        loop {
            if let Ok(response) = self.http.get(&versions).send().await
                && response.status().is_success()
            {
                return;
            }
            let exited = self
                .child
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .try_wait()
                .ok()
                .flatten();
            if exited.is_some() || started.elapsed() > STARTUP {
                panic!(
                    "Synapse did not start ({}): {}\n{}",
                    exited.map_or("timed out".to_owned(), |s| s.to_string()),
                    self.log_tail("stderr.log"),
                    self.log_tail("homeserver.log")
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    fn log_tail(&self, name: &str) -> String {
        let text = std::fs::read_to_string(self.dir.join(name)).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// The homeserver's base URL (`CLINIC_MATRIX_HOMESERVER`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Calls the API as `token`; the status and the JSON answer.
    pub async fn request(
        &self,
        token: Option<&str>,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("Synapse answers");
        let status = response.status().as_u16();
        let value = response.json().await.unwrap_or(Value::Null);
        (status, value)
    }

    async fn ok(
        &self,
        token: Option<&str>,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Value {
        let (status, value) = self.request(token, method, path, body).await;
        assert!(
            (200..300).contains(&status),
            "Synapse {path}: HTTP {status}: {value}"
        );
        value
    }

    /// Registers `localpart` through `/_synapse/admin/v1/register` (a nonce, then the HMAC-SHA1
    /// of nonce, user, password and admin flag keyed with the shared secret) and logs in.
    async fn register(&self, localpart: &str, admin: bool) -> MatrixUser {
        let path = "/_synapse/admin/v1/register";
        let nonce = self.ok(None, reqwest::Method::GET, path, None).await["nonce"]
            .as_str()
            .expect("a nonce")
            .to_owned();
        let password = format!("{localpart}-password");
        let flag = if admin { "admin" } else { "notadmin" };
        let mut mac = Hmac::<sha1::Sha1>::new_from_slice(SHARED_SECRET.as_bytes()).expect("a key");
        mac.update(format!("{nonce}\0{localpart}\0{password}\0{flag}").as_bytes());
        let mac = hex::encode(mac.finalize().into_bytes());
        let body = json!({"nonce": nonce, "username": localpart, "password": password,
                          "admin": admin, "mac": mac});
        self.ok(None, reqwest::Method::POST, path, Some(body)).await;
        let login = json!({"type": "m.login.password",
                           "identifier": {"type": "m.id.user", "user": localpart},
                           "password": password});
        let answer = self
            .ok(
                None,
                reqwest::Method::POST,
                "/_matrix/client/v3/login",
                Some(login),
            )
            .await;
        MatrixUser {
            user_id: answer["user_id"].as_str().expect("a user id").to_owned(),
            access_token: answer["access_token"]
                .as_str()
                .expect("an access token")
                .to_owned(),
        }
    }

    /// A new user whose localpart starts with `prefix` (unique within the homeserver).
    pub async fn user(&self, prefix: &str) -> MatrixUser {
        static USERS: AtomicU64 = AtomicU64::new(0);
        let n = USERS.fetch_add(1, Ordering::Relaxed);
        self.register(&format!("{prefix}-{n}"), false).await
    }

    /// A private room `creator` makes, every one of `members` invited, joined and made a
    /// moderator (power level 50: what setting the topic takes in a private room); its id.
    pub async fn room(&self, creator: &MatrixUser, members: &[&MatrixUser]) -> String {
        let room = self.room_without_power(creator, members).await;
        let path = format!(
            "/_matrix/client/v3/rooms/{}/state/m.room.power_levels/",
            encode(&room)
        );
        let mut levels = self
            .ok(
                Some(&creator.access_token),
                reqwest::Method::GET,
                &path,
                None,
            )
            .await;
        for member in members {
            levels["users"][member.user_id.as_str()] = json!(50);
        }
        self.ok(
            Some(&creator.access_token),
            reqwest::Method::PUT,
            &path,
            Some(levels),
        )
        .await;
        room
    }

    /// A private room as [`Synapse::room`] makes it, its members left at power level 0.
    pub async fn room_without_power(
        &self,
        creator: &MatrixUser,
        members: &[&MatrixUser],
    ) -> String {
        let invite: Vec<&str> = members.iter().map(|m| m.user_id.as_str()).collect();
        let answer = self
            .ok(
                Some(&creator.access_token),
                reqwest::Method::POST,
                "/_matrix/client/v3/createRoom",
                Some(json!({"preset": "private_chat", "invite": invite})),
            )
            .await;
        let room = answer["room_id"].as_str().expect("a room id").to_owned();
        for member in members {
            self.ok(
                Some(&member.access_token),
                reqwest::Method::POST,
                &format!("/_matrix/client/v3/rooms/{}/join", encode(&room)),
                Some(json!({})),
            )
            .await;
        }
        room
    }

    /// `user` sends a text message to `room`, as a person's client does; its event id.
    pub async fn send_text(&self, user: &MatrixUser, room: &str, body: &str) -> String {
        static TXN: AtomicU64 = AtomicU64::new(0);
        let txn = format!("test-{}", TXN.fetch_add(1, Ordering::Relaxed));
        let answer = self
            .ok(
                Some(&user.access_token),
                reqwest::Method::PUT,
                &format!(
                    "/_matrix/client/v3/rooms/{}/send/m.room.message/{txn}",
                    encode(room)
                ),
                Some(json!({"msgtype": "m.text", "body": body})),
            )
            .await;
        answer["event_id"].as_str().expect("an event id").to_owned()
    }

    /// The room's `m.room.message` events, oldest first, as `user` sees them.
    pub async fn messages(&self, user: &MatrixUser, room: &str) -> Vec<Value> {
        let filter = encode(&json!({"types": ["m.room.message"]}).to_string());
        let answer = self
            .ok(
                Some(&user.access_token),
                reqwest::Method::GET,
                &format!(
                    "/_matrix/client/v3/rooms/{}/messages?dir=b&limit=1000&filter={filter}",
                    encode(room)
                ),
                None,
            )
            .await;
        let mut events = answer["chunk"].as_array().cloned().unwrap_or_default();
        events.reverse();
        events
    }

    /// Lowers `user`'s message rate to `per_second` with bursts of `burst` (the admin API's
    /// per-user override of `rc_message`): how a test provokes `M_LIMIT_EXCEEDED`.
    pub async fn limit_messages(&self, user: &MatrixUser, per_second: u32, burst: u32) {
        self.ok(
            Some(&self.admin.access_token),
            reqwest::Method::POST,
            &format!(
                "/_synapse/admin/v1/users/{}/override_ratelimit",
                encode(&user.user_id)
            ),
            Some(json!({"messages_per_second": per_second, "burst_count": burst})),
        )
        .await;
    }
}

/// A path segment percent-encoded (`!room:server`, `@user:server`).
pub fn encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}
