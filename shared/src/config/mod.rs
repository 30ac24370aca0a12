//! Configuration from the environment, validated once at start-up.
//!
//! Every function and the CLI read the same variables through [`Config::from_env`]; what a component
//! needs is declared by [`Component`], and every missing or malformed variable is reported at once.

use std::fmt;
use std::path::PathBuf;

use crate::adapters::dynamo::TableName;
use crate::adapters::sdk::AwsSettings;
use crate::adapters::victorops::VictorOpsApiSettings;
use crate::brief::BriefSettings;
use crate::http_url::HttpUrl;
use crate::mail::EmailAddress;
use crate::reviewed_file::{FileError, ReviewedFile as _};
use crate::secret::Secret;
use crate::triage::rules::Rules;

/// The part of Clinic being configured: it decides which variables are required.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Component {
    /// The weekly rotation Lambda: table, sender, roster.
    Rotation,
    /// The maintenance-mail Lambda: table, calendar location.
    MaintenanceMail,
    /// CLI commands that only read or write the table.
    TableOnly,
    /// CLI commands that need nothing from the environment (planning from a roster file).
    Offline,
    /// The VictorOps webhook Lambda (and its reminder schedule): table, sender, secret, Statuspage,
    /// mapping file, clinic-duty rotation.
    VictorOpsWebhook,
    /// The Phabricator webhook Lambda and `clinic serve`: table, Conduit, HMAC key, rules file.
    PhabricatorWebhook,
}

pub mod secrets;

/// Names of the variables Clinic reads, in one place so docs, Terraform and tests agree.
pub mod vars {
    pub const TABLE: &str = "CLINIC_TABLE";
    pub const SENDER: &str = "CLINIC_SENDER";
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
    pub const DRY_RUN: &str = "CLINIC_DRY_RUN";
    /// VictorOps' public API (`https://api.victorops.com/api-public`), the organisation's API id and
    /// an API key: all three, or none (then Clinic leaves VictorOps alone).
    pub const VICTOROPS_API_URL: &str = "VICTOROPS_API_URL";
    pub const VICTOROPS_API_ID: &str = "VICTOROPS_API_ID";
    pub const VICTOROPS_API_KEY: &str = "VICTOROPS_API_KEY";
    /// Bearer token of the read-only `GET /status` endpoint (a credential).
    pub const STATUS_TOKEN: &str = "CLINIC_STATUS_TOKEN";

    /// Every variable [`super::Config`] reads.
    pub const ALL: &[&str] = &[
        TABLE,
        SENDER,
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
        DRY_RUN,
        VICTOROPS_API_URL,
        VICTOROPS_API_ID,
        VICTOROPS_API_KEY,
        STATUS_TOKEN,
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
    /// Bucket and key of the maintenance calendar feed; the key is the unguessable part of its URL.
    pub calendar_bucket: Option<String>,
    pub calendar_key: Option<String>,
    /// Show maintenances that only reduce redundancy in the calendar too.
    pub calendar_include_redundancy: bool,
    /// Inbound mail larger than this is kept for review instead of parsed.
    pub mail_max_bytes: u64,
    pub aws_endpoint_url: Option<HttpUrl>,
    pub aws_region: Option<String>,
    /// The VictorOps webhook's settings; present for [`Component::VictorOpsWebhook`].
    pub victorops: Option<VictorOpsSettings>,
    /// Conduit's base URL (`https://phabricator.example.org`).
    pub phabricator_url: Option<HttpUrl>,
    pub phabricator_api_token: Option<Secret>,
    pub phabricator_webhook_hmac_key: Option<Secret>,
    pub triage_rules: Option<PathBuf>,
    /// Evaluate and audit, change nothing (`CLINIC_DRY_RUN=1`).
    pub dry_run: bool,
    /// The status endpoint's bearer token; without it `GET /status` is not served.
    pub status_token: Option<Secret>,
    /// VictorOps' public API, when configured: the rotation keeps it in step with scheduled overrides.
    pub victorops_api: Option<VictorOpsApiSettings>,
}

/// What the VictorOps webhook function needs besides the table and the sender.
#[derive(Debug, Clone)]
pub struct VictorOpsSettings {
    pub webhook_secret: Secret,
    /// The legacy escalation webhook's auth key and the URL exactly as configured in VictorOps;
    /// both or neither (without them signed deliveries are refused).
    pub escalation: Option<(Secret, String)>,
    pub statuspage_api_url: HttpUrl,
    pub statuspage_api_key: Secret,
    pub statuspage_page_id: String,
    pub mapping: PathBuf,
    pub duty_rotation: String,
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

impl Config {
    /// Reads the process environment.
    pub fn from_env(component: Component) -> Result<Self, ConfigError> {
        Self::from_lookup(component, |name| std::env::var(name).ok())
    }

    /// Reads the process environment and, where a credential's variable names an SSM parameter
    /// instead (see [`secrets`]), the parameter: how a function starts on Lambda.
    pub async fn load(component: Component) -> Result<Self, ConfigError> {
        let env = |name: &str| std::env::var(name).ok();
        let named = secrets::named_parameters(&env).map_err(|problems| ConfigError { problems })?;
        if named.is_empty() {
            return Self::from_lookup(component, env);
        }
        let base = Self::from_lookup(Component::Offline, env)?;
        let sdk = crate::adapters::sdk::sdk_config(&base.aws()).await;
        let store = crate::adapters::ssm::SsmParameters::new(crate::adapters::sdk::ssm(&sdk));
        Self::from_lookup_and_parameters(component, env, &store).await
    }

    /// Reads variables through `lookup`, and the credentials they name through `store`.
    pub async fn from_lookup_and_parameters(
        component: Component,
        lookup: impl Fn(&str) -> Option<String>,
        store: &dyn crate::adapters::ssm::ParameterStore,
    ) -> Result<Self, ConfigError> {
        let named =
            secrets::named_parameters(&lookup).map_err(|problems| ConfigError { problems })?;
        let values = if named.is_empty() {
            std::collections::BTreeMap::new()
        } else {
            secrets::read(&named, store)
                .await
                .map_err(|problems| ConfigError { problems })?
        };
        Self::from_lookup(component, |name| {
            lookup(name).or_else(|| values.get(name).cloned())
        })
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
            Component::Rotation
                | Component::TableOnly
                | Component::MaintenanceMail
                | Component::PhabricatorWebhook
        );
        let needs_calendar = component == Component::MaintenanceMail;
        let needs_phabricator = component == Component::PhabricatorWebhook;
        let needs_rotation = component == Component::Rotation;
        let needs_victorops = component == Component::VictorOpsWebhook;
        let needs_table = needs_table || needs_victorops;

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
        let sender = require(
            vars::SENDER,
            needs_rotation || needs_victorops,
            &mut problems,
        )
        .and_then(|v| {
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
        let calendar_bucket = require(vars::CALENDAR_BUCKET, needs_calendar, &mut problems);
        let calendar_key = require(vars::CALENDAR_KEY, needs_calendar, &mut problems).and_then(|key| {
            // The key is the secret part of the feed's URL: a short one could be guessed.
            if key.len() < 24 || key.starts_with('/') {
                problems.push(VariableProblem {
                    variable: vars::CALENDAR_KEY,
                    problem: "must be an object key of at least 24 characters (include a random token) without a \
                              leading '/'"
                        .to_owned(),
                });
                None
            } else {
                Some(key)
            }
        });
        let calendar_include_redundancy = match get(vars::CALENDAR_INCLUDE_REDUNDANCY)
            .as_deref()
            .map(str::trim)
        {
            None | Some("false" | "0" | "no") => false,
            Some("true" | "1" | "yes") => true,
            Some(other) => {
                problems.push(VariableProblem {
                    variable: vars::CALENDAR_INCLUDE_REDUNDANCY,
                    problem: format!("must be true or false (got {other:?})"),
                });
                false
            }
        };
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
        let mail_max_bytes = match get(vars::MAIL_MAX_BYTES) {
            None => 10 * 1024 * 1024,
            Some(v) => match v.trim().parse::<u64>() {
                Ok(n) if (1024..=40 * 1024 * 1024).contains(&n) => n,
                _ => {
                    problems.push(VariableProblem {
                        variable: vars::MAIL_MAX_BYTES,
                        problem: format!(
                            "must be a number of bytes from 1024 to 41943040 (got {v:?})"
                        ),
                    });
                    0
                }
            },
        };
        let status_token = get(vars::STATUS_TOKEN).and_then(|v| {
            let token = v.trim();
            if token.chars().count() < 16 {
                problems.push(VariableProblem {
                    variable: vars::STATUS_TOKEN,
                    problem: "must be at least 16 characters".to_owned(),
                });
                None
            } else {
                Some(Secret::new(token))
            }
        });
        let victorops = if needs_victorops {
            victorops_settings(&get, &mut problems)
        } else {
            None
        };
        let victorops_api = victorops_api_settings(&get, &mut problems);

        if !problems.is_empty() {
            return Err(ConfigError { problems });
        }
        Ok(Self {
            table,
            sender,
            roster,
            healthcheck_url,
            mail_lease_seconds,
            calendar_bucket,
            calendar_key,
            calendar_include_redundancy,
            mail_max_bytes,
            aws_endpoint_url,
            aws_region,
            victorops,
            phabricator_url,
            phabricator_api_token,
            phabricator_webhook_hmac_key,
            triage_rules,
            dry_run,
            victorops_api,
            status_token,
        })
    }

    /// The table name; present whenever the component required it.
    pub fn table(&self) -> Result<&TableName, ConfigError> {
        self.table.as_ref().ok_or_else(|| missing(vars::TABLE))
    }

    pub fn sender(&self) -> Result<&EmailAddress, ConfigError> {
        self.sender.as_ref().ok_or_else(|| missing(vars::SENDER))
    }

    /// The variables `component` cannot start without.
    pub fn required(component: Component) -> Vec<&'static str> {
        match Self::from_lookup(component, |_| None) {
            Ok(_) => Vec::new(),
            Err(error) => error.problems.into_iter().map(|p| p.variable).collect(),
        }
    }

    pub fn calendar_bucket(&self) -> Result<&str, ConfigError> {
        self.calendar_bucket
            .as_deref()
            .ok_or_else(|| missing(vars::CALENDAR_BUCKET))
    }

    pub fn calendar_key(&self) -> Result<&str, ConfigError> {
        self.calendar_key
            .as_deref()
            .ok_or_else(|| missing(vars::CALENDAR_KEY))
    }

    pub fn victorops(&self) -> Result<&VictorOpsSettings, ConfigError> {
        self.victorops
            .as_ref()
            .ok_or_else(|| missing(vars::VICTOROPS_WEBHOOK_SECRET))
    }

    pub fn roster(&self) -> Result<&PathBuf, ConfigError> {
        self.roster.as_ref().ok_or_else(|| missing(vars::ROSTER))
    }
}

/// All three VictorOps API variables, or none of them.
fn victorops_api_settings(
    get: &impl Fn(&'static str) -> Option<String>,
    problems: &mut Vec<VariableProblem>,
) -> Option<VictorOpsApiSettings> {
    let names = [
        vars::VICTOROPS_API_URL,
        vars::VICTOROPS_API_ID,
        vars::VICTOROPS_API_KEY,
    ];
    let [url, api_id, api_key] = names.map(get);
    if url.is_none() && api_id.is_none() && api_key.is_none() {
        return None;
    }
    let mut complete = true;
    for (name, value) in names.iter().zip([&url, &api_id, &api_key]) {
        if value.is_none() {
            complete = false;
            problems.push(VariableProblem {
                variable: name,
                problem: format!("is not set (the VictorOps API needs {})", names.join(", ")),
            });
        }
    }
    let url = url.and_then(|v| {
        HttpUrl::parse(&v)
            .map_err(|e| {
                problems.push(VariableProblem {
                    variable: vars::VICTOROPS_API_URL,
                    problem: e,
                })
            })
            .ok()
    });
    let api_id = api_id.map(|v| v.trim().to_owned()).filter(|id| {
        let plain = id.chars().all(|c| c.is_ascii_graphic());
        if !plain {
            problems.push(VariableProblem {
                variable: vars::VICTOROPS_API_ID,
                problem: "must be the organisation's API id, without spaces".to_owned(),
            });
        }
        plain
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

fn victorops_settings(
    get: &impl Fn(&'static str) -> Option<String>,
    problems: &mut Vec<VariableProblem>,
) -> Option<VictorOpsSettings> {
    let mut need = |name: &'static str| {
        let value = get(name);
        if value.is_none() {
            problems.push(VariableProblem {
                variable: name,
                problem: "is not set".to_owned(),
            });
        }
        value
    };
    let secret = need(vars::VICTOROPS_WEBHOOK_SECRET);
    let api_url = need(vars::STATUSPAGE_API_URL);
    let api_key = need(vars::STATUSPAGE_API_KEY);
    let page_id = need(vars::STATUSPAGE_PAGE_ID);
    let mapping = need(vars::INCIDENT_MAPPING);
    let rotation = need(vars::DUTY_ROTATION);
    let escalation = match (
        get(vars::VICTOROPS_ESCALATION_KEY),
        get(vars::VICTOROPS_ESCALATION_URL),
    ) {
        (Some(key), Some(url)) => Some((Secret::new(key), url.trim().to_owned())),
        (None, None) => None,
        (Some(_), None) | (None, Some(_)) => {
            problems.push(VariableProblem {
                variable: vars::VICTOROPS_ESCALATION_URL,
                problem: format!(
                    "and {} must be set together",
                    vars::VICTOROPS_ESCALATION_KEY
                ),
            });
            None
        }
    };
    let secret = secret.filter(|s| {
        let long_enough = s.trim().chars().count() >= 16;
        if !long_enough {
            problems.push(VariableProblem {
                variable: vars::VICTOROPS_WEBHOOK_SECRET,
                problem: "must be at least 16 characters".to_owned(),
            });
        }
        long_enough
    });
    let api_url = api_url.and_then(|v| {
        HttpUrl::parse(&v)
            .map_err(|e| {
                problems.push(VariableProblem {
                    variable: vars::STATUSPAGE_API_URL,
                    problem: e,
                })
            })
            .ok()
    });
    let page_id = page_id.filter(|p| {
        let valid = p.chars().all(|c| c.is_ascii_alphanumeric());
        if !valid {
            problems.push(VariableProblem {
                variable: vars::STATUSPAGE_PAGE_ID,
                problem: "must be letters and digits only".to_owned(),
            });
        }
        valid
    });
    Some(VictorOpsSettings {
        webhook_secret: Secret::new(secret?.trim()),
        escalation,
        statuspage_api_url: api_url?,
        statuspage_api_key: Secret::new(api_key?.trim()),
        statuspage_page_id: page_id?,
        mapping: PathBuf::from(mapping?),
        duty_rotation: rotation?.trim().to_owned(),
    })
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

    /// The VictorOps API settings; an error naming the three variables when they are not set.
    pub fn victorops_api(&self) -> Result<&VictorOpsApiSettings, ConfigError> {
        self.victorops_api.as_ref().ok_or_else(|| ConfigError {
            problems: [
                vars::VICTOROPS_API_URL,
                vars::VICTOROPS_API_ID,
                vars::VICTOROPS_API_KEY,
            ]
            .into_iter()
            .map(|variable| VariableProblem {
                variable,
                problem: "is not set".to_owned(),
            })
            .collect(),
        })
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

impl Config {
    /// Where the SDK clients go.
    pub fn aws(&self) -> AwsSettings {
        AwsSettings {
            endpoint_url: self.aws_endpoint_url.clone(),
            region: self.aws_region.clone(),
            // A webhook's budget; a job opts into `CallBudget::JOB` where it builds its clients.
            ..AwsSettings::default()
        }
    }
}

/// Why the brief's settings could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BriefSettingsError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Rules(#[from] FileError<Rules>),
}

impl Config {
    /// How the brief is built: `stale.after_days` of the triage rules file when
    /// `CLINIC_TRIAGE_RULES` is set (the same number the follow-up sweep uses), else its default;
    /// task links to `PHABRICATOR_URL` when set.
    pub fn brief_settings(&self) -> Result<BriefSettings, BriefSettingsError> {
        let stale_after_days = match &self.triage_rules {
            Some(path) => Rules::load(path)?.stale.after_days,
            None => crate::triage::rules::StaleRule::default().after_days,
        };
        Ok(BriefSettings {
            stale_after_days,
            phabricator_url: self.phabricator_url.clone(),
        })
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
    fn the_victorops_function_names_all_its_missing_variables_and_hides_secrets() {
        let err = Config::from_lookup(
            Component::VictorOpsWebhook,
            lookup(&[
                ("CLINIC_TABLE", "t-able"),
                ("CLINIC_SENDER", "c@example.org"),
            ]),
        )
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
        let config = Config::from_lookup(
            Component::VictorOpsWebhook,
            lookup(&[
                ("CLINIC_TABLE", "t-able"),
                ("CLINIC_SENDER", "c@example.org"),
                ("VICTOROPS_WEBHOOK_SECRET", "a-long-enough-secret"),
                ("STATUSPAGE_API_URL", "http://127.0.0.1:9/v1"),
                ("STATUSPAGE_API_KEY", "sp-key-value"),
                ("STATUSPAGE_PAGE_ID", "kctbh9vrtdwd"),
                ("CLINIC_INCIDENT_MAPPING", "/var/task/mapping.toml"),
                ("CLINIC_DUTY_ROTATION", "sre-clinic"),
            ]),
        )
        .unwrap();
        let shown = format!("{config:?}");
        assert!(
            !shown.contains("a-long-enough-secret") && !shown.contains("sp-key-value"),
            "{shown}"
        );
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
    fn the_victorops_api_is_off_unless_all_three_variables_are_set() {
        let off = Config::from_lookup(Component::Offline, lookup(&[])).unwrap();
        assert!(off.victorops_api.is_none());
        let missing = off.victorops_api().unwrap_err();
        assert_eq!(missing.problems.len(), 3);

        let err = Config::from_lookup(
            Component::Offline,
            lookup(&[
                ("VICTOROPS_API_ID", "org-id"),
                ("VICTOROPS_API_URL", "vo.example"),
            ]),
        )
        .unwrap_err();
        let named: Vec<_> = err.problems.iter().map(|p| p.variable).collect();
        assert_eq!(
            named,
            vec![vars::VICTOROPS_API_KEY, vars::VICTOROPS_API_URL],
            "{err}"
        );

        let config = Config::from_lookup(
            Component::Rotation,
            lookup(&[
                ("CLINIC_TABLE", "clinic-test"),
                ("CLINIC_SENDER", "clinic@example.org"),
                ("CLINIC_ROSTER", "roster.toml"),
                ("VICTOROPS_API_URL", "https://api.victorops.com/api-public/"),
                ("VICTOROPS_API_ID", " org-id "),
                ("VICTOROPS_API_KEY", "vo-supersecret"),
            ]),
        )
        .unwrap();
        let api = config.victorops_api().unwrap();
        assert_eq!(api.url.as_str(), "https://api.victorops.com/api-public");
        assert_eq!(api.api_id, "org-id");
        assert_eq!(api.api_key.expose(), "vo-supersecret");
    }

    #[test]
    fn a_short_status_token_is_refused_and_a_good_one_is_never_printed() {
        let err = Config::from_lookup(
            Component::TableOnly,
            lookup(&[
                ("CLINIC_TABLE", "clinic-test"),
                ("CLINIC_STATUS_TOKEN", "short"),
            ]),
        )
        .unwrap_err();
        assert_eq!(err.problems[0].variable, vars::STATUS_TOKEN);
        let config = Config::from_lookup(
            Component::TableOnly,
            lookup(&[
                ("CLINIC_TABLE", "clinic-test"),
                ("CLINIC_STATUS_TOKEN", "status-supersecret-0001"),
            ]),
        )
        .unwrap();
        assert!(config.status_token.is_some());
        assert!(!format!("{config:?}").contains("supersecret"));
    }

    #[test]
    fn a_secret_url_is_not_printed_whole() {
        let url = HttpUrl::parse("https://hc-ping.com/5f1b0c1e-secret").unwrap();
        let shown = format!("{url:?}");
        assert!(!shown.contains("secret"), "{shown}");
    }
}
