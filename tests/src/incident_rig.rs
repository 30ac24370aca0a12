//! The VictorOps webhook's rig for black-box tests: a fresh table on the local stack with a clinic-duty
//! shift and a responder, Statuspage as a local fake, SES on moto, and the handler Lambda calls;
//! optionally with fault proxies in front of the table and Statuspage.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use clinic::adapters::dynamo::DynamoStore;
use clinic::adapters::ses::SesMailer;
use clinic::adapters::statuspage::{Pacing, StatuspageClient};
use clinic::audit::AuditEntry;
use clinic::chat::EventRooms;
use clinic::functions::victorops_webhook::http::{VictorOpsWebhook, WebhookAuth};
use clinic::http_url::HttpUrl;
use clinic::incidents::desk::IncidentDesk;
use clinic::incidents::mapping::Mapping;
use clinic::mail::EmailAddress;
use clinic::secret::Secret;
use clinic::shifts::{ShiftLedger, ShiftRecord};
use lambda_http::{Body, Request};

use crate::fault_proxy::FaultProxy;
use crate::statuspage_fake::StatuspageFake;
use crate::{behind_proxy, fresh_store, received_mail, repo_root, verified_sender};

pub const SENDER: &str = "clinic@victorops-tests.example.org";
pub const SECRET: &str = "demo-clinic-webhook-token-01";
pub const PAGE: &str = "kctbh9vrtdwd";
pub const KEY: &str = "statuspage-test-key";
pub const ESCALATION_URL: &str =
    "https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws/victorops/escalation";
pub const ESCALATION_KEY: &str = "V1ct0rOpsWebhookAuthKeyExample==";

pub fn mapping(auto_resolve: bool) -> Mapping {
    mapping_with(&format!(
        "auto_resolve = {auto_resolve}\ndeliver_notifications = false"
    ))
}

/// The test mapping with `options` (TOML lines) at the head of its `[options]` table.
pub fn mapping_with(options: &str) -> Mapping {
    Mapping::parse(&format!(
        "[options]\n{options}\nremind_after_minutes = 30\n\
         remind_every_minutes = 180\n\n[[rule]]\nname = \"database\"\nrouting_keys = [\"sre\"]\n\
         entities = [\"disk-space/*\"]\nimpact = \"major\"\ncomponents = {{ ftgks51sfs2d = \"partial_outage\" }}\n\n\
         [services]\ndatabase = \"ftgks51sfs2d\"\n"
    ))
    .expect("test mapping is valid")
}

pub struct Setup {
    pub webhook: VictorOpsWebhook<DynamoStore>,
    pub fake: StatuspageFake,
    /// The table, reached directly (the webhook's own client may go through `table_proxy`).
    pub store: DynamoStore,
    pub domain: String,
    /// The fault proxies in front of the table and of Statuspage, when the rig has them.
    pub table_proxy: Option<FaultProxy>,
    pub page_proxy: Option<FaultProxy>,
}

/// A fresh table with a clinic-duty shift covering the week of 2027-01-04 (person `duty`) and a
/// responder whose roster entry names VictorOps user `jdoe`; addresses are unique to `domain`.
pub async fn setup(domain: &str, auto_resolve: bool) -> Setup {
    setup_with(domain, auto_resolve, false).await
}

/// As [`setup`], with the webhook's table and Statuspage clients behind fault proxies when
/// `proxied` (the table client then keeps to a webhook's call budget, as deployed).
pub async fn setup_with(domain: &str, auto_resolve: bool, proxied: bool) -> Setup {
    setup_mapped(domain, mapping(auto_resolve), proxied).await
}

/// As [`setup_with`], with the given mapping.
pub async fn setup_mapped(domain: &str, mapping: Mapping, proxied: bool) -> Setup {
    setup_chatting(domain, mapping, proxied, EventRooms::default()).await
}

/// As [`setup_mapped`], the desk posting mapped incidents in `rooms`.
pub async fn setup_chatting(
    domain: &str,
    mapping: Mapping,
    proxied: bool,
    rooms: EventRooms,
) -> Setup {
    let store = fresh_store("vo").await;
    let fake = StatuspageFake::start(PAGE, KEY).await;
    let mut items = Vec::new();
    for (id, user) in [("duty", None), ("responder", Some("jdoe"))] {
        let mut item = HashMap::from([
            ("PK".to_owned(), AttributeValue::S(format!("PERSON#{id}"))),
            ("SK".to_owned(), AttributeValue::S("PROFILE".into())),
            ("GSI1PK".to_owned(), AttributeValue::S("PEOPLE".into())),
            ("GSI1SK".to_owned(), AttributeValue::S(id.into())),
            ("id".to_owned(), AttributeValue::S(id.into())),
            ("name".to_owned(), AttributeValue::S(format!("{id} Person"))),
            (
                "email".to_owned(),
                AttributeValue::S(format!("{id}@{domain}")),
            ),
        ]);
        if let Some(user) = user {
            item.insert("victorops_user".into(), AttributeValue::S(user.into()));
        }
        items.push(item);
    }
    store.put_all(items).await.expect("people");
    let at: jiff::Timestamp = "2027-01-04T09:00:00Z".parse().unwrap();
    let shift = ShiftRecord {
        rotation: "sre-clinic".into(),
        week: "2027-W01".into(),
        primary: Some("duty".into()),
        backup: None,
        team: None,
        start_utc: at,
        end_utc: "2027-01-11T09:00:00Z".parse().unwrap(),
        relaxed: Vec::new(),
        unstaffed_reason: None,
        overridden: None,
        committed_at: at,
        cause: "test".into(),
        victorops_overrides: Vec::new(),
    };
    let audit = AuditEntry::new(
        at,
        "test",
        "shift.commit",
        "rotation/sre-clinic/2027-W01",
        "test",
        "test",
    );
    store.commit_shift(&shift, &audit).await.expect("shift");

    let (webhook_store, table_proxy, page_proxy) = if proxied {
        let (proxied_store, table_proxy) = behind_proxy(&store).await;
        let page_root = fake.base_url().trim_end_matches("/v1").to_owned();
        let page_proxy = FaultProxy::start(&page_root).await;
        (proxied_store, Some(table_proxy), Some(page_proxy))
    } else {
        (store.clone(), None, None)
    };
    let page_url = match &page_proxy {
        Some(proxy) => format!("{}/v1", proxy.url()),
        None => fake.base_url(),
    };
    let statuspage = StatuspageClient::new(
        HttpUrl::parse(&page_url).unwrap(),
        PAGE.into(),
        Secret::new(KEY),
        Pacing {
            min_interval: Duration::from_millis(50),
            first_backoff: Duration::from_millis(20),
            max_attempts: 4,
        },
    );
    let ses = verified_sender(SENDER).await;
    let desk = IncidentDesk::new(
        webhook_store,
        Arc::new(statuspage),
        Arc::new(SesMailer::new(ses)),
        mapping,
        EmailAddress::parse(SENDER).unwrap(),
        "sre-clinic".into(),
    )
    .with_chat(rooms);
    let auth = WebhookAuth {
        secret: Secret::new(SECRET),
        escalation: Some((Secret::new(ESCALATION_KEY), ESCALATION_URL.into())),
    };
    Setup {
        webhook: VictorOpsWebhook::new(desk, auth),
        fake,
        store,
        domain: domain.to_owned(),
        table_proxy,
        page_proxy,
    }
}

pub fn sample(name: &str) -> String {
    std::fs::read_to_string(repo_root().join("events").join(name)).expect("sample event")
}

pub fn body(phase: &str, user: &str, last_ms: i64) -> String {
    sample("victorops-outgoing-triggered.json")
        .replace("\"UNACKED\"", &format!("\"{phase}\""))
        .replace("\"acked_by\": \"\"", &format!("\"acked_by\": \"{user}\""))
        .replace(
            "\"resolved_by\": \"\"",
            &format!(
                "\"resolved_by\": \"{}\"",
                if phase == "RESOLVED" { user } else { "" }
            ),
        )
        .replace(
            "\"last_timestamp\": 1799142600123",
            &format!("\"last_timestamp\": {last_ms}"),
        )
}

pub fn request(body: &str, token: Option<&str>) -> Request {
    let mut builder = lambda_http::http::Request::builder()
        .method("POST")
        .uri("/hooks/victorops")
        .header("content-type", "application/json");
    if let Some(token) = token {
        builder = builder.header("x-clinic-webhook-token", token);
    }
    builder.body(Body::from(body.to_owned())).unwrap()
}

pub fn t(s: &str) -> jiff::Timestamp {
    s.parse().unwrap()
}

/// 09:50 trigger, 09:54 ack, 10:35 resolve (2027-01-05, UTC).
pub const ACK_MS: i64 = 1799142840512;
pub const RESOLVE_MS: i64 = 1799145300000;

pub async fn deliver(
    s: &Setup,
    phase: &str,
    user: &str,
    last_ms: i64,
    now: &str,
) -> (u16, serde_json::Value) {
    let response = s
        .webhook
        .handle_at(request(&body(phase, user, last_ms), Some(SECRET)), t(now))
        .await;
    let status = response.status().as_u16();
    let json = serde_json::from_slice(response.body().as_ref()).unwrap_or_default();
    (status, json)
}

pub async fn mails_to(domain: &str) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for mail in received_mail().await {
        // moto lists a recipient once per header form ("Name <a@b>" and "a@b"): count each once.
        let addresses: std::collections::BTreeSet<String> = mail
            .destinations
            .iter()
            .map(|d| {
                d.rsplit_once('<')
                    .map(|(_, a)| a.trim_end_matches('>').to_owned())
                    .unwrap_or_else(|| d.clone())
            })
            .filter(|a| a.ends_with(domain))
            .collect();
        for address in addresses {
            *counts.entry(address).or_default() += 1;
        }
    }
    counts
}
