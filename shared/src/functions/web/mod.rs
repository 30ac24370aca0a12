//! The `web` function's HTTP handler, shared by Lambda and `clinic serve`: sign-in by mailed link,
//! the session cookie, sign-out, the *now* page, the *maintenance* page with its confirm button and
//! the *calendars* page with the feeds it issues
//! (docs/web.md). Every POST carries a CSRF token
//! bound to the browser's (pre-)session cookie; every answer forbids caching and framing.

mod calendars;
mod cookies;
mod duty;
mod maintenance;
mod notices;
pub mod slack;
mod swaps;

pub use duty::Schedule;
pub use notices::NoticeDesk;

use std::sync::Arc;

use async_trait::async_trait;
use lambda_http::http::{HeaderValue, Method, StatusCode, header};
use lambda_http::{Body, Request, Response};
use tracing::{error, info, warn};

use self::cookies::{PRESESSION, SESSION, cookie, set_cookie};
use crate::adapters::dynamo::DynamoStore;
use crate::brief::BriefSource;
use crate::config::WebConfig;
use crate::functions::http::{ClientAddress, Hook, Routes};
use crate::log_text::escape;
use crate::mail::Mailbox;
use crate::maintenance::ports::MaintenanceLedger;
use crate::pages::{self, Reader};
use crate::signin::ports::Nonces;
use crate::signin::service::LINK_PATH;
use crate::signin::{SignIn, SignInError};

/// Every AWS action the web function's code performs (Terraform grants exactly these): the roster's
/// people and the shifts (the brief's duty reads), links, sessions and counters, the maintenances and
/// the review list (read, and a confirmation's update with its audit entry and the review item's
/// update, in TransactWriteItems: UpdateItem and PutItem), the link's mail and its signing key from
/// Parameter Store.
pub const AWS_ACTIONS: &[&str] = &[
    "dynamodb:BatchGetItem",
    "dynamodb:DeleteItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
    // SES v2 authorises a raw-content send as both.
    "ses:SendEmail",
    "ses:SendRawEmail",
    "ssm:GetParameters",
    // The maintenance feed: the calendar object the maintenance-mail function writes.
    "s3:GetObject",
];

/// The routes the function answers (API Gateway has one route each; `tests/tests/infra.rs` checks it).
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", pages::STYLESHEET_PATH),
    ("GET", "/signin"),
    ("POST", "/signin"),
    ("GET", LINK_PATH),
    ("POST", LINK_PATH),
    ("GET", "/now"),
    ("GET", pages::ahead::PATH),
    ("GET", pages::mine::PATH),
    ("GET", pages::maintenance::PATH),
    ("POST", pages::maintenance::CONFIRM_PATH),
    ("POST", "/signout"),
    // Calendars: the page, its two buttons, and the feeds (no session: the token is in the path).
    ("GET", pages::calendars::PATH),
    ("POST", pages::calendars::ISSUE_PATH),
    ("POST", pages::calendars::REVOKE_PATH),
    ("GET", FEED_ROUTE),
    // Swaps and cover: the list and its form, one request, its four buttons.
    ("GET", pages::swaps::PATH),
    ("POST", pages::swaps::PATH),
    ("GET", pages::swaps::REQUEST_ROUTE),
    ("POST", pages::swaps::ACCEPT_ROUTE),
    ("POST", pages::swaps::APPROVE_ROUTE),
    ("POST", pages::swaps::DECLINE_ROUTE),
    ("POST", pages::swaps::WITHDRAW_ROUTE),
    // Notices: the page and its form, and the Slack slash command (signed by Slack, no session).
    ("GET", pages::notices::PATH),
    ("POST", pages::notices::PATH),
    ("POST", slack::PATH),
];

/// API Gateway's route for every feed: one path segment, `<token>.ics`.
pub const FEED_ROUTE: &str = "/feeds/{feed}";

/// Form bodies larger than this are refused unread.
const MAX_FORM_BYTES: usize = 4096;

pub struct WebPages {
    signin: SignIn,
    source: Arc<dyn BriefSource>,
    maintenances: Arc<dyn MaintenanceLedger>,
    nonces: Arc<dyn Nonces>,
    /// API Gateway's JWT authorizer stands in front (`CLINIC_WEB_JWT_AUTHORIZER`): its claims sign in.
    trust_jwt: bool,
    /// The roster and shifts *ahead* and *mine* plan from; without it they say so.
    schedule: Option<Schedule>,
    calendars: Option<crate::calendars::Calendars>,
    /// Self-service swaps and cover (docs/web.md); without a roster there are none.
    swaps: Option<Arc<crate::swaps::Swaps>>,
    /// The notice board: the banner, the *Notices* page, the Slack slash command.
    notices: Option<NoticeDesk>,
}

impl WebPages {
    pub fn new(
        signin: SignIn,
        source: Arc<dyn BriefSource>,
        maintenances: Arc<dyn MaintenanceLedger>,
    ) -> Self {
        let nonces = signin.nonces.clone();
        Self {
            signin,
            source,
            maintenances,
            nonces,
            trust_jwt: false,
            schedule: None,
            calendars: None,
            swaps: None,
            notices: None,
        }
    }

    /// Serves notices: the banner on every signed-in page, *Notices*, the Slack slash command.
    pub fn with_notices(mut self, desk: NoticeDesk) -> Self {
        self.notices = Some(desk);
        self
    }

    /// The roster and shift ledger the *ahead* and *mine* pages plan from.
    pub fn with_schedule(mut self, schedule: Schedule) -> Self {
        self.schedule = Some(schedule);
        self
    }

    /// Serves the *Calendars* page and the feeds (docs/web.md, "Calendars").
    pub fn with_calendars(mut self, calendars: crate::calendars::Calendars) -> Self {
        self.calendars = Some(calendars);
        self
    }

    /// Serves *Swaps* (docs/web.md, "Swaps and cover").
    pub fn with_swaps(mut self, swaps: Arc<crate::swaps::Swaps>) -> Self {
        self.swaps = Some(swaps);
        self
    }

    /// Takes the `email` claim API Gateway's JWT authorizer passes as signed in (docs/web.md). Only
    /// for a deployment whose every route has the authorizer: the claims come from the request
    /// context, which API Gateway alone writes (`clinic serve` never sets one).
    pub fn trusting_jwt(mut self, trust: bool) -> Self {
        self.trust_jwt = trust;
        self
    }

    /// Built from the configuration: one table client and one SES client per process, the roster
    /// loaded once (a roster or settings file that cannot be read stops the cold start).
    pub async fn from_config(
        config: &WebConfig,
    ) -> Result<Self, crate::functions::rotation::StartupError> {
        let sdk = crate::adapters::sdk::sdk_config(&config.aws).await;
        let store = Arc::new(DynamoStore::new(
            crate::adapters::sdk::dynamodb(&sdk),
            config.table.clone(),
        ));
        let mailer = Arc::new(crate::adapters::ses::SesMailer::new(
            aws_sdk_sesv2::Client::new(&sdk),
        ));
        let mailer_for_swaps = mailer.clone();
        let signin = SignIn {
            key: config.signing_key.clone(),
            ledger: store.clone(),
            people: store.clone(),
            mailer,
            nonces: Arc::new(crate::adapters::random::OsNonces),
            sender: Mailbox::new("Clinic", config.sender.clone()),
            base_url: config.web_url.clone(),
        };
        let calendars = calendars::from_config(config, &sdk, store.clone());
        let notices = NoticeDesk {
            board: store.clone(),
            roster: config.roster.clone().map(Arc::new),
            phorge: config.brief.phabricator_url.clone(),
            slack_signing_secret: config.slack_signing_secret.clone(),
        };
        let mut pages = Self::new(signin, store.clone(), store.clone())
            .trusting_jwt(config.jwt_authorizer)
            .with_calendars(calendars)
            .with_notices(notices);
        if let Some(roster) = &config.roster {
            let roster = Arc::new(roster.clone());
            pages = pages
                .with_swaps(Arc::new(swaps::from_config(
                    config,
                    roster.clone(),
                    store.clone(),
                    mailer_for_swaps,
                )))
                .with_schedule(Schedule {
                    roster,
                    ledger: store,
                    settings: config.brief.settings()?,
                });
        }
        Ok(pages)
    }

    /// Every route of [`ROUTES`] to these pages.
    pub fn routes(self: Arc<Self>) -> Routes {
        ROUTES.iter().fold(Routes::new(), |routes, (method, path)| {
            let method = Method::from_bytes(method.as_bytes()).unwrap_or(Method::GET);
            routes.route(method, path, self.clone())
        })
    }

    async fn answer(&self, request: Request, now: jiff::Timestamp) -> Response<Body> {
        let path = request.uri().path().to_owned();
        match (request.method().clone(), path.as_str()) {
            (Method::GET, "/") => redirect("/now"),
            (Method::GET, pages::STYLESHEET_PATH) => {
                let mut response = html(StatusCode::OK, pages::STYLESHEET.to_owned());
                response.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/css; charset=utf-8"),
                );
                response.headers_mut().insert(
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("max-age=3600"),
                );
                response
            }
            (Method::GET, "/signin") => self.with_presession(&request, |csrf| {
                pages::page("Sign in", None, &pages::signin::form(csrf, None))
            }),
            (Method::POST, "/signin") => self.ask_for_link(&request, now).await,
            (Method::GET, LINK_PATH) => {
                let token = query(&request, "token").unwrap_or_default();
                self.with_presession(&request, |csrf| {
                    pages::page("Sign in", None, &pages::signin::confirm(&token, csrf))
                })
            }
            (Method::POST, LINK_PATH) => self.redeem(&request, now).await,
            (Method::GET, "/now") => self.now(&request, now).await,
            (Method::GET, pages::ahead::PATH) => self.ahead(&request, now).await,
            (Method::GET, pages::mine::PATH) => self.mine(&request, now).await,
            (Method::GET, pages::maintenance::PATH) => self.maintenance(&request, now).await,
            (Method::POST, pages::maintenance::CONFIRM_PATH) => {
                self.confirm_maintenance(&request, now).await
            }
            (Method::POST, "/signout") => self.sign_out(&request, now).await,
            (Method::GET, pages::calendars::PATH) => self.calendars(&request, now).await,
            (Method::POST, pages::calendars::ISSUE_PATH) => self.issue_feed(&request, now).await,
            (Method::POST, pages::calendars::REVOKE_PATH) => self.revoke_feed(&request, now).await,
            (Method::GET, pages::notices::PATH) => self.notices_page(&request, now).await,
            (Method::POST, pages::notices::PATH) => self.post_notice(&request, now).await,
            (Method::POST, slack::PATH) => self.slack_command(&request, now).await,
            (Method::GET, feed) if feed.starts_with(crate::calendars::service::FEED_PREFIX) => {
                self.feed(feed, now).await
            }
            (Method::GET, pages::swaps::PATH) => self.swaps_list(&request, now).await,
            (Method::POST, pages::swaps::PATH) => self.ask_for_swap(&request, now).await,
            (Method::GET | Method::POST, swap)
                if swap.starts_with(crate::swaps::service::PAGE_PREFIX) =>
            {
                self.swap_request(&request, now).await
            }
            _ => html(
                StatusCode::NOT_FOUND,
                pages::page("Not found", None, "<p>There is no such page.</p>"),
            ),
        }
    }

    /// A page whose form is bound to the browser's pre-session cookie (set here when it has none).
    fn with_presession(
        &self,
        request: &Request,
        body: impl FnOnce(&str) -> String,
    ) -> Response<Body> {
        let existing = cookie(request, PRESESSION).filter(|v| cookies::is_nonce(v));
        let (binding, fresh) = match existing {
            Some(binding) => (binding, false),
            None => match self.nonces.nonce() {
                Ok(bytes) => (hex::encode(bytes), true),
                Err(e) => return unavailable(&e.to_string()),
            },
        };
        let mut response = html(StatusCode::OK, body(&self.signin.csrf_token(&binding)));
        if fresh {
            set_cookie(
                &mut response,
                PRESESSION,
                &binding,
                cookies::PRESESSION_SECONDS,
            );
        }
        response
    }

    fn presession_csrf_ok(&self, request: &Request, form: &Form) -> bool {
        let binding = cookie(request, PRESESSION).unwrap_or_default();
        self.signin
            .csrf_matches(&binding, form.get("csrf").unwrap_or_default())
    }

    async fn ask_for_link(&self, request: &Request, now: jiff::Timestamp) -> Response<Body> {
        let Some(form) = Form::of(request) else {
            return refused(StatusCode::BAD_REQUEST, "The form could not be read.");
        };
        if !self.presession_csrf_ok(request, &form) {
            warn!(path = "/signin", "POST refused: no valid CSRF token");
            return csrf_refused();
        }
        let client = client_address(request);
        match self
            .signin
            .request_link(form.get("email").unwrap_or_default(), &client, now)
            .await
        {
            Ok(outcome) => {
                info!(outcome = ?outcome, "sign-in link asked for");
                html(
                    StatusCode::OK,
                    pages::page("Check your mail", None, &pages::signin::sent()),
                )
            }
            Err(SignInError::BadAddress(e)) => {
                let csrf = form.get("csrf").unwrap_or_default();
                html(
                    StatusCode::BAD_REQUEST,
                    pages::page(
                        "Sign in",
                        None,
                        &pages::signin::form(csrf, Some(&e.to_string())),
                    ),
                )
            }
            Err(e @ SignInError::RateLimited(_)) => {
                warn!(client = %escape(&client), "sign-in rate limit reached");
                let mut response = refused(StatusCode::TOO_MANY_REQUESTS, &e.to_string());
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("900"));
                response
            }
            Err(e) => unavailable(&e.to_string()),
        }
    }

    async fn redeem(&self, request: &Request, now: jiff::Timestamp) -> Response<Body> {
        let Some(form) = Form::of(request) else {
            return refused(StatusCode::BAD_REQUEST, "The form could not be read.");
        };
        if !self.presession_csrf_ok(request, &form) {
            warn!(path = LINK_PATH, "POST refused: no valid CSRF token");
            return csrf_refused();
        }
        match self
            .signin
            .redeem(form.get("token").unwrap_or_default(), now)
            .await
        {
            Ok(session) => {
                info!(person = %session.person, "signed in");
                let mut response = redirect("/now");
                set_cookie(
                    &mut response,
                    SESSION,
                    &session.cookie,
                    session.expires.duration_since(now).as_secs().max(0),
                );
                set_cookie(&mut response, PRESESSION, "", 0);
                response
            }
            Err(e) if e.is_callers() => {
                warn!(reason = %e, "sign-in link refused");
                refused(StatusCode::BAD_REQUEST, &e.to_string())
            }
            Err(e) => unavailable(&e.to_string()),
        }
    }

    async fn now(&self, request: &Request, now: jiff::Timestamp) -> Response<Body> {
        let signed_in = match self.session(request, now).await {
            Ok(Some(signed_in)) => signed_in,
            Ok(None) => return redirect("/signin"),
            Err(response) => return response,
        };
        let card = match self.signin.card(&signed_in.person).await {
            Ok(card) => card,
            Err(e) => return unavailable(&e.to_string()),
        };
        // The reader's zone: ?tz= when given, else the roster's for them, else UTC.
        let zone_name = query(request, "tz").or_else(|| card.as_ref().map(|c| c.timezone.clone()));
        let zone = match crate::brief::zone(zone_name.as_deref()) {
            Ok(zone) => zone,
            Err(e) => return refused(StatusCode::BAD_REQUEST, &e.to_string()),
        };
        let duty = match crate::brief::duty(self.source.as_ref(), now).await {
            Ok(duty) => duty,
            Err(e) => return unavailable(&e.to_string()),
        };
        let name = card
            .as_ref()
            .map_or(signed_in.person.as_str(), |c| c.name.as_str());
        let csrf = self.signin.csrf_token(&signed_in.binding);
        let reader = Reader { name, csrf: &csrf };
        html(
            StatusCode::OK,
            pages::page(
                "On duty now",
                Some(&reader),
                &pages::now::main(&duty, now, zone.as_ref()),
            ),
        )
    }

    async fn sign_out(&self, request: &Request, now: jiff::Timestamp) -> Response<Body> {
        let signed_in = match self.session(request, now).await {
            Ok(Some(signed_in)) => signed_in,
            Ok(None) => return redirect("/signin"),
            Err(response) => return response,
        };
        let csrf_ok = Form::of(request).is_some_and(|form| {
            self.signin
                .csrf_matches(&signed_in.binding, form.get("csrf").unwrap_or_default())
        });
        if !csrf_ok {
            warn!(path = "/signout", "POST refused: no valid CSRF token");
            return csrf_refused();
        }
        if let Err(e) = self
            .signin
            .sign_out(&cookie(request, SESSION).unwrap_or_default())
            .await
        {
            return unavailable(&e.to_string());
        }
        info!(person = %signed_in.person, "signed out");
        let mut response = redirect("/signin");
        set_cookie(&mut response, SESSION, "", 0);
        response
    }

    async fn session(
        &self,
        request: &Request,
        now: jiff::Timestamp,
    ) -> Result<Option<crate::signin::SignedIn>, Response<Body>> {
        let Some(value) = cookie(request, SESSION) else {
            return match jwt_identity(request).filter(|_| self.trust_jwt) {
                Some((address, subject)) => self
                    .signin
                    .vouched_for(&address, &subject, now)
                    .await
                    .map_err(|e| unavailable(&e.to_string())),
                None => Ok(None),
            };
        };
        self.signin
            .signed_in(&value, now)
            .await
            .map_err(|e| unavailable(&e.to_string()))
    }
}

#[async_trait]
impl Hook for WebPages {
    async fn handle_at(&self, request: Request, now: jiff::Timestamp) -> Response<Body> {
        let response = self.answer(request, now).await;
        self.with_notice_banner(response, now).await
    }
}

/// A urlencoded form's fields (the first of each name).
struct Form(Vec<(String, String)>);

impl Form {
    fn of(request: &Request) -> Option<Self> {
        let body: &[u8] = request.body().as_ref();
        if body.len() > MAX_FORM_BYTES {
            return None;
        }
        Some(Self(form_urlencoded::parse(body).into_owned().collect()))
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn query(request: &Request, name: &str) -> Option<String> {
    let query = request.uri().query()?;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The client's address: the server's peer (`clinic serve`) or API Gateway's `sourceIp`.
fn client_address(request: &Request) -> String {
    use lambda_http::RequestExt as _;
    if let Some(ClientAddress(ip)) = request.extensions().get::<ClientAddress>() {
        return ip.to_string();
    }
    match request.request_context_ref() {
        Some(lambda_http::request::RequestContext::ApiGatewayV2(context)) => context
            .http
            .source_ip
            .clone()
            .unwrap_or_else(|| "unknown".to_owned()),
        _ => "unknown".to_owned(),
    }
}

/// The verified address and subject of the JWT API Gateway's authorizer checked, if any.
fn jwt_identity(request: &Request) -> Option<(String, String)> {
    use lambda_http::RequestExt as _;
    let Some(lambda_http::request::RequestContext::ApiGatewayV2(context)) =
        request.request_context_ref()
    else {
        return None;
    };
    let claims = &context.authorizer.as_ref()?.jwt.as_ref()?.claims;
    // A provider that says the address is not verified does not vouch for it.
    if claims.get("email_verified").is_some_and(|v| v != "true") {
        return None;
    }
    let email = claims.get("email")?.clone();
    let subject = claims.get("sub").cloned().unwrap_or_else(|| email.clone());
    Some((email, subject))
}

/// Every page: HTML, never cached, never framed, no script, no referrer (a link's token stays put).
fn html(status: StatusCode, body: String) -> Response<Body> {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

fn redirect(to: &str) -> Response<Body> {
    let mut response = html(StatusCode::SEE_OTHER, String::new());
    let to = HeaderValue::from_str(to).unwrap_or(HeaderValue::from_static("/"));
    response.headers_mut().insert(header::LOCATION, to);
    response
}

fn refused(status: StatusCode, reason: &str) -> Response<Body> {
    html(
        status,
        pages::page("Not signed in", None, &pages::signin::refused(reason)),
    )
}

fn csrf_refused() -> Response<Body> {
    refused(
        StatusCode::FORBIDDEN,
        "This form is out of date or did not come from Clinic. Reload the page and try again.",
    )
}

fn unavailable(reason: &str) -> Response<Body> {
    error!(error = %escape(reason), "a page could not be served");
    html(
        StatusCode::SERVICE_UNAVAILABLE,
        pages::page(
            "Try again",
            None,
            "<p class=\"note\" role=\"alert\">Clinic could not read its table just now. Try again in a minute.</p>",
        ),
    )
}
