//! The parts several configurations share, each read one way: where the SDK goes, the table, the
//! sender, the dead man's switch, the mail lease, the status token, VictorOps' API and the brief's
//! inputs.

use std::path::PathBuf;

use super::variables::Variables;
use super::{ConfigError, FromVariables, VariableProblem, vars};
use crate::adapters::dynamo::TableName;
use crate::adapters::sdk::AwsSettings;
use crate::adapters::victorops::VictorOpsApiSettings;
use crate::brief::BriefSettings;
use crate::http_url::HttpUrl;
use crate::mail::EmailAddress;
use crate::maintenance::circuits::Circuits;
use crate::reviewed_file::{FileError, ReviewedFile as _};
use crate::secret::Secret;
use crate::triage::rules::Rules;

/// Where the SDK clients go (`AWS_ENDPOINT_URL`, `AWS_REGION`, both optional).
pub fn aws(variables: &mut Variables<'_>) -> AwsSettings {
    AwsSettings {
        endpoint_url: variables.optional_parsed(vars::AWS_ENDPOINT_URL, HttpUrl::parse),
        region: variables.optional(vars::AWS_REGION),
        // A webhook's budget; a job opts into `CallBudget::JOB` in its own configuration.
        ..AwsSettings::default()
    }
}

/// The commands that need nothing but the SDK (creating a bucket or a sender identity).
impl FromVariables for AwsSettings {
    fn read(variables: &mut Variables<'_>) -> Option<Self> {
        Some(aws(variables))
    }
}

/// `CLINIC_TABLE`, required.
pub fn table(variables: &mut Variables<'_>) -> Option<TableName> {
    variables.required_parsed(vars::TABLE, TableName::parse)
}

/// `CLINIC_MAIL_DOMAIN`, optional: the reserved `clinic.invalid` where unset (a local run).
pub fn mail_domain(variables: &mut Variables<'_>) -> crate::mail::MailDomain {
    variables
        .optional_parsed(vars::MAIL_DOMAIN, crate::mail::MailDomain::parse)
        .unwrap_or_default()
}

/// `CLINIC_SENDER`, required.
pub fn sender(variables: &mut Variables<'_>) -> Option<EmailAddress> {
    variables.required_parsed(vars::SENDER, EmailAddress::parse)
}

/// The dead man's switch's base URL when set; a credential, so it is never logged.
pub fn healthcheck_url(variables: &mut Variables<'_>) -> Option<HttpUrl> {
    variables.optional_parsed(vars::HEALTHCHECK_URL, HttpUrl::parse)
}

/// How long a claimed handoff e-mail (or a week's VictorOps sync) stays reserved for the invocation
/// holding it.
pub fn mail_lease_seconds(variables: &mut Variables<'_>) -> u32 {
    variables.number_in(
        vars::MAIL_LEASE_SECONDS,
        10..=900,
        120,
        "a whole number of seconds",
    )
}

/// The longest a swap request stays open (`crate::swaps`): 28 days unless set, 1 to 90.
pub fn swap_max_age(variables: &mut Variables<'_>) -> jiff::SignedDuration {
    let days = variables.number_in(
        vars::SWAP_MAX_AGE_DAYS,
        1..=90,
        28,
        "a whole number of days",
    );
    jiff::SignedDuration::from_hours(24 * i64::from(days))
}

/// The status endpoint's bearer token: 16 characters at least.
pub fn status_token(raw: &str) -> Result<Secret, &'static str> {
    let token = raw.trim();
    if token.chars().count() < 16 {
        Err("must be at least 16 characters")
    } else {
        Ok(Secret::new(token))
    }
}

/// VictorOps' public API: all three variables, or none of them (then `None`, and Clinic leaves
/// VictorOps alone).
pub fn victorops_api(variables: &mut Variables<'_>) -> Option<VictorOpsApiSettings> {
    let names = VICTOROPS_API;
    let [url, api_id, api_key] = names.map(|name| variables.optional(name));
    if url.is_none() && api_id.is_none() && api_key.is_none() {
        return None;
    }
    let mut complete = true;
    for (name, value) in names.into_iter().zip([&url, &api_id, &api_key]) {
        if value.is_none() {
            complete = false;
            variables.problem(
                name,
                format!("is not set (the VictorOps API needs {})", names.join(", ")),
            );
        }
    }
    let url = variables.parsed(vars::VICTOROPS_API_URL, url, HttpUrl::parse);
    let api_id = variables.parsed(vars::VICTOROPS_API_ID, api_id, |id| {
        let id = id.trim();
        if id.chars().all(|c| c.is_ascii_graphic()) {
            Ok(id.to_owned())
        } else {
            Err("must be the organisation's API id, without spaces")
        }
    });
    if !complete {
        return None;
    }
    Some(VictorOpsApiSettings {
        url: url?,
        api_id: api_id?,
        api_key: Secret::new(api_key?.trim()),
    })
}

const VICTOROPS_API: [&str; 3] = [
    vars::VICTOROPS_API_URL,
    vars::VICTOROPS_API_ID,
    vars::VICTOROPS_API_KEY,
];

/// The error for a command that cannot work without VictorOps' API: its three variables, not set.
pub fn victorops_api_missing() -> ConfigError {
    ConfigError {
        problems: VICTOROPS_API
            .into_iter()
            .map(|variable| VariableProblem {
                variable,
                problem: "is not set".to_owned(),
            })
            .collect(),
    }
}

/// What the brief is built from, both optional: Phorge's URL (task links) and the triage rules
/// file (the stale threshold).
#[derive(Debug, Clone, Default)]
pub struct BriefInputs {
    pub phabricator_url: Option<HttpUrl>,
    pub triage_rules: Option<PathBuf>,
    pub mail_domain: crate::mail::MailDomain,
    pub circuits: Option<PathBuf>,
}

impl BriefInputs {
    pub fn read(variables: &mut Variables<'_>) -> Self {
        Self {
            phabricator_url: variables.optional_parsed(vars::PHABRICATOR_URL, HttpUrl::parse),
            triage_rules: variables.optional(vars::TRIAGE_RULES).map(PathBuf::from),
            mail_domain: mail_domain(variables),
            circuits: variables.optional(vars::CIRCUITS).map(PathBuf::from),
        }
    }

    /// How the brief is built: `stale.after_days` of the triage rules file when
    /// `CLINIC_TRIAGE_RULES` is set (the same number the follow-up sweep uses), else its default;
    /// task links to `PHABRICATOR_URL` when set.
    pub fn settings(&self) -> Result<BriefSettings, BriefSettingsError> {
        let stale_after_days = match &self.triage_rules {
            Some(path) => Rules::load(path)?.stale.after_days,
            None => crate::triage::rules::StaleRule::default().after_days,
        };
        let circuits = match &self.circuits {
            Some(path) => Some(Circuits::load(path)?),
            None => None,
        };
        Ok(BriefSettings {
            stale_after_days,
            phabricator_url: self.phabricator_url.clone(),
            uid_domain: self.mail_domain.clone(),
            circuits,
        })
    }
}

/// Why the brief's settings could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BriefSettingsError {
    #[error(transparent)]
    Rules(#[from] FileError<Rules>),
    #[error(transparent)]
    Circuits(#[from] FileError<Circuits>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_commands_that_need_only_the_sdk_need_no_variables() {
        assert!(AwsSettings::from_lookup(|_| None).is_ok());
    }

    #[test]
    fn a_secret_url_is_not_printed_whole() {
        let url = HttpUrl::parse("https://hc-ping.com/5f1b0c1e-secret").unwrap();
        let shown = format!("{url:?}");
        assert!(!shown.contains("secret"), "{shown}");
    }

    #[test]
    fn without_a_rules_file_the_brief_keeps_its_default_stale_threshold() {
        let settings = BriefInputs::default().settings().unwrap();
        assert_eq!(
            settings.stale_after_days,
            crate::triage::rules::StaleRule::default().after_days
        );
        assert!(settings.phabricator_url.is_none());
    }
}
