//! The rotation Lambda's handler, here rather than in the function crate so that tests and
//! `clinic invoke rotation` call exactly what Lambda calls.

use std::sync::Arc;

use tracing::{error, info};

use crate::adapters::dynamo::DynamoStore;
use crate::adapters::healthchecks::Heartbeat;
use crate::adapters::ses::SesMailer;
use crate::config::RotationConfig;
use crate::functions::lambda::HandlerFailure;
use crate::handoff::chat::{CHAT_JOB, ChatSweepReport, HandoffChat};
use crate::handoff::job::{HandoffJob, JOB, JobReport};
use crate::log_text::escape;
use crate::reviewed_file::{FileError, ReviewedFile as _};
use crate::rotation::roster::Roster;
use crate::trigger::Trigger;

/// Every AWS action the rotation function's code performs (Terraform grants exactly these, plus logging
/// and its failure queue; `tests/tests/infra.rs` checks it).
pub const AWS_ACTIONS: &[&str] = &[
    // The brief in the handoff mails reads the people on duty by key.
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
    "ses:SendEmail",
    "ses:SendRawEmail",
    // The dead man's switch URL and the chat tokens, credentials, from Parameter Store.
    "ssm:GetParameters",
];

/// Why the function could not start: nothing is retried until the deployment is fixed.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Roster(#[from] FileError<Roster>),
    #[error("the brief's settings: {0}")]
    Brief(#[from] crate::config::BriefSettingsError),
    #[error(transparent)]
    Chat(#[from] crate::config::ConfigError),
}

/// What one invocation answered: the weekly handoff's report, or the minute chat sweep's.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(untagged)]
pub enum RotationAnswer {
    Weekly(JobReport),
    Chat(ChatSweepReport),
}

impl RotationAnswer {
    pub fn summary(&self) -> String {
        match self {
            Self::Weekly(report) => report.summary(),
            Self::Chat(report) => report.summary(),
        }
    }
}

pub struct RotationFunction {
    job: HandoffJob<DynamoStore>,
    heartbeat: Heartbeat,
}

impl RotationFunction {
    /// Builds the SDK clients once and loads the roster; called once per cold start.
    pub async fn from_config(config: &RotationConfig) -> Result<Self, StartupError> {
        Self::from_config_with_clock(config, Arc::new(crate::clock::SystemClock)).await
    }

    /// As [`Self::from_config`], reading "now" from `clock` (a rehearsal's story time: the mails'
    /// Date, the audit's times), for the job and its VictorOps sync alike.
    pub async fn from_config_with_clock(
        config: &RotationConfig,
        clock: Arc<dyn crate::clock::Clock>,
    ) -> Result<Self, StartupError> {
        let roster = Roster::load(&config.roster)?;
        let sdk = crate::adapters::sdk::sdk_config(&config.aws).await;
        let store = DynamoStore::new(crate::adapters::sdk::dynamodb(&sdk), config.table.clone());
        let mailer = Arc::new(SesMailer::new(crate::adapters::sdk::sesv2(&sdk)));
        let linked = roster
            .rotation_names()
            .any(|name| crate::oncall::VictorOpsSync::link(&roster, name.as_str()).is_some());
        // The mails carry the brief: its stale threshold from the triage rules when shipped.
        let briefing =
            crate::brief::Briefing::new(Arc::new(store.clone()), config.brief.settings()?);
        let mut job = HandoffJob::new(
            store.clone(),
            mailer,
            roster,
            config.sender.clone(),
            config.mail_lease_seconds,
        )
        .with_briefing(briefing)
        .with_clock(clock.clone());
        if config.chat.slack.is_some() || config.chat.matrix.is_some() {
            let ssm = crate::adapters::ssm::SsmParameters::new(crate::adapters::sdk::ssm(&sdk));
            let networks = crate::adapters::chat_networks(&config.chat, &ssm).await?;
            job = job.with_chat(HandoffChat {
                networks,
                page: config.web_url.clone(),
                notices: None,
                commands: None,
            });
        }
        match (&config.victorops_api, linked) {
            (Some(api), true) => {
                let client = crate::adapters::victorops::VictorOpsClient::new(
                    api,
                    crate::adapters::victorops::default_pacing(),
                );
                job = job.with_victorops(Arc::new(
                    crate::oncall::VictorOpsSync::new(
                        Arc::new(client),
                        Arc::new(store),
                        config.mail_lease_seconds,
                    )
                    .with_clock(clock),
                ));
            }
            (None, true) => {
                info!(
                    "VICTOROPS_API_* are not set: VictorOps is not kept in step with the rotation"
                )
            }
            (Some(_), false) => info!(
                "no rotation of the roster names a VictorOps team: VictorOps is not kept in step"
            ),
            (None, false) => {}
        }
        Ok(Self {
            job,
            heartbeat: Heartbeat::new(config.healthcheck_url.clone()),
        })
    }

    pub fn from_job(job: HandoffJob<DynamoStore>) -> Self {
        Self {
            job,
            heartbeat: Heartbeat::off(),
        }
    }

    /// Reports each run to a dead man's switch.
    pub fn with_heartbeat(mut self, heartbeat: Heartbeat) -> Self {
        self.heartbeat = heartbeat;
        self
    }

    /// One Lambda event: the minute chat sweep's Scheduler input (`"job": "rotation-chat"`, which
    /// the Terraform rule's input transformer writes), or else the weekly schedule's event.
    pub async fn dispatch(
        &self,
        event: serde_json::Value,
    ) -> Result<RotationAnswer, HandlerFailure> {
        if event.get("job").and_then(serde_json::Value::as_str) == Some(CHAT_JOB) {
            return self.chat_sweep(event).await.map(RotationAnswer::Chat);
        }
        self.handle(event).await.map(RotationAnswer::Weekly)
    }

    /// The minute chat sweep: no dead man's switch (its schedule is optional, and the weekly
    /// run's switch must not be pinged every minute).
    pub async fn chat_sweep(
        &self,
        event: serde_json::Value,
    ) -> Result<ChatSweepReport, HandlerFailure> {
        let trigger = Trigger::parse(&event, CHAT_JOB).map_err(|e| {
            error!(error = %escape(&e.to_string()), "refused event");
            HandlerFailure::new(&e, false)
        })?;
        info!(event = %trigger.event_id, time = %trigger.time, dry_run = trigger.dry_run, "chat sweep");
        self.job.chat_sweep(&trigger).await.map_err(|e| {
            error!(error = %escape(&e.to_string()), retryable = e.is_retryable(), "chat sweep failed");
            HandlerFailure::new(&e, e.is_retryable())
        })
    }

    /// Handles one scheduled event.
    pub async fn handle(&self, event: serde_json::Value) -> Result<JobReport, HandlerFailure> {
        let trigger = Trigger::parse(&event, JOB).map_err(|e| {
            error!(error = %escape(&e.to_string()), "refused event");
            HandlerFailure::new(&e, false)
        })?;
        info!(event = %trigger.event_id, time = %trigger.time, dry_run = trigger.dry_run, "weekly rotation");
        let summary = |report: &JobReport| serde_json::to_string(report).unwrap_or_default();
        self.heartbeat
            .watch(&trigger.event_id, summary, self.job.run(&trigger))
            .await
            .map_err(|e| {
                error!(error = %escape(&e.to_string()), retryable = e.is_retryable(), "weekly rotation failed");
                HandlerFailure::new(&e, e.is_retryable())
            })
    }
}
