//! The `phabricator-webhook` HTTP handler, here rather than in the function crate so that tests,
//! `clinic serve` and Lambda call the same code. Every outcome is an HTTP status: 401 for a bad
//! signature (before anything else is read), 400 for a bad body, 200 once handled or ignored, and
//! 5xx when Conduit or the table failed, so that Phorge retries. The same function serves the
//! read-only `GET /status` (its own token) and runs the stale-task follow-up on a schedule,
//! dispatching on the event's shape as victorops-webhook does.

pub mod status;

use std::sync::Arc;

use async_trait::async_trait;
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde_json::json;
use tracing::{error, info, warn};

use crate::adapters::conduit::ConduitClient;
use crate::adapters::dynamo::DynamoStore;
use crate::adapters::healthchecks::Heartbeat;
use crate::brief::{BriefSettings, Briefing};
use crate::config::PhabricatorWebhookConfig;
use crate::functions::http::{Hook, Routes};
use crate::functions::lambda::HandlerFailure;
use crate::functions::phabricator_webhook::status::{CALENDAR_PATH, STATUS_PATH, StatusEndpoint};
use crate::log_text::escape;
use crate::reviewed_file::{FileError, ReviewedFile as _};
use crate::secret::Secret;
use crate::triage::follow_up::FOLLOW_UP_JOB;
use crate::triage::ports::{Conduit, DutyRoster, TaskIndex, TriageLedger};
use crate::triage::rules::Rules;
use crate::triage::service::{Triage, TriageError};
use crate::triage::webhook::{
    Delivery, DeliveryError, MAX_BODY_BYTES, SIGNATURE_HEADER, parse_delivery, verify_signature,
};

/// Where Herald delivers.
pub const WEBHOOK_PATH: &str = "/hooks/phabricator";

/// Every AWS action the phabricator-webhook function's code performs (Terraform grants exactly these,
/// plus logging and its failure queue; `tests/tests/infra.rs` checks it): the task's lease and state
/// (webhook and follow-up sweep), the person on duty and the brief's reads (the roster's rotations by
/// key, its Queries, the people on duty by key), and its credentials from Parameter Store.
pub const AWS_ACTIONS: &[&str] = &[
    "dynamodb:BatchGetItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
    "ssm:GetParameters",
];

/// Why the function could not start: nothing works until the deployment is fixed.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Rules(#[from] FileError<Rules>),
    #[error(transparent)]
    Circuits(#[from] FileError<crate::maintenance::circuits::Circuits>),
    #[error("cannot build the Conduit client: {0}")]
    Conduit(#[from] crate::triage::ports::ConduitError),
}

pub struct PhabricatorWebhook {
    hmac_key: Secret,
    triage: Triage,
}

/// The Lambda: the webhook and the status endpoint over HTTP, the follow-up sweep on a schedule.
pub struct PhabricatorFunction {
    webhook: Arc<PhabricatorWebhook>,
    index: Arc<dyn TaskIndex>,
    routes: Routes,
    /// The follow-up sweep's dead man's switch.
    heartbeat: Heartbeat,
}

impl PhabricatorFunction {
    /// Builds the clients once and loads the rules; called once per cold start.
    pub async fn from_config(config: &PhabricatorWebhookConfig) -> Result<Self, StartupError> {
        let rules = Rules::load(&config.triage_rules)?;
        let circuits = match &config.circuits {
            Some(path) => Some(crate::maintenance::circuits::Circuits::load(path)?),
            None => None,
        };
        let sdk = crate::adapters::sdk::sdk_config(&config.aws).await;
        let store = Arc::new(DynamoStore::new(
            crate::adapters::sdk::dynamodb(&sdk),
            config.table.clone(),
        ));
        let conduit = Arc::new(ConduitClient::new(
            config.phabricator_url.clone(),
            config.phabricator_api_token.clone(),
        )?);
        let status = config.status_token.clone().map(|token| {
            let settings = BriefSettings {
                stale_after_days: rules.stale.after_days,
                phabricator_url: Some(config.phabricator_url.clone()),
                uid_domain: config.mail_domain.clone(),
                circuits: circuits.clone(),
            };
            StatusEndpoint::new(Briefing::new(store.clone(), settings), token)
        });
        let webhook = PhabricatorWebhook::new(
            config.phabricator_webhook_hmac_key.clone(),
            Triage::new(rules, conduit, store.clone(), store.clone(), config.dry_run),
        );
        Ok(Self::new(webhook, store, status)
            .with_heartbeat(Heartbeat::new(config.healthcheck_url.clone())))
    }

    /// The function over other ports (tests): `index` lists the tasks the sweep follows up.
    pub fn new(
        webhook: PhabricatorWebhook,
        index: Arc<dyn TaskIndex>,
        status: Option<StatusEndpoint>,
    ) -> Self {
        let webhook = Arc::new(webhook);
        let mut routes = Routes::new().route(Method::POST, WEBHOOK_PATH, webhook.clone());
        if let Some(status) = status {
            let status = Arc::new(status);
            routes = routes
                .route(Method::GET, STATUS_PATH, status.clone())
                .route(Method::GET, CALENDAR_PATH, status);
        }
        Self {
            webhook,
            index,
            routes,
            heartbeat: Heartbeat::off(),
        }
    }

    pub fn with_heartbeat(mut self, heartbeat: Heartbeat) -> Self {
        self.heartbeat = heartbeat;
        self
    }

    /// What `clinic serve` and the Lambda route: the webhook, and the status endpoint when configured.
    pub fn routes(&self) -> &Routes {
        &self.routes
    }

    pub fn webhook(&self) -> &PhabricatorWebhook {
        &self.webhook
    }

    /// One Lambda event: an HTTP request (it has `requestContext`) or a scheduled follow-up sweep.
    pub async fn dispatch(
        &self,
        event: serde_json::Value,
    ) -> Result<serde_json::Value, HandlerFailure> {
        self.dispatch_at(event, jiff::Timestamp::now()).await
    }

    /// As [`Self::dispatch`], with the clock for HTTP requests given (replays, tests); a sweep
    /// always runs at its trigger's scheduled time.
    pub async fn dispatch_at(
        &self,
        event: serde_json::Value,
        now: jiff::Timestamp,
    ) -> Result<serde_json::Value, HandlerFailure> {
        if event.get("requestContext").is_some() {
            let response = match crate::functions::lambda::request_from_event(event) {
                Ok(request) => self.routes.dispatch_at(request, now).await,
                Err(refusal) => *refusal,
            };
            return Ok(crate::functions::lambda::proxy_response(response));
        }
        let triage = &self.webhook.triage;
        let index = self.index.as_ref();
        crate::functions::lambda::scheduled_sweep(
            &event,
            FOLLOW_UP_JOB,
            &self.heartbeat,
            |trigger| async move {
                let lines = triage
                    .follow_up_sweep(index, trigger.time, &trigger.event_id, trigger.dry_run)
                    .await?;
                Ok::<_, TriageError>(json!({ "follow_ups": lines }))
            },
        )
        .await
    }
}

impl PhabricatorWebhook {
    pub fn new(hmac_key: Secret, triage: Triage) -> Self {
        Self { hmac_key, triage }
    }

    pub fn triage(&self) -> &Triage {
        &self.triage
    }

    /// The same handler over other ports (tests and the bench).
    pub fn with_ports(
        hmac_key: Secret,
        rules: Rules,
        conduit: Arc<dyn Conduit>,
        ledger: Arc<dyn TriageLedger>,
        duty: Arc<dyn DutyRoster>,
        dry_run: bool,
    ) -> Self {
        Self::new(hmac_key, Triage::new(rules, conduit, ledger, duty, dry_run))
    }

    /// Handles one HTTP request at the current time.
    pub async fn handle(&self, request: Request) -> Response<Body> {
        self.handle_at(request, jiff::Timestamp::now()).await
    }

    /// Handles one HTTP request as if at `now` (the clinic-duty shift and "new task" depend on it).
    pub async fn handle_at(&self, request: Request, now: jiff::Timestamp) -> Response<Body> {
        if request.method() != Method::POST {
            return answer(
                StatusCode::METHOD_NOT_ALLOWED,
                json!({ "error": "use POST" }),
            );
        }
        let body: &[u8] = request.body().as_ref();
        if body.len() > MAX_BODY_BYTES {
            return refused(DeliveryError::TooLarge { size: body.len() });
        }
        let Some(signature) = request
            .headers()
            .get(SIGNATURE_HEADER)
            .and_then(|v| v.to_str().ok())
        else {
            return refused(DeliveryError::MissingSignature);
        };
        if let Err(refusal) = verify_signature(self.hmac_key.expose().as_bytes(), body, signature) {
            return refused(refusal);
        }
        let delivery = match parse_delivery(body) {
            Ok(Delivery::Task(delivery)) => delivery,
            Ok(Delivery::Other { object_type }) => {
                info!(object_type = %object_type, "ignored: not a task");
                return answer(
                    StatusCode::OK,
                    json!({ "outcome": "ignored", "object_type": object_type }),
                );
            }
            Err(refusal) => return refused(refusal),
        };
        match self.triage.handle(&delivery, now).await {
            Ok(report) => answer(
                StatusCode::OK,
                serde_json::to_value(&report).unwrap_or_default(),
            ),
            Err(failure) => {
                // Conduit's own error text is quoted in it.
                let reason = escape(&failure.to_string());
                error!(task = %delivery.task, delivery = %delivery.key, error = %reason, "triage failed; Phorge will retry");
                let status = match failure {
                    TriageError::Conduit(_) => StatusCode::BAD_GATEWAY,
                    TriageError::Store(_)
                    | TriageError::Busy { .. }
                    | TriageError::LeaseLost { .. }
                    | TriageError::Deadline { .. } => StatusCode::SERVICE_UNAVAILABLE,
                };
                answer(status, json!({ "error": reason }))
            }
        }
    }
}

#[async_trait]
impl Hook for PhabricatorWebhook {
    async fn handle_at(&self, request: Request, now: jiff::Timestamp) -> Response<Body> {
        PhabricatorWebhook::handle_at(self, request, now).await
    }
}

fn refused(refusal: DeliveryError) -> Response<Body> {
    let status = match refusal {
        DeliveryError::MissingSignature | DeliveryError::BadSignature => StatusCode::UNAUTHORIZED,
        DeliveryError::TooLarge { .. } | DeliveryError::Malformed(_) => StatusCode::BAD_REQUEST,
    };
    warn!(status = status.as_u16(), reason = %refusal, "delivery refused");
    answer(status, json!({ "error": refusal.to_string() }))
}

fn answer(status: StatusCode, body: serde_json::Value) -> Response<Body> {
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        lambda_http::http::header::CONTENT_TYPE,
        lambda_http::http::HeaderValue::from_static("application/json"),
    );
    response
}
