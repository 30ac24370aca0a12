//! The maintenance-mail Lambda's handler, here so tests and `clinic invoke` call what Lambda calls.

use std::sync::Arc;

use aws_lambda_events::s3::S3Event;
use tracing::error;

use crate::adapters::dynamo::DynamoStore;
use crate::adapters::s3::S3Objects;
use crate::adapters::ses::SesMailer;
use crate::adapters::ssm::SsmParameters;
use crate::config::{ConfigError, MaintenanceMailConfig};
use crate::functions::lambda::HandlerFailure;
use crate::log_text::escape;
use crate::maintenance::chat::MaintenanceChat;
use crate::maintenance::ingest::{IngestReport, MailIngest};
use crate::maintenance::outage_mail::OutageMail;

/// Every AWS action the maintenance-mail function's code performs (HeadObject is authorised by
/// s3:GetObject); Terraform grants exactly these plus logging and its failure queue.
pub const AWS_ACTIONS: &[&str] = &[
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
    "s3:GetObject",
    "s3:PutObject",
    "ses:SendEmail",
    "ses:SendRawEmail",
    // The chat tokens (CLINIC_SLACK_TOKEN_SSM_PARAMETER, CLINIC_MATRIX_TOKEN_SSM_PARAMETER), at cold start.
    "ssm:GetParameters",
];

/// The Scheduler job name the minute sweep answers to.
pub const NOTICE_JOB: &str = "maintenance-notices";

pub struct MaintenanceFunction {
    job: MailIngest<DynamoStore>,
    /// The minute sweep's chat posts, when the duty rotation has rooms and a network is configured.
    chat: Option<MaintenanceChat>,
}

impl MaintenanceFunction {
    /// Builds the clients once per cold start; a chat token that cannot be read stops the start.
    pub async fn from_config(config: &MaintenanceMailConfig) -> Result<Self, ConfigError> {
        let sdk = crate::adapters::sdk::sdk_config(&config.aws).await;
        let store = DynamoStore::new(crate::adapters::sdk::dynamodb(&sdk), config.table.clone());
        let objects = Arc::new(S3Objects::new(crate::adapters::sdk::s3(&sdk, &config.aws)));
        let mut job = MailIngest::new(
            store.clone(),
            objects,
            config.calendar.clone(),
            config.mail_max_bytes,
        );
        if let Some(settings) = &config.outage_mail {
            let store = Arc::new(store.clone());
            job = job.with_outage_mail(OutageMail::new(
                store.clone(),
                store,
                Arc::new(SesMailer::new(crate::adapters::sdk::sesv2(&sdk))),
                settings.sender.clone(),
                settings.rotation.clone(),
            ));
        }
        let mut function = Self::from_job(job);
        let ssm = SsmParameters::new(crate::adapters::sdk::ssm(&sdk));
        let rooms = super::event_chat::event_rooms(&config.chat, &ssm).await?;
        if !rooms.is_empty() {
            let store = Arc::new(store);
            function = function.with_chat(MaintenanceChat::new(
                store.clone(),
                store,
                rooms,
                config.calendar.options.circuits.clone(),
            ));
        }
        Ok(function)
    }

    pub fn from_job(job: MailIngest<DynamoStore>) -> Self {
        Self { job, chat: None }
    }

    /// Posts maintenances starting soon and mails new on the review list, from the minute sweep.
    pub fn with_chat(mut self, chat: MaintenanceChat) -> Self {
        self.chat = Some(chat);
        self
    }

    pub fn job(&self) -> &MailIngest<DynamoStore> {
        &self.job
    }

    /// One Lambda event: an S3 notification (it has `Records`), or the minute sweep's schedule
    /// (start and end notices of vendor maintenance).
    pub async fn dispatch(
        &self,
        event: serde_json::Value,
    ) -> Result<serde_json::Value, HandlerFailure> {
        if event.get("Records").is_some() {
            let report = self.handle(event).await?;
            return Ok(serde_json::to_value(report).unwrap_or_default());
        }
        // Parsed here rather than through `lambda::scheduled_sweep`: the sweep has no dead man's
        // switch (its schedule is optional), and leaving the healthchecks client out keeps reqwest
        // out of this zip (about 600 KB).
        let trigger = crate::trigger::Trigger::parse(&event, NOTICE_JOB).map_err(|e| {
            error!(error = %escape(&e.to_string()), "refused event");
            HandlerFailure::new(&e, false)
        })?;
        tracing::info!(event = %trigger.event_id, time = %trigger.time, dry_run = trigger.dry_run, "maintenance notice sweep");
        // The mails and the posts are independent: a chat outage must not hold the notices back,
        // nor a mail outage the posts. Both are tried, then the first failure is reported.
        let notices = self
            .job
            .notice_sweep(trigger.time, &trigger.event_id, trigger.dry_run)
            .await;
        let posts = match &self.chat {
            Some(chat) => {
                chat.sweep(trigger.time, &trigger.event_id, trigger.dry_run)
                    .await
            }
            None => Ok(Vec::new()),
        };
        let notices = notices.map_err(|e| {
            error!(error = %escape(&e.to_string()), "maintenance notice sweep failed");
            HandlerFailure::new(&e, true)
        })?;
        let posts = posts.map_err(|e| {
            let failure = HandlerFailure::new(&e, e.is_retryable());
            error!(error = %failure.message, "maintenance chat posts failed");
            failure
        })?;
        Ok(serde_json::json!({ "maintenance_notices": notices, "chat": posts }))
    }

    /// Handles one S3 ObjectCreated event.
    pub async fn handle(&self, event: serde_json::Value) -> Result<IngestReport, HandlerFailure> {
        let event: S3Event = serde_json::from_value(event).map_err(|e| {
            // serde's message quotes the event.
            let failure =
                crate::maintenance::ingest::IngestError::NotAnS3Event(escape(&e.to_string()));
            error!(error = %failure, "refused event");
            HandlerFailure::new(&failure, false)
        })?;
        self.job.run(event).await.map_err(|e| {
            error!(error = %escape(&e.to_string()), retryable = e.is_retryable(), "maintenance mail failed");
            HandlerFailure::new(&e, e.is_retryable())
        })
    }
}
