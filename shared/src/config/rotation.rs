//! What the rotation function reads: the table, the sender and the roster; the dead man's switch,
//! the mail lease, the brief's inputs and VictorOps' API when set; the chat networks and the web
//! pages' address when the handoff is posted to chat.

use std::path::PathBuf;

use super::sections::{self, BriefInputs};
use super::variables::Variables;
use super::{FromVariables, vars};
use crate::adapters::dynamo::TableName;
use crate::adapters::sdk::AwsSettings;
use crate::adapters::sdk::CallBudget;
use crate::adapters::victorops::VictorOpsApiSettings;
use crate::http_url::HttpUrl;
use crate::mail::EmailAddress;

#[derive(Debug, Clone)]
pub struct RotationConfig {
    pub aws: AwsSettings,
    pub table: TableName,
    /// The From address of the handoff mails.
    pub sender: EmailAddress,
    pub roster: PathBuf,
    /// Dead man's switch base URL (healthchecks.io style); a credential, never logged.
    pub healthcheck_url: Option<HttpUrl>,
    /// How long a claimed handoff e-mail stays reserved for the invocation sending it.
    pub mail_lease_seconds: u32,
    /// The brief in the handoff mails: its stale threshold and task links.
    pub brief: BriefInputs,
    /// VictorOps' public API, when configured: the rotation keeps it in step with scheduled overrides.
    pub victorops_api: Option<VictorOpsApiSettings>,
    /// Slack and Matrix, when configured: the handoff is posted and the topic kept.
    pub chat: super::ChatConfig,
    /// The web pages' base URL (`CLINIC_WEB_URL`, optional here): the chat post links to them.
    pub web_url: Option<HttpUrl>,
    /// The longest a swap request stays open (the sweep applies what the web function decided).
    pub swap_max_age: jiff::SignedDuration,
}

impl FromVariables for RotationConfig {
    fn read(variables: &mut Variables<'_>) -> Option<Self> {
        // Read in this order, so problems are listed in the order they always were.
        let table = sections::table(variables);
        let sender = sections::sender(variables);
        let roster = variables.required(vars::ROSTER).map(PathBuf::from);
        let healthcheck_url = sections::healthcheck_url(variables);
        let aws = sections::aws(variables).with_budget(CallBudget::JOB);
        let mail_lease_seconds = sections::mail_lease_seconds(variables);
        let brief = BriefInputs::read(variables);
        let victorops_api = sections::victorops_api(variables);
        let chat = super::ChatConfig::read(variables).unwrap_or_default();
        let web_url = variables.optional_parsed(vars::WEB_URL, HttpUrl::parse);
        let swap_max_age = sections::swap_max_age(variables);
        Some(Self {
            web_url,
            swap_max_age,
            aws,
            table: table?,
            sender: sender?,
            roster: roster?,
            healthcheck_url,
            mail_lease_seconds,
            brief,
            victorops_api,
            chat,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::lookup;

    #[test]
    fn every_missing_variable_is_named_at_once() {
        let err = RotationConfig::from_lookup(lookup(&[])).unwrap_err();
        let named: Vec<_> = err.problems.iter().map(|p| p.variable).collect();
        assert_eq!(named, vec![vars::TABLE, vars::SENDER, vars::ROSTER]);
        assert_eq!(RotationConfig::required(), named);
        let text = err.to_string();
        assert!(text.contains("CLINIC_TABLE is not set"), "{text}");
        assert!(text.contains("CLINIC_ROSTER is not set"), "{text}");
    }

    #[test]
    fn malformed_and_missing_variables_are_reported_together() {
        let err = RotationConfig::from_lookup(lookup(&[
            ("CLINIC_TABLE", "bad name!"),
            ("CLINIC_SENDER", "not-an-address"),
            ("CLINIC_HEALTHCHECK_URL", "ftp://x"),
            ("CLINIC_MAIL_LEASE_SECONDS", "3"),
        ]))
        .unwrap_err();
        let named: Vec<_> = err.problems.iter().map(|p| p.variable).collect();
        assert_eq!(
            named,
            vec![
                vars::TABLE,
                vars::SENDER,
                vars::ROSTER,
                vars::HEALTHCHECK_URL,
                vars::MAIL_LEASE_SECONDS
            ]
        );
        assert_eq!(
            err.problems[4].problem,
            "must be a whole number of seconds from 10 to 900 (got \"3\")"
        );
    }

    #[test]
    fn a_complete_rotation_environment_is_accepted() {
        let config = RotationConfig::from_lookup(lookup(&[
            ("CLINIC_TABLE", "clinic-test"),
            ("CLINIC_SENDER", "clinic@example.org"),
            ("CLINIC_ROSTER", "/var/task/roster.toml"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000/"),
        ]))
        .unwrap();
        assert_eq!(config.table.as_str(), "clinic-test");
        assert_eq!(
            config.aws.endpoint_url.unwrap().as_str(),
            "http://127.0.0.1:5000"
        );
        assert_eq!(config.mail_lease_seconds, 120);
        assert!(config.victorops_api.is_none());
    }

    #[test]
    fn the_victorops_api_is_off_unless_all_three_variables_are_set() {
        let complete = [
            ("CLINIC_TABLE", "clinic-test"),
            ("CLINIC_SENDER", "clinic@example.org"),
            ("CLINIC_ROSTER", "roster.toml"),
        ];
        let err = RotationConfig::from_lookup(lookup(
            &[
                &complete[..],
                &[
                    ("VICTOROPS_API_ID", "org-id"),
                    ("VICTOROPS_API_URL", "vo.example"),
                ],
            ]
            .concat(),
        ))
        .unwrap_err();
        let named: Vec<_> = err.problems.iter().map(|p| p.variable).collect();
        assert_eq!(
            named,
            vec![vars::VICTOROPS_API_KEY, vars::VICTOROPS_API_URL],
            "{err}"
        );

        let config = RotationConfig::from_lookup(lookup(
            &[
                &complete[..],
                &[
                    ("VICTOROPS_API_URL", "https://api.victorops.com/api-public/"),
                    ("VICTOROPS_API_ID", " org-id "),
                    ("VICTOROPS_API_KEY", "vo-supersecret"),
                ],
            ]
            .concat(),
        ))
        .unwrap();
        let api = config.victorops_api.as_ref().unwrap();
        assert_eq!(api.url.as_str(), "https://api.victorops.com/api-public");
        assert_eq!(api.api_id, "org-id");
        assert_eq!(api.api_key.expose(), "vo-supersecret");
        assert!(!format!("{config:?}").contains("supersecret"));
    }
}
