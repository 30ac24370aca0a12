//! The web pages' sign-in end to end on the local stack: the link mailed through the local SES and
//! read back from it, the session on the table, the now page; and every refusal — a forged, a
//! replayed and an expired link, a form without its CSRF token, an unknown address, the rate limits —
//! each with nothing written that would sign anyone in.

use std::sync::Arc;

use clinic::adapters::dynamo::DynamoStore;
use clinic::audit::AuditEntry;
use clinic::functions::http::Routes;
use clinic::functions::web::WebPages;
use clinic::http_url::HttpUrl;
use clinic::mail::{EmailAddress, Mailbox};
use clinic::rotation::ports::RosterMirror;
use clinic::rotation::roster::Roster;
use clinic::shifts::{ShiftLedger, ShiftRecord};
use clinic::signin::SignIn;
use clinic::signin::token::{self, Purpose, SigningKey};
use clinic_tests::web_browser::{self, Browser, csrf, mails_to};
use clinic_tests::{fresh_store, repo_root, sdk_config, table_items, verified_sender};
use lambda_http::{Body, Request};

/// Friday 2027-01-15 08:00 UTC, in 2027-W02.
const NOW: i64 = 1_800_000_000;
const DAY: i64 = 86_400;
const SENDER: &str = "clinic-web@example.net";
const KEY: &str = "web-tests-signing-key-0123456789abcdef";
const BASE: &str = "https://clinic.example.org";

fn at(epoch: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_second(epoch).unwrap()
}

/// The demo roster with every address on a domain of this test's own, so mails never mix.
fn roster(domain: &str) -> Roster {
    let text = std::fs::read_to_string(repo_root().join("events/roster.toml")).unwrap();
    Roster::parse(&text.replace("@example.net", &format!("@{domain}"))).unwrap()
}

fn shift(
    rotation: &str,
    week: &str,
    primary: &str,
    backup: Option<&str>,
    start: i64,
) -> ShiftRecord {
    ShiftRecord {
        rotation: rotation.into(),
        week: week.into(),
        primary: Some(primary.into()),
        backup: backup.map(Into::into),
        team: None,
        start_utc: at(start),
        end_utc: at(start + 5 * DAY),
        relaxed: vec![],
        unstaffed_reason: None,
        overridden: None,
        committed_at: at(start - 3 * DAY),
        cause: "test".into(),
        victorops_overrides: Vec::new(),
    }
}

struct World {
    store: DynamoStore,
    routes: Routes,
    /// The same pages behind API Gateway's JWT authorizer (`CLINIC_WEB_JWT_AUTHORIZER=1`).
    behind_authorizer: Routes,
    domain: String,
}

/// A table with the roster and this week's and next week's shifts, and the pages over it, with the
/// real SES adapter on the local stack.
async fn world(prefix: &str) -> World {
    let store = fresh_store(prefix).await;
    let domain = format!("{}.example.net", store.table().as_str().to_lowercase());
    let audit = AuditEntry::new(
        at(NOW - 30 * DAY),
        "test",
        "setup",
        "setup",
        "setup",
        "test",
    );
    store.mirror_roster(&roster(&domain), &audit).await.unwrap();
    let monday = NOW - 4 * DAY - 8 * 3600;
    for record in [
        shift("sre-clinic", "2027-W02", "akaur", Some("bmoreau"), monday),
        shift(
            "sre-clinic",
            "2027-W03",
            "cnakamura",
            None,
            monday + 7 * DAY,
        ),
    ] {
        store.commit_shift(&record, &audit).await.unwrap();
    }
    verified_sender(SENDER).await;
    let store_arc = Arc::new(store.clone());
    let signin = SignIn {
        key: SigningKey::parse(KEY).unwrap(),
        ledger: store_arc.clone(),
        people: store_arc.clone(),
        mailer: Arc::new(clinic::adapters::ses::SesMailer::new(
            aws_sdk_sesv2::Client::new(&sdk_config().await),
        )),
        nonces: Arc::new(clinic::adapters::random::OsNonces),
        sender: Mailbox::new("Clinic", EmailAddress::parse(SENDER).unwrap()),
        base_url: HttpUrl::parse(BASE).unwrap(),
    };
    let routes = Arc::new(WebPages::new(signin, store_arc.clone(), store_arc.clone())).routes();
    let signin = SignIn {
        key: SigningKey::parse(KEY).unwrap(),
        ledger: store_arc.clone(),
        people: store_arc.clone(),
        mailer: Arc::new(clinic::adapters::ses::SesMailer::new(
            aws_sdk_sesv2::Client::new(&sdk_config().await),
        )),
        nonces: Arc::new(clinic::adapters::random::OsNonces),
        sender: Mailbox::new("Clinic", EmailAddress::parse(SENDER).unwrap()),
        base_url: HttpUrl::parse(BASE).unwrap(),
    };
    let behind_authorizer =
        Arc::new(WebPages::new(signin, store_arc.clone(), store_arc).trusting_jwt(true)).routes();
    World {
        store,
        routes,
        behind_authorizer,
        domain,
    }
}

impl World {
    fn address(&self, id: &str) -> String {
        format!("{id}@{}", self.domain)
    }

    fn browser(&self, client: &str) -> Browser<'_> {
        Browser::new(&self.routes, client)
    }

    async fn sessions(&self) -> usize {
        table_items(&self.store)
            .await
            .iter()
            .filter(|i| i.contains("S(\"SESSION#"))
            .count()
    }
}

/// The token of the last link mailed to `address`, which points at the pages' public URL.
async fn mailed_token(address: &str) -> String {
    let mails = mails_to(address).await;
    let mail = mails
        .last()
        .unwrap_or_else(|| panic!("no mail to {address}"));
    assert!(
        mail.contains(&format!("{BASE}/signin/link?token=")),
        "{mail}"
    );
    web_browser::mailed_token(address).await
}

#[tokio::test]
async fn a_person_on_the_roster_signs_in_through_the_mailed_link_sees_the_duty_and_signs_out() {
    let world = world("web-signin").await;
    let mut browser = world.browser("192.0.2.10");
    let now = browser.get_at("/now", NOW).await;
    assert_eq!(
        (now.status, now.location.as_deref()),
        (303, Some("/signin"))
    );

    let asked = browser.ask_for_link(&world.address("akaur"), NOW).await;
    assert_eq!(asked.status, 200, "{}", asked.body);
    assert!(asked.body.contains("If that address is on the roster"));
    let link_token = mailed_token(&world.address("akaur")).await;
    // The table knows the link by its hash alone.
    let items = table_items(&world.store).await.join("\n");
    assert!(!items.contains(&link_token), "the token is stored in clear");
    assert!(items.contains(&token::at_rest(&link_token)));

    let signed_in = browser.redeem(&link_token, NOW + 60).await;
    assert_eq!(
        (signed_in.status, signed_in.location.as_deref()),
        (303, Some("/now")),
        "{}",
        signed_in.body
    );
    let session = browser
        .cookies
        .get("clinic_session")
        .cloned()
        .expect("a session cookie");
    assert!(!browser.cookies.contains_key("clinic_presession"));
    assert!(
        !table_items(&world.store)
            .await
            .join("\n")
            .contains(&session)
    );

    let page = browser.get_at("/now", NOW + 120).await;
    assert_eq!(page.status, 200, "{}", page.body);
    for expected in [
        "<main id=\"main\">",
        "Signed in as Asha Kaur",
        "sre-clinic",
        "This week",
        "Asha Kaur",
        "<dt>Backup</dt><dd>Bruno Moreau",
        "Chie Nakamura",
        // Asha reads times in her roster zone, Europe/London: 2027-01-11 00:00 UTC is GMT.
        "Monday 11 January 2027, 00:00 GMT",
        "Times are in Europe/London",
    ] {
        assert!(
            page.body.contains(expected),
            "{expected:?} missing from {}",
            page.body
        );
    }
    let tokyo = browser.get_at("/now?tz=Asia/Tokyo", NOW + 120).await;
    assert!(
        tokyo.body.contains("Monday 11 January 2027, 09:00 JST"),
        "{}",
        tokyo.body
    );

    // Signing out without the form's token is refused and the session stays.
    let forged = browser
        .post_at("/signout", &[("csrf", "forged")], NOW + 180)
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(browser.get_at("/now", NOW + 190).await.status, 200);
    let csrf = csrf(&page.body);
    let out = browser
        .post_at("/signout", &[("csrf", &csrf)], NOW + 200)
        .await;
    assert_eq!(
        (out.status, out.location.as_deref()),
        (303, Some("/signin"))
    );
    assert!(!browser.cookies.contains_key("clinic_session"));
    assert_eq!(
        world.sessions().await,
        0,
        "the session is still on the table"
    );
    // The old cookie, kept by someone, no longer signs in.
    browser.cookies.insert("clinic_session".into(), session);
    assert_eq!(
        browser.get_at("/now", NOW + 210).await.location.as_deref(),
        Some("/signin")
    );
}

#[tokio::test]
async fn a_replayed_link_is_refused_and_signs_nobody_in() {
    let world = world("web-replay").await;
    let mut first = world.browser("192.0.2.20");
    first.ask_for_link(&world.address("akaur"), NOW).await;
    let link_token = mailed_token(&world.address("akaur")).await;
    assert_eq!(first.redeem(&link_token, NOW + 30).await.status, 303);
    let mut second = world.browser("198.51.100.7");
    let replay = second.redeem(&link_token, NOW + 40).await;
    assert_eq!(replay.status, 400, "{}", replay.body);
    assert!(replay.body.contains("used already"), "{}", replay.body);
    assert!(!second.cookies.contains_key("clinic_session"));
    assert_eq!(
        world.sessions().await,
        1,
        "only the first browser holds a session"
    );
}

#[tokio::test]
async fn a_forged_or_tampered_link_is_refused_before_the_table_is_read() {
    let world = world("web-forged").await;
    let mut browser = world.browser("192.0.2.30");
    let forger = SigningKey::parse("the-forgers-own-key-0123456789abcdef").unwrap();
    let forged = token::issue(&forger, Purpose::Link, "akaur", at(NOW + 600), &[5; 32]);
    let answer = browser.redeem(&forged, NOW).await;
    assert_eq!(answer.status, 400);
    assert!(
        answer.body.contains("signature does not match"),
        "{}",
        answer.body
    );
    // A real link with another person put in.
    browser.ask_for_link(&world.address("akaur"), NOW).await;
    let real = mailed_token(&world.address("akaur")).await;
    let parts: Vec<&str> = real.split('.').collect();
    let other = base64_url("bmoreau");
    let tampered = format!(
        "{}.{other}.{}.{}.{}",
        parts[0], parts[2], parts[3], parts[4]
    );
    assert_eq!(browser.redeem(&tampered, NOW + 10).await.status, 400);
    assert!(!browser.cookies.contains_key("clinic_session"));
    assert_eq!(world.sessions().await, 0);
    // The real link still works: the refusals spent nothing.
    assert_eq!(browser.redeem(&real, NOW + 20).await.status, 303);
}

fn base64_url(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

#[tokio::test]
async fn a_link_opened_after_fifteen_minutes_is_refused() {
    let world = world("web-expired").await;
    let mut browser = world.browser("192.0.2.40");
    browser.ask_for_link(&world.address("akaur"), NOW).await;
    let link_token = mailed_token(&world.address("akaur")).await;
    let late = browser.redeem(&link_token, NOW + 15 * 60).await;
    assert_eq!(late.status, 400);
    assert!(late.body.contains("expired"), "{}", late.body);
    assert_eq!(world.sessions().await, 0);
}

#[tokio::test]
async fn a_post_without_its_csrf_token_is_refused_and_changes_nothing() {
    let world = world("web-csrf").await;
    let address = world.address("akaur");
    let mut browser = world.browser("192.0.2.50");
    browser.get_at("/signin", NOW).await;
    let missing = browser
        .post_at("/signin", &[("email", &address)], NOW)
        .await;
    assert_eq!(missing.status, 403);
    // Another browser's token does not fit this browser's cookie.
    let mut other = world.browser("192.0.2.51");
    let theirs = csrf(&other.get_at("/signin", NOW).await.body);
    let foreign = browser
        .post_at("/signin", &[("email", &address), ("csrf", &theirs)], NOW)
        .await;
    assert_eq!(foreign.status, 403);
    assert!(
        mails_to(&address).await.is_empty(),
        "a refused form sent a mail"
    );
    assert!(
        !table_items(&world.store)
            .await
            .join("\n")
            .contains("ATTEMPTS#"),
        "a refused form was counted"
    );
    // A real link pressed without the token signs nobody in and stays usable.
    browser.ask_for_link(&address, NOW).await;
    let link_token = mailed_token(&address).await;
    let no_token = browser
        .post_at("/signin/link", &[("token", &link_token)], NOW + 5)
        .await;
    assert_eq!(no_token.status, 403);
    assert_eq!(world.sessions().await, 0);
    assert_eq!(browser.redeem(&link_token, NOW + 10).await.status, 303);
}

#[tokio::test]
async fn an_unknown_address_gets_the_same_answer_and_no_mail() {
    let world = world("web-unknown").await;
    let mut browser = world.browser("192.0.2.60");
    let known = browser.ask_for_link(&world.address("akaur"), NOW).await;
    let stranger = world.address("nobody-here");
    let unknown = browser.ask_for_link(&stranger, NOW).await;
    assert_eq!(known.status, unknown.status);
    assert_eq!(known.body, unknown.body);
    assert_eq!(mails_to(&world.address("akaur")).await.len(), 1);
    assert!(mails_to(&stranger).await.is_empty());
    // Only Asha's link is on the table.
    let links = table_items(&world.store)
        .await
        .iter()
        .filter(|i| i.contains("S(\"SIGNIN#"))
        .count();
    assert_eq!(links, 1);
    let bad = browser.ask_for_link("not an address", NOW).await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn links_are_limited_per_address_and_per_client_for_a_quarter_of_an_hour() {
    let world = world("web-limits").await;
    let known = world.address("akaur");
    let unknown = world.address("nobody-here");
    let mut browser = world.browser("192.0.2.70");
    for n in 1..=5 {
        assert_eq!(browser.ask_for_link(&known, NOW + n).await.status, 200);
        assert_eq!(browser.ask_for_link(&unknown, NOW + n).await.status, 200);
    }
    let sixth = browser.ask_for_link(&known, NOW + 6).await;
    assert_eq!(sixth.status, 429);
    // An unknown address is limited alike: the limit tells nobody who is on the roster.
    let sixth_unknown = browser.ask_for_link(&unknown, NOW + 6).await;
    assert_eq!(
        (sixth_unknown.status, &sixth_unknown.body),
        (429, &sixth.body)
    );
    assert_eq!(mails_to(&known).await.len(), 5);
    // From another client the address is still limited; the next window lets it through again.
    let mut elsewhere = world.browser("203.0.113.9");
    assert_eq!(elsewhere.ask_for_link(&known, NOW + 7).await.status, 429);
    assert_eq!(
        elsewhere.ask_for_link(&known, NOW + 15 * 60).await.status,
        200
    );

    // One client asking for many addresses: 20 (the 12 above included) and then refused.
    let mut n = 0;
    let mut answers = Vec::new();
    while answers.len() < 9 {
        n += 1;
        let address = world.address(&format!("stranger{n}"));
        answers.push(browser.ask_for_link(&address, NOW + 100).await.status);
    }
    assert_eq!(answers, vec![200, 200, 200, 200, 200, 200, 200, 200, 429]);
}

#[tokio::test]
async fn a_session_cookie_planted_before_sign_in_is_replaced_by_a_fresh_one() {
    let world = world("web-fixation").await;
    // The attacker signs in as themselves and plants their own cookie in the victim's browser.
    let mut attacker = world.browser("198.51.100.66");
    attacker.ask_for_link(&world.address("bmoreau"), NOW).await;
    let theirs = mailed_token(&world.address("bmoreau")).await;
    assert_eq!(attacker.redeem(&theirs, NOW + 5).await.status, 303);
    let planted = attacker.cookies["clinic_session"].clone();
    let mut victim = world.browser("192.0.2.80");
    victim
        .cookies
        .insert("clinic_session".into(), planted.clone());
    // A made-up cookie is no session at all.
    let mut stranger = world.browser("192.0.2.81");
    stranger.cookies.insert(
        "clinic_session".into(),
        "v1.YWthdXI.1900000000.00.forged".into(),
    );
    assert_eq!(
        stranger.get_at("/now", NOW).await.location.as_deref(),
        Some("/signin")
    );

    victim.ask_for_link(&world.address("akaur"), NOW + 10).await;
    let link_token = mailed_token(&world.address("akaur")).await;
    assert_eq!(victim.redeem(&link_token, NOW + 20).await.status, 303);
    let fresh = victim.cookies["clinic_session"].clone();
    assert_ne!(fresh, planted, "the planted session survived the sign-in");
    let page = victim.get_at("/now", NOW + 30).await;
    assert!(
        page.body.contains("Signed in as Asha Kaur"),
        "{}",
        page.body
    );
    // The victim's sign-out form token does not sign the attacker out, nor the reverse.
    let attackers_page = attacker.get_at("/now", NOW + 30).await;
    let attackers_csrf = csrf(&attackers_page.body);
    let crossed = victim
        .post_at("/signout", &[("csrf", &attackers_csrf)], NOW + 40)
        .await;
    assert_eq!(crossed.status, 403);
    assert_eq!(world.sessions().await, 2);
}

/// A request as API Gateway passes it once its JWT authorizer accepted a token with `claims`.
fn vouched(path: &str, claims: &[(&str, &str)]) -> Request {
    use lambda_http::aws_lambda_events::apigw::{
        ApiGatewayRequestAuthorizer, ApiGatewayRequestAuthorizerJwtDescription,
        ApiGatewayV2httpRequestContext,
    };
    let mut context = ApiGatewayV2httpRequestContext::default();
    let mut authorizer = ApiGatewayRequestAuthorizer::default();
    let mut jwt = ApiGatewayRequestAuthorizerJwtDescription::default();
    jwt.claims = claims
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    authorizer.jwt = Some(jwt);
    context.authorizer = Some(authorizer);
    let mut request = Request::new(Body::Empty);
    *request.uri_mut() = path.parse().unwrap();
    request
        .extensions_mut()
        .insert(lambda_http::request::RequestContext::ApiGatewayV2(context));
    request
}

#[tokio::test]
async fn behind_a_jwt_authorizer_the_verified_email_claim_signs_in_and_nothing_else_does() {
    let world = world("web-jwt").await;
    let asha = world.address("akaur");
    let claims = [
        ("email", asha.as_str()),
        ("email_verified", "true"),
        ("sub", "idp|42"),
    ];
    let page = world
        .behind_authorizer
        .dispatch_at(vouched("/now", &claims), at(NOW))
        .await;
    assert_eq!(page.status().as_u16(), 200);
    let body = String::from_utf8_lossy(page.body().as_ref()).into_owned();
    assert!(body.contains("Signed in as Asha Kaur"), "{body}");
    // The same claims mean nothing to a deployment that did not put the authorizer in front.
    let unguarded = world
        .routes
        .dispatch_at(vouched("/now", &claims), at(NOW))
        .await;
    assert_eq!(unguarded.status().as_u16(), 303);
    for refused in [
        vec![("email", asha.as_str()), ("email_verified", "false")],
        vec![
            ("email", "someone-else@example.org"),
            ("email_verified", "true"),
        ],
        vec![("sub", "idp|42")],
    ] {
        let answer = world
            .behind_authorizer
            .dispatch_at(vouched("/now", &refused), at(NOW))
            .await;
        assert_eq!(answer.status().as_u16(), 303, "{refused:?} signed in");
    }
    assert_eq!(
        world.sessions().await,
        0,
        "the authorizer's sign-in writes no session"
    );
}

#[tokio::test]
async fn on_lambda_the_form_arrives_base64_encoded_and_the_client_is_api_gateways_source_ip() {
    use base64::Engine as _;
    let world = world("web-lambda").await;
    let presession = "ab".repeat(32);
    let key = SigningKey::parse(KEY).unwrap();
    let form = form_urlencoded::Serializer::new(String::new())
        .append_pair("email", &world.address("akaur"))
        .append_pair("csrf", &token::csrf_token(&key, &presession))
        .finish();
    // An HTTP API (payload 2.0) event as API Gateway sends a form post: cookies apart, body base64.
    let event = serde_json::json!({
        "version": "2.0",
        "routeKey": "POST /signin",
        "rawPath": "/signin",
        "rawQueryString": "",
        "cookies": [format!("clinic_presession={presession}")],
        "headers": {
            "content-type": "application/x-www-form-urlencoded",
            "host": "abcdef1234.execute-api.eu-west-1.amazonaws.com",
            "x-forwarded-for": "10.9.9.9"
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abcdef1234",
            "domainName": "abcdef1234.execute-api.eu-west-1.amazonaws.com",
            "domainPrefix": "abcdef1234",
            "http": {
                "method": "POST",
                "path": "/signin",
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.77",
                "userAgent": "Mozilla/5.0"
            },
            "requestId": "web-test-1",
            "routeKey": "POST /signin",
            "stage": "$default",
            "time": "15/Jan/2027:08:00:00 +0000",
            "timeEpoch": 1_800_000_000_000_i64
        },
        "body": base64::engine::general_purpose::STANDARD.encode(&form),
        "isBase64Encoded": true
    });
    let request = clinic::functions::lambda::request_from_event(event).expect("an HTTP event");
    let answer = world.routes.dispatch_at(request, at(NOW)).await;
    assert_eq!(answer.status().as_u16(), 200);
    assert_eq!(mails_to(&world.address("akaur")).await.len(), 1);
    let items = table_items(&world.store).await.join("\n");
    // Counted under API Gateway's sourceIp, never the X-Forwarded-For a client can write.
    assert!(
        items.contains(&format!(
            "ATTEMPTS#client#{}",
            token::at_rest("203.0.113.77")
        )),
        "{items}"
    );
    assert!(!items.contains(&format!("ATTEMPTS#client#{}", token::at_rest("10.9.9.9"))));
}
