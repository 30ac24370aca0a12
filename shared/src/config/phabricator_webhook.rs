//! What the phabricator-webhook function (and `clinic serve`'s Herald hook) reads: the table,
//! Conduit, the webhook's HMAC key and the triage rules; dry run, the status token and the dead
//! man's switch when set.

use std::path::PathBuf;

use super::sections;
use super::variables::Variables;
use super::{FromVariables, vars};
use crate::adapters::dynamo::TableName;
use crate::adapters::sdk::AwsSettings;
use crate::http_url::HttpUrl;
use crate::secret::Secret;

#[derive(Debug, Clone)]
pub struct PhabricatorWebhookConfig {
    pub aws: AwsSettings,
    pub table: TableName,
    /// The follow-up sweep's dead man's switch (a credential, never logged).
    pub healthcheck_url: Option<HttpUrl>,
    /// Conduit's base URL (`https://phabricator.example.org`).
    pub phabricator_url: HttpUrl,
    pub phabricator_api_token: Secret,
    pub phabricator_webhook_hmac_key: Secret,
    pub triage_rules: PathBuf,
    /// Evaluate and audit, change nothing (`CLINIC_DRY_RUN=1`).
    pub dry_run: bool,
    /// The status endpoint's bearer token; without it `GET /status` is not served.
    pub status_token: Option<Secret>,
    /// The rotation feed's event UIDs end in it.
    pub mail_domain: crate::mail::MailDomain,
    /// The team's circuits file, for the outages `/status` lists.
    pub circuits: Option<PathBuf>,
}

impl FromVariables for PhabricatorWebhookConfig {
    fn read(variables: &mut Variables<'_>) -> Option<Self> {
        // Read in this order, so problems are listed in the order they always were.
        let table = sections::table(variables);
        let healthcheck_url = sections::healthcheck_url(variables);
        let aws = sections::aws(variables);
        let phabricator_url = variables.required_parsed(vars::PHABRICATOR_URL, HttpUrl::parse);
        let phabricator_api_token = variables
            .required(vars::PHABRICATOR_API_TOKEN)
            .map(|v| Secret::new(v.trim()));
        let phabricator_webhook_hmac_key = variables
            .required(vars::PHABRICATOR_WEBHOOK_HMAC_KEY)
            .map(Secret::new);
        let triage_rules = variables.required(vars::TRIAGE_RULES).map(PathBuf::from);
        let dry_run = variables.flag(
            vars::DRY_RUN,
            &["1", "true"],
            &["0", "false"],
            "1, true, 0 or false",
        );
        let status_token = variables.optional_parsed(vars::STATUS_TOKEN, sections::status_token);
        let mail_domain = sections::mail_domain(variables);
        let circuits = variables.optional(vars::CIRCUITS).map(PathBuf::from);
        Some(Self {
            aws,
            table: table?,
            healthcheck_url,
            phabricator_url: phabricator_url?,
            phabricator_api_token: phabricator_api_token?,
            phabricator_webhook_hmac_key: phabricator_webhook_hmac_key?,
            triage_rules: triage_rules?,
            dry_run,
            status_token,
            mail_domain,
            circuits,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::lookup;

    #[test]
    fn the_webhook_names_every_phabricator_variable_it_lacks_and_hides_secrets() {
        let err = PhabricatorWebhookConfig::from_lookup(lookup(&[("CLINIC_DRY_RUN", "yes")]))
            .unwrap_err();
        let named: Vec<_> = err.problems.iter().map(|p| p.variable).collect();
        assert_eq!(
            named,
            vec![
                vars::TABLE,
                vars::PHABRICATOR_URL,
                vars::PHABRICATOR_API_TOKEN,
                vars::PHABRICATOR_WEBHOOK_HMAC_KEY,
                vars::TRIAGE_RULES,
                vars::DRY_RUN
            ]
        );
        assert_eq!(
            err.problems[5].problem,
            "must be 1, true, 0 or false (got \"yes\")"
        );
        let config = PhabricatorWebhookConfig::from_lookup(lookup(&[
            ("CLINIC_TABLE", "clinic-test"),
            ("PHABRICATOR_URL", "https://phab.example.org/"),
            ("PHABRICATOR_API_TOKEN", "api-supersecret"),
            ("PHABRICATOR_WEBHOOK_HMAC_KEY", "hmac-supersecret"),
            ("CLINIC_TRIAGE_RULES", "rules.toml"),
            ("CLINIC_DRY_RUN", "1"),
            ("CLINIC_STATUS_TOKEN", "status-supersecret-0001"),
        ]))
        .unwrap();
        assert!(config.dry_run);
        assert!(config.status_token.is_some());
        let shown = format!("{config:?}");
        assert!(!shown.contains("supersecret"), "{shown}");
    }

    #[test]
    fn a_short_status_token_is_refused() {
        let err = PhabricatorWebhookConfig::from_lookup(lookup(&[
            ("CLINIC_TABLE", "clinic-test"),
            ("PHABRICATOR_URL", "https://phab.example.org/"),
            ("PHABRICATOR_API_TOKEN", "api-token"),
            ("PHABRICATOR_WEBHOOK_HMAC_KEY", "hmac-key"),
            ("CLINIC_TRIAGE_RULES", "rules.toml"),
            ("CLINIC_STATUS_TOKEN", "short"),
        ]))
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "configuration is invalid: CLINIC_STATUS_TOKEN must be at least 16 characters"
        );
    }
}
