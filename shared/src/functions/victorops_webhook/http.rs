//! The HTTP face of the desk: `POST /hooks/victorops` (Lambda Function URL, API Gateway, or `clinic
//! serve`). Every outcome is an HTTP status: 401 before anything happens without valid credentials,
//! 400 for a body off the template, 503 when a dependency failed and a retry may pass.

use lambda_http::{Body, Request, RequestExt as _, Response};
use serde_json::json;
use tracing::{error, warn};

use crate::incidents::desk::IncidentDesk;
use crate::incidents::escalation::{EscalationForm, parse_escalation};
use crate::incidents::lifecycle::Delivery;
use crate::incidents::ports::{Directory, DowntimeBook, IncidentLedger};
use crate::incidents::webhook::{Refusal, parse_outgoing, secret_matches};
use crate::secret::Secret;

pub const TOKEN_HEADER: &str = "x-clinic-webhook-token";
pub const SIGNATURE_HEADER: &str = "x-victorops-signature";

/// Who may call, and what checks the legacy signature.
#[derive(Debug, Clone)]
pub struct WebhookAuth {
    pub secret: Secret,
    /// The escalation webhook's auth key and the URL exactly as configured in VictorOps.
    pub escalation: Option<(Secret, String)>,
}

pub struct VictorOpsWebhook<S> {
    desk: IncidentDesk<S>,
    auth: WebhookAuth,
}

fn answer(status: u16, body: serde_json::Value) -> Response<Body> {
    let mut response = Response::new(Body::Text(body.to_string()));
    *response.status_mut() = lambda_http::http::StatusCode::from_u16(status)
        .unwrap_or(lambda_http::http::StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        "content-type",
        lambda_http::http::HeaderValue::from_static("application/json"),
    );
    response
}

fn refused(refusal: &Refusal) -> Response<Body> {
    let status = match refusal {
        Refusal::Unauthorized(_) => 401,
        Refusal::BadRequest(_) => 400,
    };
    warn!(status, reason = %refusal, "webhook refused");
    answer(status, json!({"error": refusal.to_string()}))
}

fn query_token(request: &Request) -> Option<String> {
    let from_uri = request.uri().query().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "token")
            .map(|(_, v)| v.into_owned())
    });
    from_uri.or_else(|| {
        request
            .query_string_parameters_ref()
            .and_then(|p| p.first("token").map(str::to_owned))
    })
}

impl<S: IncidentLedger + Directory + DowntimeBook> VictorOpsWebhook<S> {
    pub fn new(desk: IncidentDesk<S>, auth: WebhookAuth) -> Self {
        Self { desk, auth }
    }

    pub fn desk(&self) -> &IncidentDesk<S> {
        &self.desk
    }

    /// Handles one request; never panics, every error is a status.
    pub async fn handle(&self, request: Request) -> Response<Body> {
        self.handle_at(request, jiff::Timestamp::now()).await
    }

    /// As [`Self::handle`], with the clock given (tests, replays).
    pub async fn handle_at(&self, request: Request, now: jiff::Timestamp) -> Response<Body> {
        if request.method() != lambda_http::http::Method::POST {
            return answer(405, json!({"error": "only POST is accepted"}));
        }
        let delivery = match self.authenticate_and_parse(&request, now) {
            Ok(delivery) => delivery,
            Err(refusal) => return refused(&refusal),
        };
        let cause = format!(
            "{}:{}:{}:{}",
            delivery.source,
            delivery.number,
            delivery.phase,
            uuid::Uuid::new_v4().simple()
        );
        match self.desk.deliver(&delivery, &cause, now).await {
            Ok(report) => answer(200, serde_json::to_value(&report).unwrap_or_default()),
            Err(e) => {
                let retryable = e.is_retryable();
                error!(error = %crate::functions::lambda::HandlerFailure::new(&e, retryable).message, "delivery failed");
                // The phase is already recorded; a retried delivery finishes the rest.
                answer(
                    if retryable { 503 } else { 502 },
                    json!({"error": "a dependency failed; the incident is recorded and a retry will finish the rest"}),
                )
            }
        }
    }

    fn authenticate_and_parse(
        &self,
        request: &Request,
        now: jiff::Timestamp,
    ) -> Result<Delivery, Refusal> {
        let body: &[u8] = request.body().as_ref();
        let header = |name: &str| {
            request
                .headers()
                .get(name)
                .map(|v| v.to_str().unwrap_or_default().to_owned())
        };
        if let Some(signature) = header(SIGNATURE_HEADER) {
            let Some((key, url)) = &self.auth.escalation else {
                return Err(Refusal::Unauthorized(
                    "signed escalation webhooks are not configured here",
                ));
            };
            // The form's key set first (400, naming the field): a signature vouches for nothing
            // else. Then the signature (401), and only then the values.
            let form = EscalationForm::parse(body)?;
            form.verify(url, key, &signature)?;
            return parse_escalation(&form, now);
        }
        let token = header(TOKEN_HEADER)
            .or_else(|| query_token(request))
            .ok_or(Refusal::Unauthorized(
                "send the shared secret in X-Clinic-Webhook-Token or ?token=",
            ))?;
        if !secret_matches(&token, &self.auth.secret) {
            return Err(Refusal::Unauthorized("the shared secret does not match"));
        }
        let json_content = header("content-type").is_none_or(|c| {
            c.trim()
                .to_ascii_lowercase()
                .starts_with("application/json")
        });
        if !json_content {
            return Err(Refusal::BadRequest(
                "Content-Type must be application/json (the outgoing webhook template is JSON)"
                    .into(),
            ));
        }
        parse_outgoing(body)
    }
}

#[async_trait::async_trait]
impl<S: IncidentLedger + Directory + DowntimeBook + Send + Sync> crate::functions::http::Hook
    for VictorOpsWebhook<S>
{
    async fn handle_at(&self, request: Request, now: jiff::Timestamp) -> Response<Body> {
        VictorOpsWebhook::handle_at(self, request, now).await
    }
}
