//! Configuration from the environment, validated once at start-up.
//!
//! Each function, and each kind of `clinic` command, has its own typed configuration, with plain
//! fields for what it cannot start without; all are read through one collector, [`Variables`], that
//! names every missing or malformed variable at once.

mod chat;
mod chat_networks;
mod cli;
mod event_chat;
mod maintenance_mail;
mod phabricator_webhook;
mod rotation;
pub mod secrets;
mod sections;
mod variables;
mod victorops_webhook;
mod web;

use std::fmt;
use std::future::Future;

pub use chat::{ChatConfig, DEFAULT_SLACK_API_URL, MatrixSettings, SlackSettings};
pub use chat_networks::chat_networks;
pub use cli::{BriefConfig, StatusConfig, SyncConfig, TableConfig};
pub use event_chat::EventChat;
pub use maintenance_mail::MaintenanceMailConfig;
pub use phabricator_webhook::PhabricatorWebhookConfig;
pub use rotation::RotationConfig;
pub use sections::{BriefInputs, BriefSettingsError};
pub use variables::Variables;
pub use victorops_webhook::VictorOpsWebhookConfig;
pub use web::WebConfig;

/// Names of the variables Clinic reads, in one place so docs, Terraform and tests agree.
pub mod vars {
    pub const TABLE: &str = "CLINIC_TABLE";
    pub const SENDER: &str = "CLINIC_SENDER";
    /// The deployment's mail domain: the calendar feeds' event UIDs end in it.
    pub const MAIL_DOMAIN: &str = "CLINIC_MAIL_DOMAIN";
    pub const ROSTER: &str = "CLINIC_ROSTER";
    pub const HEALTHCHECK_URL: &str = "CLINIC_HEALTHCHECK_URL";
    pub const MAIL_LEASE_SECONDS: &str = "CLINIC_MAIL_LEASE_SECONDS";
    pub const CALENDAR_BUCKET: &str = "CLINIC_CALENDAR_BUCKET";
    pub const CALENDAR_KEY: &str = "CLINIC_CALENDAR_KEY";
    pub const CALENDAR_INCLUDE_REDUNDANCY: &str = "CLINIC_CALENDAR_INCLUDE_REDUNDANCY";
    pub const MAIL_MAX_BYTES: &str = "CLINIC_MAIL_MAX_BYTES";
    pub const AWS_ENDPOINT_URL: &str = "AWS_ENDPOINT_URL";
    pub const AWS_REGION: &str = "AWS_REGION";
    pub const VICTOROPS_WEBHOOK_SECRET: &str = "VICTOROPS_WEBHOOK_SECRET";
    pub const VICTOROPS_ESCALATION_KEY: &str = "VICTOROPS_ESCALATION_KEY";
    pub const VICTOROPS_ESCALATION_URL: &str = "VICTOROPS_ESCALATION_URL";
    pub const STATUSPAGE_API_URL: &str = "STATUSPAGE_API_URL";
    pub const STATUSPAGE_API_KEY: &str = "STATUSPAGE_API_KEY";
    pub const STATUSPAGE_PAGE_ID: &str = "STATUSPAGE_PAGE_ID";
    pub const INCIDENT_MAPPING: &str = "CLINIC_INCIDENT_MAPPING";
    pub const DUTY_ROTATION: &str = "CLINIC_DUTY_ROTATION";
    /// Default recipients of `clinic downtime schedule` announcements (comma-separated).
    pub const ANNOUNCE_LIST: &str = "CLINIC_ANNOUNCE_LIST";
    pub const PHABRICATOR_URL: &str = "PHABRICATOR_URL";
    pub const PHABRICATOR_API_TOKEN: &str = "PHABRICATOR_API_TOKEN";
    pub const PHABRICATOR_WEBHOOK_HMAC_KEY: &str = "PHABRICATOR_WEBHOOK_HMAC_KEY";
    pub const TRIAGE_RULES: &str = "CLINIC_TRIAGE_RULES";
    /// The team's circuits file (the brief's outages of redundancy groups).
    pub const CIRCUITS: &str = "CLINIC_CIRCUITS";
    pub const DRY_RUN: &str = "CLINIC_DRY_RUN";
    /// VictorOps' public API (`https://api.victorops.com/api-public`), the organisation's API id and
    /// an API key: all three, or none (then Clinic leaves VictorOps alone).
    pub const VICTOROPS_API_URL: &str = "VICTOROPS_API_URL";
    pub const VICTOROPS_API_ID: &str = "VICTOROPS_API_ID";
    pub const VICTOROPS_API_KEY: &str = "VICTOROPS_API_KEY";
    /// Bearer token of the read-only `GET /status` endpoint (a credential).
    pub const STATUS_TOKEN: &str = "CLINIC_STATUS_TOKEN";
    /// Where people open the pages; the mailed sign-in links point there.
    pub const WEB_URL: &str = "CLINIC_WEB_URL";
    /// The key signing sign-in links, session cookies and CSRF tokens (a credential).
    pub const WEB_SIGNING_KEY: &str = "CLINIC_WEB_SIGNING_KEY";
    /// API Gateway's JWT authorizer guards the pages: its claims sign people in.
    pub const WEB_JWT_AUTHORIZER: &str = "CLINIC_WEB_JWT_AUTHORIZER";
    /// The Slack app's signing secret: slash commands are verified with it (a credential).
    pub const SLACK_SIGNING_SECRET: &str = "CLINIC_SLACK_SIGNING_SECRET";
    /// Slack's Web API base (`https://slack.com/api/` when unset).
    pub const SLACK_API_URL: &str = "CLINIC_SLACK_API_URL";
    /// The SSM SecureString parameter holding Slack's bot token: set, Clinic posts to Slack.
    pub const SLACK_TOKEN_PARAMETER: &str = "CLINIC_SLACK_TOKEN_SSM_PARAMETER";
    /// The Matrix homeserver's base URL, and the SSM parameter holding the bot's access token.
    pub const MATRIX_HOMESERVER: &str = "CLINIC_MATRIX_HOMESERVER";
    pub const MATRIX_TOKEN_PARAMETER: &str = "CLINIC_MATRIX_TOKEN_SSM_PARAMETER";
    /// The longest a swap request stays open, in days, if its week starts later than that.
    pub const SWAP_MAX_AGE_DAYS: &str = "CLINIC_SWAP_MAX_AGE_DAYS";

    /// Every variable the configurations read.
    pub const ALL: &[&str] = &[
        TABLE,
        SENDER,
        MAIL_DOMAIN,
        ROSTER,
        HEALTHCHECK_URL,
        MAIL_LEASE_SECONDS,
        CALENDAR_BUCKET,
        CALENDAR_KEY,
        CALENDAR_INCLUDE_REDUNDANCY,
        MAIL_MAX_BYTES,
        AWS_ENDPOINT_URL,
        AWS_REGION,
        VICTOROPS_WEBHOOK_SECRET,
        VICTOROPS_ESCALATION_KEY,
        VICTOROPS_ESCALATION_URL,
        STATUSPAGE_API_URL,
        STATUSPAGE_API_KEY,
        STATUSPAGE_PAGE_ID,
        INCIDENT_MAPPING,
        DUTY_ROTATION,
        ANNOUNCE_LIST,
        PHABRICATOR_URL,
        PHABRICATOR_API_TOKEN,
        PHABRICATOR_WEBHOOK_HMAC_KEY,
        TRIAGE_RULES,
        CIRCUITS,
        DRY_RUN,
        VICTOROPS_API_URL,
        VICTOROPS_API_ID,
        VICTOROPS_API_KEY,
        STATUS_TOKEN,
        WEB_URL,
        WEB_SIGNING_KEY,
        WEB_JWT_AUTHORIZER,
        SLACK_SIGNING_SECRET,
        SLACK_API_URL,
        SLACK_TOKEN_PARAMETER,
        MATRIX_HOMESERVER,
        MATRIX_TOKEN_PARAMETER,
        SWAP_MAX_AGE_DAYS,
    ];
}

/// One problem with one variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariableProblem {
    pub variable: &'static str,
    pub problem: String,
}

/// Every problem found, so an operator fixes them all in one deploy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    pub problems: Vec<VariableProblem>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "configuration is invalid: ")?;
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                write!(f, "; ")?;
            }
            write!(f, "{} {}", p.variable, p.problem)?;
        }
        Ok(())
    }
}

/// A configuration read from variables: what it reads is [`FromVariables::read`], where it reads
/// them from is the caller's choice.
pub trait FromVariables: Sized + Send {
    /// Reads every variable this configuration uses, in a fixed order (the order its problems are
    /// listed in); `None` only when a problem was recorded.
    fn read(variables: &mut Variables<'_>) -> Option<Self>;

    /// Reads variables through `lookup`, so tests need not touch the process environment.
    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut variables = Variables::new(&lookup);
        let value = Self::read(&mut variables);
        variables.finish(value)
    }

    /// Reads the process environment.
    fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the process environment and, where a credential's variable names an SSM parameter
    /// instead (see [`secrets`]), the parameter: how a function starts on Lambda.
    fn load() -> impl Future<Output = Result<Self, ConfigError>> + Send {
        secrets::load::<Self>()
    }

    /// Reads variables through `lookup`, and the credentials they name through `store`.
    fn from_lookup_and_parameters(
        lookup: impl Fn(&str) -> Option<String> + Send,
        store: &dyn crate::adapters::ssm::ParameterStore,
    ) -> impl Future<Output = Result<Self, ConfigError>> + Send {
        secrets::from_lookup_and_parameters::<Self>(lookup, store)
    }

    /// The variables this configuration cannot be read without.
    fn required() -> Vec<&'static str> {
        match Self::from_lookup(|_| None) {
            Ok(_) => Vec::new(),
            Err(error) => error.problems.into_iter().map(|p| p.variable).collect(),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::HashMap;

    /// A lookup over `pairs`, for the configurations' tests.
    pub(crate) fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }
}
