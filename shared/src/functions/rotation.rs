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
    /// The swaps job's report, under `swaps`.
    Swaps {
        swaps: crate::swaps::SweepReport,
    },
}

impl RotationAnswer {
    pub fn summary(&self) -> String {
        match self {
            Self::Weekly(report) => report.summary(),
            Self::Chat(report) => report.summary(),
            Self::Swaps { swaps } => format!(
                "swaps: {} expired, {} applied, {} mail(s) sent\n",
                swaps.expired.len(),
                swaps.applied.len(),
                swaps.mails_sent.len()
            ),
        }
    }
}

pub struct RotationFunction {
    job: HandoffJob<DynamoStore>,
    heartbeat: Heartbeat,
    /// The swaps job (`crate::swaps`), when `CLINIC_WEB_URL` says where its mails link.
    swaps: Option<crate::swaps::Swaps>,
}

/// Why the swaps job could not run.
#[derive(Debug, thiserror::Error)]
pub enum SwapJobError {
    #[error("CLINIC_WEB_URL is not set: the swaps job cannot link its mails, so it does not run")]
    NoWebUrl,
    #[error("the table failed")]
    Store(#[from] crate::store::StoreError),
    #[error("{0} swap step(s) failed (mails, VictorOps); the next run retries them")]
    Pending(usize),
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
        let mut swaps = config.web_url.clone().map(|web_url| crate::swaps::Swaps {
            ledger: Arc::new(store.clone()),
            shifts: Arc::new(store.clone()),
            claims: Arc::new(store.clone()),
            mailer: mailer.clone(),
            nonces: Arc::new(crate::adapters::random::OsNonces),
            roster: Arc::new(roster.clone()),
            victorops: None,
            sender: config.sender.clone(),
            web_url,
            lease: jiff::SignedDuration::from_secs(i64::from(config.mail_lease_seconds)),
            max_age: config.swap_max_age,
        });
        let mut job = HandoffJob::new(
            store.clone(),
            mailer,
            roster.clone(),
            config.sender.clone(),
            config.mail_lease_seconds,
        )
        .with_briefing(briefing)
        .with_web_url(config.web_url.clone())
        .with_clock(clock.clone());
        if config.chat.slack.is_some() || config.chat.matrix.is_some() {
            let ssm = crate::adapters::ssm::SsmParameters::new(crate::adapters::sdk::ssm(&sdk));
            let networks = crate::config::chat_networks(&config.chat, &ssm).await?;
            let hooks = Arc::new(super::rotation_notices::NoticeHooks {
                store: store.clone(),
                roster: Arc::new(roster.clone()),
            });
            job = job.with_chat(HandoffChat {
                networks,
                page: config.web_url.clone(),
                notices: Some(hooks.clone()),
                commands: Some(hooks),
            });
        }
        match (&config.victorops_api, linked) {
            (Some(api), true) => {
                let client = crate::adapters::victorops::VictorOpsClient::new(
                    api,
                    crate::adapters::victorops::default_pacing(),
                );
                let sync = Arc::new(
                    crate::oncall::VictorOpsSync::new(
                        Arc::new(client),
                        Arc::new(store),
                        config.mail_lease_seconds,
                    )
                    .with_clock(clock),
                );
                swaps = swaps.map(|s| crate::swaps::Swaps {
                    victorops: Some(sync.clone()),
                    ..s
                });
                job = job.with_victorops(sync);
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
            swaps,
        })
    }

    pub fn from_job(job: HandoffJob<DynamoStore>) -> Self {
        Self {
            job,
            heartbeat: Heartbeat::off(),
            swaps: None,
        }
    }

    /// Runs the swaps job too (docs/web.md, "Swaps and cover").
    pub fn with_swaps(mut self, swaps: crate::swaps::Swaps) -> Self {
        self.swaps = Some(swaps);
        self
    }

    /// Whether `event` is the swaps job's Scheduler input rather than the weekly run's.
    pub fn is_swap_job(event: &serde_json::Value) -> bool {
        event.get("job").and_then(|j| j.as_str()) == Some(crate::swaps::JOB)
    }

    /// The swaps job: reminders, expiry, and what an interrupted accept left to finish.
    pub async fn swap_sweep(
        &self,
        event: serde_json::Value,
    ) -> Result<crate::swaps::SweepReport, HandlerFailure> {
        let trigger = Trigger::parse(&event, crate::swaps::JOB).map_err(|e| {
            error!(error = %escape(&e.to_string()), "refused event");
            HandlerFailure::new(&e, false)
        })?;
        let Some(swaps) = &self.swaps else {
            let e = SwapJobError::NoWebUrl;
            error!(error = %e, "swaps job refused");
            return Err(HandlerFailure::new(&e, false));
        };
        info!(event = %trigger.event_id, time = %trigger.time, dry_run = trigger.dry_run, "swaps job");
        let report = swaps
            .sweep(trigger.time, &trigger.event_id, trigger.dry_run)
            .await
            .map_err(|e| {
                let e = SwapJobError::from(e);
                error!(error = %escape(&e.to_string()), "swaps job failed");
                HandlerFailure::new(&e, true)
            })?;
        if !report.failed.is_empty() {
            let e = SwapJobError::Pending(report.failed.len());
            error!(error = %e, failed = ?report.failed, "swaps job incomplete");
            return Err(HandlerFailure::new(&e, true));
        }
        Ok(report)
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
        if Self::is_swap_job(&event) {
            let swaps = self.swap_sweep(event).await?;
            return Ok(RotationAnswer::Swaps { swaps });
        }
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
