//! Configuration from the environment, validated once at start-up.
//!
//! Every function and the CLI read the same variables through [`Config::from_env`]; what a component
//! needs is declared by [`Component`], and every missing or malformed variable is reported at once.

use std::fmt;
use std::path::PathBuf;

use crate::mail::EmailAddress;
use crate::store::TableName;

/// The part of Clinic being configured: it decides which variables are required.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Component {
    /// The weekly rotation Lambda: table, sender, roster.
    Rotation,
    /// CLI commands that only read or write the table.
    TableOnly,
    /// CLI commands that need nothing from the environment (planning from a roster file).
    Offline,
    /// The Phabricator webhook Lambda and `clinic serve`: table, Conduit, HMAC key, rules file.
    PhabricatorWebhook,
}

/// Names of the variables Clinic reads, in one place so docs, Terraform and tests agree.
pub mod vars {
    pub const TABLE: &str = "CLINIC_TABLE";
    pub const SENDER: &str = "CLINIC_SENDER";
    pub const ROSTER: &str = "CLINIC_ROSTER";
    pub const HEALTHCHECK_URL: &str = "CLINIC_HEALTHCHECK_URL";
    pub const MAIL_LEASE_SECONDS: &str = "CLINIC_MAIL_LEASE_SECONDS";
    pub const AWS_ENDPOINT_URL: &str = "AWS_ENDPOINT_URL";
    pub const AWS_REGION: &str = "AWS_REGION";
    pub const PHABRICATOR_URL: &str = "PHABRICATOR_URL";
    pub const PHABRICATOR_API_TOKEN: &str = "PHABRICATOR_API_TOKEN";
    pub const PHABRICATOR_WEBHOOK_HMAC_KEY: &str = "PHABRICATOR_WEBHOOK_HMAC_KEY";
    pub const TRIAGE_RULES: &str = "CLINIC_TRIAGE_RULES";
    pub const DRY_RUN: &str = "CLINIC_DRY_RUN";

    /// Every variable [`super::Config`] reads.
    pub const ALL: &[&str] = &[
        TABLE,
        SENDER,
        ROSTER,
        HEALTHCHECK_URL,
        MAIL_LEASE_SECONDS,
        AWS_ENDPOINT_URL,
        AWS_REGION,
        PHABRICATOR_URL,
        PHABRICATOR_API_TOKEN,
        PHABRICATOR_WEBHOOK_HMAC_KEY,
        TRIAGE_RULES,
        DRY_RUN,
    ];
}

/// Validated configuration. Optional parts are `None` when the component does not need them and they
/// were not set.
#[derive(Debug, Clone)]
pub struct Config {
    pub table: Option<TableName>,
    pub sender: Option<EmailAddress>,
    pub roster: Option<PathBuf>,
    /// Dead man's switch base URL (healthchecks.io style); it is a credential, so it is never logged.
    pub healthcheck_url: Option<HttpUrl>,
    /// How long a claimed handoff e-mail stays reserved for the invocation sending it.
    pub mail_lease_seconds: u32,
    pub aws_endpoint_url: Option<HttpUrl>,
    pub aws_region: Option<String>,
    /// Conduit's base URL (`https://phabricator.example.org`).
    pub phabricator_url: Option<HttpUrl>,
    pub phabricator_api_token: Option<Secret>,
    pub phabricator_webhook_hmac_key: Option<Secret>,
    pub triage_rules: Option<PathBuf>,
    /// Evaluate and audit, change nothing (`CLINIC_DRY_RUN=1`).
    pub dry_run: bool,
}

/// A credential: kept out of `Debug` output and so out of every log line.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
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

/// An absolute http(s) URL, kept as text: Clinic only passes it on to HTTP clients.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpUrl(String);

impl HttpUrl {
    pub fn parse(text: &str) -> Result<Self, String> {
        let trimmed = text.trim();
        let rest = trimmed
            .strip_prefix("https://")
            .or_else(|| trimmed.strip_prefix("http://"))
            .ok_or_else(|| {
                format!(
                    "must start with http:// or https:// (got {:?})",
                    redact(trimmed)
                )
            })?;
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if host.is_empty() || trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("is not a valid URL (no host, or contains spaces)".to_owned());
        }
        Ok(Self(trimmed.trim_end_matches('/').to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

// URLs such as the dead man's switch carry a secret in the path: never print them whole.
impl fmt::Debug for HttpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HttpUrl({})", redact(&self.0))
    }
}

fn redact(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let host = rest.split('/').next().unwrap_or_default();
            format!("{scheme}://{host}/…")
        }
        None => "…".to_owned(),
    }
}

impl Config {
    /// Reads the process environment.
    pub fn from_env(component: Component) -> Result<Self, ConfigError> {
        Self::from_lookup(component, |name| std::env::var(name).ok())
    }

    /// Reads variables through `lookup`, so tests need not touch the process environment.
    pub fn from_lookup(
        component: Component,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let mut problems = Vec::new();
        let get = |name: &'static str| lookup(name).filter(|v| !v.trim().is_empty());
        let require = |name: &'static str, needed: bool, problems: &mut Vec<VariableProblem>| {
            let value = get(name);
            if value.is_none() && needed {
                problems.push(VariableProblem {
                    variable: name,
                    problem: "is not set".to_owned(),
                });
            }
            value
        };

        let needs_table = matches!(
            component,
            Component::Rotation | Component::TableOnly | Component::PhabricatorWebhook
        );
        let needs_phabricator = component == Component::PhabricatorWebhook;
        let needs_rotation = component == Component::Rotation;

        let table = require(vars::TABLE, needs_table, &mut problems).and_then(|v| {
            TableName::parse(&v)
                .map_err(|e| {
                    problems.push(VariableProblem {
                        variable: vars::TABLE,
                        problem: e,
                    })
                })
                .ok()
        });
        let sender = require(vars::SENDER, needs_rotation, &mut problems).and_then(|v| {
            EmailAddress::parse(&v)
                .map_err(|e| {
                    problems.push(VariableProblem {
                        variable: vars::SENDER,
                        problem: e.to_string(),
                    })
                })
                .ok()
        });
        let roster = require(vars::ROSTER, needs_rotation, &mut problems).map(PathBuf::from);
        let healthcheck_url = get(vars::HEALTHCHECK_URL).and_then(|v| {
            HttpUrl::parse(&v)
                .map_err(|e| {
                    problems.push(VariableProblem {
                        variable: vars::HEALTHCHECK_URL,
                        problem: e,
                    })
                })
                .ok()
        });
        let aws_endpoint_url = get(vars::AWS_ENDPOINT_URL).and_then(|v| {
            HttpUrl::parse(&v)
                .map_err(|e| {
                    problems.push(VariableProblem {
                        variable: vars::AWS_ENDPOINT_URL,
                        problem: e,
                    })
                })
                .ok()
        });
        let mail_lease_seconds = match get(vars::MAIL_LEASE_SECONDS) {
            None => 120,
            Some(v) => match v.trim().parse::<u32>() {
                Ok(n) if (10..=900).contains(&n) => n,
                _ => {
                    problems.push(VariableProblem {
                        variable: vars::MAIL_LEASE_SECONDS,
                        problem: format!(
                            "must be a whole number of seconds from 10 to 900 (got {v:?})"
                        ),
                    });
                    120
                }
            },
        };
        let aws_region = get(vars::AWS_REGION);
        let phabricator_url = require(vars::PHABRICATOR_URL, needs_phabricator, &mut problems)
            .and_then(|v| {
                HttpUrl::parse(&v)
                    .map_err(|e| {
                        problems.push(VariableProblem {
                            variable: vars::PHABRICATOR_URL,
                            problem: e,
                        })
                    })
                    .ok()
            });
        let phabricator_api_token = require(
            vars::PHABRICATOR_API_TOKEN,
            needs_phabricator,
            &mut problems,
        )
        .map(|v| Secret::new(v.trim()));
        let phabricator_webhook_hmac_key = require(
            vars::PHABRICATOR_WEBHOOK_HMAC_KEY,
            needs_phabricator,
            &mut problems,
        )
        .map(Secret::new);
        let triage_rules =
            require(vars::TRIAGE_RULES, needs_phabricator, &mut problems).map(PathBuf::from);
        let dry_run = match get(vars::DRY_RUN).as_deref().map(str::trim) {
            None | Some("0") | Some("false") => false,
            Some("1") | Some("true") => true,
            Some(other) => {
                problems.push(VariableProblem {
                    variable: vars::DRY_RUN,
                    problem: format!("must be 1, true, 0 or false (got {other:?})"),
                });
                false
            }
        };

        if !problems.is_empty() {
            return Err(ConfigError { problems });
        }
        Ok(Self {
            table,
            sender,
            roster,
            healthcheck_url,
            mail_lease_seconds,
            aws_endpoint_url,
            aws_region,
            phabricator_url,
            phabricator_api_token,
            phabricator_webhook_hmac_key,
            triage_rules,
            dry_run,
        })
    }

    /// The table name; present whenever the component required it.
    pub fn table(&self) -> Result<&TableName, ConfigError> {
        self.table.as_ref().ok_or_else(|| missing(vars::TABLE))
    }

    pub fn sender(&self) -> Result<&EmailAddress, ConfigError> {
        self.sender.as_ref().ok_or_else(|| missing(vars::SENDER))
    }

    pub fn roster(&self) -> Result<&PathBuf, ConfigError> {
        self.roster.as_ref().ok_or_else(|| missing(vars::ROSTER))
    }
}

impl Config {
    pub fn phabricator_url(&self) -> Result<&HttpUrl, ConfigError> {
        self.phabricator_url
            .as_ref()
            .ok_or_else(|| missing(vars::PHABRICATOR_URL))
    }

    pub fn phabricator_api_token(&self) -> Result<&Secret, ConfigError> {
        self.phabricator_api_token
            .as_ref()
            .ok_or_else(|| missing(vars::PHABRICATOR_API_TOKEN))
    }

    pub fn phabricator_webhook_hmac_key(&self) -> Result<&Secret, ConfigError> {
        self.phabricator_webhook_hmac_key
            .as_ref()
            .ok_or_else(|| missing(vars::PHABRICATOR_WEBHOOK_HMAC_KEY))
    }

    pub fn triage_rules(&self) -> Result<&PathBuf, ConfigError> {
        self.triage_rules
            .as_ref()
            .ok_or_else(|| missing(vars::TRIAGE_RULES))
    }
}

fn missing(variable: &'static str) -> ConfigError {
    ConfigError {
        problems: vec![VariableProblem {
            variable,
            problem: "is not set".to_owned(),
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn every_missing_variable_is_named_at_once() {
        let err = Config::from_lookup(Component::Rotation, lookup(&[])).unwrap_err();
        let named: Vec<_> = err.problems.iter().map(|p| p.variable).collect();
        assert_eq!(named, vec![vars::TABLE, vars::SENDER, vars::ROSTER]);
        let text = err.to_string();
        assert!(text.contains("CLINIC_TABLE is not set"), "{text}");
        assert!(text.contains("CLINIC_ROSTER is not set"), "{text}");
    }

    #[test]
    fn malformed_and_missing_variables_are_reported_together() {
        let err = Config::from_lookup(
            Component::Rotation,
            lookup(&[
                ("CLINIC_TABLE", "bad name!"),
                ("CLINIC_SENDER", "not-an-address"),
                ("CLINIC_HEALTHCHECK_URL", "ftp://x"),
                ("CLINIC_MAIL_LEASE_SECONDS", "3"),
            ]),
        )
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
    }

    #[test]
    fn a_complete_rotation_environment_is_accepted() {
        let config = Config::from_lookup(
            Component::Rotation,
            lookup(&[
                ("CLINIC_TABLE", "clinic-test"),
                ("CLINIC_SENDER", "clinic@example.org"),
                ("CLINIC_ROSTER", "/var/task/roster.toml"),
                ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000/"),
            ]),
        )
        .unwrap();
        assert_eq!(config.table().unwrap().as_str(), "clinic-test");
        assert_eq!(
            config.aws_endpoint_url.unwrap().as_str(),
            "http://127.0.0.1:5000"
        );
        assert_eq!(config.mail_lease_seconds, 120);
    }

    #[test]
    fn offline_commands_need_no_variables() {
        assert!(Config::from_lookup(Component::Offline, lookup(&[])).is_ok());
    }

    #[test]
    fn the_webhook_names_every_phabricator_variable_it_lacks_and_hides_secrets() {
        let err = Config::from_lookup(
            Component::PhabricatorWebhook,
            lookup(&[("CLINIC_DRY_RUN", "yes")]),
        )
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
        let config = Config::from_lookup(
            Component::PhabricatorWebhook,
            lookup(&[
                ("CLINIC_TABLE", "clinic-test"),
                ("PHABRICATOR_URL", "https://phab.example.org/"),
                ("PHABRICATOR_API_TOKEN", "api-supersecret"),
                ("PHABRICATOR_WEBHOOK_HMAC_KEY", "hmac-supersecret"),
                ("CLINIC_TRIAGE_RULES", "rules.toml"),
                ("CLINIC_DRY_RUN", "1"),
            ]),
        )
        .unwrap();
        assert!(config.dry_run);
        let shown = format!("{config:?}");
        assert!(!shown.contains("supersecret"), "{shown}");
    }

    #[test]
    fn a_secret_url_is_not_printed_whole() {
        let url = HttpUrl::parse("https://hc-ping.com/5f1b0c1e-secret").unwrap();
        let shown = format!("{url:?}");
        assert!(!shown.contains("secret"), "{shown}");
    }
}
