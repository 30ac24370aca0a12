//! What the victorops-webhook function (and `clinic downtime schedule`) reads: the table, the
//! sender, the webhook's secret, Statuspage, the incident mapping and the clinic-duty rotation; the
//! legacy escalation webhook and the dead man's switch when set.

use std::path::PathBuf;

use super::sections;
use super::variables::Variables;
use super::{FromVariables, vars};
use crate::adapters::dynamo::TableName;
use crate::adapters::sdk::AwsSettings;
use crate::http_url::HttpUrl;
use crate::mail::EmailAddress;
use crate::secret::Secret;

#[derive(Debug, Clone)]
pub struct VictorOpsWebhookConfig {
    pub aws: AwsSettings,
    pub table: TableName,
    /// The From address of reminders and announcements.
    pub sender: EmailAddress,
    /// The reminder sweep's dead man's switch (a credential, never logged).
    pub healthcheck_url: Option<HttpUrl>,
    pub webhook_secret: Secret,
    /// The legacy escalation webhook's auth key and the URL exactly as configured in VictorOps;
    /// both or neither (without them signed deliveries are refused).
    pub escalation: Option<(Secret, String)>,
    pub statuspage_api_url: HttpUrl,
    pub statuspage_api_key: Secret,
    pub statuspage_page_id: String,
    pub mapping: PathBuf,
    /// The rotation whose current shift is "the clinic-duty person".
    pub duty_rotation: String,
    /// Where mapped incidents' openings and resolutions are posted: that rotation's rooms.
    pub chat: super::EventChat,
}

impl FromVariables for VictorOpsWebhookConfig {
    fn read(variables: &mut Variables<'_>) -> Option<Self> {
        // Read in this order, so problems are listed in the order they always were: every missing
        // variable first, then the ones that are malformed.
        let table = sections::table(variables);
        let sender = sections::sender(variables);
        let healthcheck_url = sections::healthcheck_url(variables);
        let aws = sections::aws(variables);
        let secret = variables.required(vars::VICTOROPS_WEBHOOK_SECRET);
        let api_url = variables.required(vars::STATUSPAGE_API_URL);
        let api_key = variables.required(vars::STATUSPAGE_API_KEY);
        let page_id = variables.required(vars::STATUSPAGE_PAGE_ID);
        let mapping = variables.required(vars::INCIDENT_MAPPING);
        let duty_rotation = variables.required(vars::DUTY_ROTATION);
        let escalation = escalation(variables);
        let chat =
            super::event_chat::event_chat(variables, duty_rotation.as_deref().map(str::trim));
        let secret = variables.parsed(vars::VICTOROPS_WEBHOOK_SECRET, secret, |s| {
            if s.trim().chars().count() >= 16 {
                Ok(Secret::new(s.trim()))
            } else {
                Err("must be at least 16 characters")
            }
        });
        let api_url = variables.parsed(vars::STATUSPAGE_API_URL, api_url, HttpUrl::parse);
        let page_id = variables.parsed(vars::STATUSPAGE_PAGE_ID, page_id, |p| {
            if p.chars().all(|c| c.is_ascii_alphanumeric()) {
                Ok(p.to_owned())
            } else {
                Err("must be letters and digits only")
            }
        });
        Some(Self {
            aws,
            table: table?,
            sender: sender?,
            healthcheck_url,
            webhook_secret: secret?,
            escalation,
            statuspage_api_url: api_url?,
            statuspage_api_key: Secret::new(api_key?.trim()),
            statuspage_page_id: page_id?,
            mapping: PathBuf::from(mapping?),
            duty_rotation: duty_rotation?.trim().to_owned(),
            chat,
        })
    }
}

/// The escalation webhook's key and URL: both, or neither.
fn escalation(variables: &mut Variables<'_>) -> Option<(Secret, String)> {
    match (
        variables.optional(vars::VICTOROPS_ESCALATION_KEY),
        variables.optional(vars::VICTOROPS_ESCALATION_URL),
    ) {
        (Some(key), Some(url)) => Some((Secret::new(key), url.trim().to_owned())),
        (None, None) => None,
        (Some(_), None) | (None, Some(_)) => {
            variables.problem(
                vars::VICTOROPS_ESCALATION_URL,
                format!(
                    "and {} must be set together",
                    vars::VICTOROPS_ESCALATION_KEY
                ),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::lookup;

    #[test]
    fn the_victorops_function_names_all_its_missing_variables_and_hides_secrets() {
        let err = VictorOpsWebhookConfig::from_lookup(lookup(&[
            ("CLINIC_TABLE", "t-able"),
            ("CLINIC_SENDER", "c@example.org"),
        ]))
        .unwrap_err();
        let named: Vec<_> = err.problems.iter().map(|p| p.variable).collect();
        assert_eq!(
            named,
            vec![
                vars::VICTOROPS_WEBHOOK_SECRET,
                vars::STATUSPAGE_API_URL,
                vars::STATUSPAGE_API_KEY,
                vars::STATUSPAGE_PAGE_ID,
                vars::INCIDENT_MAPPING,
                vars::DUTY_ROTATION
            ]
        );
        let config = VictorOpsWebhookConfig::from_lookup(lookup(&[
            ("CLINIC_TABLE", "t-able"),
            ("CLINIC_SENDER", "c@example.org"),
            ("VICTOROPS_WEBHOOK_SECRET", "a-long-enough-secret"),
            ("STATUSPAGE_API_URL", "http://127.0.0.1:9/v1"),
            ("STATUSPAGE_API_KEY", "sp-key-value"),
            ("STATUSPAGE_PAGE_ID", "kctbh9vrtdwd"),
            ("CLINIC_INCIDENT_MAPPING", "/var/task/mapping.toml"),
            ("CLINIC_DUTY_ROTATION", "sre-clinic"),
        ]))
        .unwrap();
        let shown = format!("{config:?}");
        assert!(
            !shown.contains("a-long-enough-secret") && !shown.contains("sp-key-value"),
            "{shown}"
        );
    }

    #[test]
    fn a_malformed_webhook_environment_is_named_after_the_missing_variables() {
        let err = VictorOpsWebhookConfig::from_lookup(lookup(&[
            ("CLINIC_TABLE", "t-able"),
            ("CLINIC_SENDER", "c@example.org"),
            ("VICTOROPS_WEBHOOK_SECRET", "short"),
            ("VICTOROPS_ESCALATION_KEY", "k"),
            ("STATUSPAGE_API_URL", "not a url"),
            ("STATUSPAGE_API_KEY", "sp-key-value"),
            ("STATUSPAGE_PAGE_ID", "page-1"),
            ("CLINIC_INCIDENT_MAPPING", "/var/task/mapping.toml"),
        ]))
        .unwrap_err();
        let named: Vec<_> = err.problems.iter().map(|p| p.variable).collect();
        assert_eq!(
            named,
            vec![
                vars::DUTY_ROTATION,
                vars::VICTOROPS_ESCALATION_URL,
                vars::VICTOROPS_WEBHOOK_SECRET,
                vars::STATUSPAGE_API_URL,
                vars::STATUSPAGE_PAGE_ID
            ]
        );
        assert_eq!(
            err.problems[1].problem,
            "and VICTOROPS_ESCALATION_KEY must be set together"
        );
    }
}
