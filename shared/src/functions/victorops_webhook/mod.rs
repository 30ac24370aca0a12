//! The `victorops-webhook` Lambda: one function for the webhook (Function URL) and for the reminder
//! schedule (EventBridge), dispatching on the event's shape. Here rather than in the function crate
//! so that tests and `clinic invoke victorops-webhook` call exactly what Lambda calls.

pub mod http;

use std::sync::Arc;

use crate::adapters::dynamo::DynamoStore;
use crate::adapters::healthchecks::Heartbeat;
use crate::adapters::ses::SesMailer;
use crate::adapters::statuspage::{Pacing, StatuspageClient};
use crate::config::VictorOpsWebhookConfig;
use crate::functions::lambda::HandlerFailure;
use crate::functions::victorops_webhook::http::{VictorOpsWebhook, WebhookAuth};
use crate::incidents::desk::IncidentDesk;
use crate::incidents::mapping::Mapping;
use crate::reviewed_file::{FileError, ReviewedFile as _};

/// Every AWS action the victorops-webhook function's code performs (Terraform grants exactly these,
/// plus logging and its failure queue; `tests/tests/infra.rs` checks it).
pub const AWS_ACTIONS: &[&str] = &[
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
    "ses:SendEmail",
    "ses:SendRawEmail",
    "ssm:GetParameters",
];

/// The Scheduler job name the reminder sweep answers to.
pub const REMINDER_JOB: &str = "victorops-reminders";

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Mapping(#[from] FileError<Mapping>),
    #[error(transparent)]
    Chat(#[from] crate::config::ConfigError),
}

pub struct VictorOpsFunction {
    webhook: VictorOpsWebhook<DynamoStore>,
    /// The reminder sweep's dead man's switch.
    heartbeat: Heartbeat,
}

impl VictorOpsFunction {
    /// Builds the clients once per cold start.
    pub async fn from_config(config: &VictorOpsWebhookConfig) -> Result<Self, StartupError> {
        let mapping = Mapping::load(&config.mapping)?;
        let sdk = crate::adapters::sdk::sdk_config(&config.aws).await;
        let store = DynamoStore::new(crate::adapters::sdk::dynamodb(&sdk), config.table.clone());
        let statuspage = StatuspageClient::new(
            config.statuspage_api_url.clone(),
            config.statuspage_page_id.clone(),
            config.statuspage_api_key.clone(),
            Pacing::default(),
        );
        // The chat tokens are read from SSM only when a network is configured.
        let ssm = crate::adapters::ssm::SsmParameters::new(crate::adapters::sdk::ssm(&sdk));
        let rooms = super::event_chat::event_rooms(&config.chat, &ssm).await?;
        let desk = IncidentDesk::new(
            store,
            Arc::new(statuspage),
            Arc::new(SesMailer::new(crate::adapters::sdk::sesv2(&sdk))),
            mapping,
            config.sender.clone(),
            config.duty_rotation.clone(),
        )
        .with_chat(rooms);
        let auth = WebhookAuth {
            secret: config.webhook_secret.clone(),
            escalation: config.escalation.clone(),
        };
        Ok(Self {
            webhook: VictorOpsWebhook::new(desk, auth),
            heartbeat: Heartbeat::new(config.healthcheck_url.clone()),
        })
    }

    pub fn webhook(&self) -> &VictorOpsWebhook<DynamoStore> {
        &self.webhook
    }

    /// One Lambda event: an HTTP request (it has `requestContext`) or a scheduled sweep.
    pub async fn dispatch(
        &self,
        event: serde_json::Value,
    ) -> Result<serde_json::Value, HandlerFailure> {
        self.dispatch_at(event, jiff::Timestamp::now()).await
    }

    /// As [`Self::dispatch`], with the clock for HTTP requests given (replays of recorded events);
    /// a sweep always runs at its trigger's scheduled time.
    pub async fn dispatch_at(
        &self,
        event: serde_json::Value,
        now: jiff::Timestamp,
    ) -> Result<serde_json::Value, HandlerFailure> {
        if event.get("requestContext").is_some() {
            return Ok(self.http(event, now).await);
        }
        let desk = self.webhook.desk();
        crate::functions::lambda::scheduled_sweep(
            &event,
            REMINDER_JOB,
            &self.heartbeat,
            |trigger| async move {
                let lines = desk
                    .sweep(trigger.time, &trigger.event_id, trigger.dry_run)
                    .await?;
                let downtime = desk
                    .downtime_sweep(trigger.time, &trigger.event_id, trigger.dry_run)
                    .await?;
                let chat = desk
                    .chat_sweep(trigger.time, &trigger.event_id, trigger.dry_run)
                    .await?;
                Ok::<_, crate::incidents::desk::DeskError>(serde_json::json!({
                    "reminders": lines, "downtime_mails": downtime, "chat": chat
                }))
            },
        )
        .await
    }

    /// Answers a Function URL / API Gateway event through the webhook handler.
    async fn http(&self, event: serde_json::Value, now: jiff::Timestamp) -> serde_json::Value {
        let response = match crate::functions::lambda::request_from_event(event) {
            Ok(request) => self.webhook.handle_at(request, now).await,
            Err(refusal) => *refusal,
        };
        crate::functions::lambda::proxy_response(response)
    }
}

/// `clinic serve` routes `POST /hooks/victorops` here: the same handler the Function URL reaches.
#[async_trait::async_trait]
impl crate::functions::http::Hook for VictorOpsFunction {
    async fn handle_at(
        &self,
        request: lambda_http::Request,
        now: jiff::Timestamp,
    ) -> lambda_http::Response<lambda_http::Body> {
        self.webhook.handle_at(request, now).await
    }
}
