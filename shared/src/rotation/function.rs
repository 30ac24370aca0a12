//! The rotation Lambda's handler, here rather than in the function crate so that tests and
//! `clinic invoke rotation` call exactly what Lambda calls.

use std::sync::Arc;

use tracing::{error, info};

use super::handoff::{HandoffJob, JOB, JobReport};
use super::roster::Roster;
use crate::config::{Config, ConfigError};
use crate::heartbeat::Heartbeat;
use crate::lambda::HandlerFailure;
use crate::mail::SesMailer;
use crate::store::DynamoStore;
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
    // The dead man's switch URL, a credential, from Parameter Store.
    "ssm:GetParameters",
];

/// Why the function could not start: nothing is retried until the deployment is fixed.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("cannot read the roster {path}")]
    RosterUnreadable {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the roster {path} is invalid: {source}")]
    RosterInvalid {
        path: String,
        #[source]
        source: super::roster::RosterError,
    },
    #[error("the brief's settings: {0}")]
    Brief(#[from] crate::brief::SettingsError),
}

/// Reads and validates the roster file named by the configuration.
pub fn load_roster(path: &std::path::Path) -> Result<Roster, StartupError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| StartupError::RosterUnreadable {
        path: shown.clone(),
        source,
    })?;
    Roster::parse(&text).map_err(|source| StartupError::RosterInvalid {
        path: shown,
        source,
    })
}

pub struct RotationFunction {
    job: HandoffJob<DynamoStore>,
    heartbeat: Heartbeat,
}

impl RotationFunction {
    /// Builds the SDK clients once and loads the roster; called once per cold start.
    pub async fn from_config(config: &Config) -> Result<Self, StartupError> {
        let roster = load_roster(config.roster()?)?;
        let sdk = crate::aws::sdk_config(config).await;
        let store = DynamoStore::new(crate::aws::dynamodb(&sdk), config.table()?.clone());
        let mailer = Arc::new(SesMailer::new(crate::aws::sesv2(&sdk)));
        let linked = roster
            .rotation_names()
            .any(|name| crate::oncall::VictorOpsSync::link(&roster, name.as_str()).is_some());
        // The mails carry the brief: its stale threshold from the triage rules when shipped.
        let briefing = crate::brief::Briefing::new(
            Arc::new(store.clone()),
            crate::brief::BriefSettings::from_config(config)?,
        );
        let mut job = HandoffJob::new(
            store.clone(),
            mailer,
            roster,
            config.sender()?.clone(),
            config.mail_lease_seconds,
        )
        .with_briefing(briefing);
        match (&config.victorops_api, linked) {
            (Some(api), true) => {
                let client = crate::oncall::victorops_api::VictorOpsClient::new(
                    api,
                    crate::oncall::victorops_api::default_pacing(),
                );
                job = job.with_victorops(Arc::new(crate::oncall::VictorOpsSync::new(
                    Arc::new(client),
                    Arc::new(store),
                    config.mail_lease_seconds,
                )));
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

    /// Handles one scheduled event.
    pub async fn handle(&self, event: serde_json::Value) -> Result<JobReport, HandlerFailure> {
        let trigger = Trigger::parse(&event, JOB).map_err(|e| {
            error!(error = %e, "refused event");
            HandlerFailure::new(&e, false)
        })?;
        info!(event = %trigger.event_id, time = %trigger.time, dry_run = trigger.dry_run, "weekly rotation");
        let summary = |report: &JobReport| serde_json::to_string(report).unwrap_or_default();
        self.heartbeat
            .watch(&trigger.event_id, summary, self.job.run(&trigger))
            .await
            .map_err(|e| {
                error!(error = %e, retryable = e.is_retryable(), "weekly rotation failed");
                HandlerFailure::new(&e, e.is_retryable())
            })
    }
}
