//! Credentials kept in SSM Parameter Store (SecureString) rather than in the environment.
//!
//! On Lambda a credential variable such as `PHABRICATOR_API_TOKEN` is not set; instead
//! `PHABRICATOR_API_TOKEN_SSM_PARAMETER` names the parameter holding it. The parameters are read once,
//! when the function starts (one `GetParameters` call for up to ten of them), so the values live in
//! neither the function's configuration nor Terraform's state. Locally the plain variables still work.

use std::collections::BTreeMap;

use super::{ConfigError, FromVariables, VariableProblem, vars};
use crate::adapters::sdk::AwsSettings;
use crate::adapters::ssm::ParameterStore;

/// Appended to a credential variable's name to name its parameter instead.
pub const PARAMETER_SUFFIX: &str = "_SSM_PARAMETER";

/// Variables holding credentials: each may be given through a parameter.
pub const CREDENTIALS: &[&str] = &[
    vars::PHABRICATOR_API_TOKEN,
    vars::PHABRICATOR_WEBHOOK_HMAC_KEY,
    vars::VICTOROPS_WEBHOOK_SECRET,
    vars::VICTOROPS_ESCALATION_KEY,
    vars::STATUSPAGE_API_KEY,
    vars::VICTOROPS_API_KEY,
    // The dead man's switch URL is a credential too: whoever has it can report success.
    vars::HEALTHCHECK_URL,
    vars::STATUS_TOKEN,
    vars::WEB_SIGNING_KEY,
    vars::SLACK_SIGNING_SECRET,
];

/// The variable naming `credential`'s parameter.
pub fn parameter_variable(credential: &str) -> String {
    format!("{credential}{PARAMETER_SUFFIX}")
}

/// The parameters the environment names: (credential variable, parameter name). A credential given
/// both ways is a problem: which one wins would be a guess.
pub fn named_parameters(
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<Vec<(&'static str, String)>, Vec<VariableProblem>> {
    let mut named = Vec::new();
    let mut problems = Vec::new();
    let set = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
    for &credential in CREDENTIALS {
        let Some(parameter) = set(&parameter_variable(credential)) else {
            continue;
        };
        if set(credential).is_some() {
            problems.push(VariableProblem {
                variable: credential,
                problem: format!(
                    "is set together with {}; set only one of them",
                    parameter_variable(credential)
                ),
            });
        } else {
            named.push((credential, parameter.trim().to_owned()));
        }
    }
    if problems.is_empty() {
        Ok(named)
    } else {
        Err(problems)
    }
}

/// Reads the named parameters: credential variable -> value. Every parameter that does not exist (or
/// that the function may not read: SSM reports both alike) is a problem naming its variable.
pub async fn read(
    named: &[(&'static str, String)],
    store: &dyn ParameterStore,
) -> Result<BTreeMap<&'static str, String>, Vec<VariableProblem>> {
    let names: Vec<String> = named.iter().map(|(_, name)| name.clone()).collect();
    let found = store.decrypted(&names).await.map_err(|error| {
        vec![VariableProblem {
            variable: named.first().map_or("SSM", |(credential, _)| *credential),
            problem: format!("could not be read from SSM: {error}"),
        }]
    })?;
    let mut values = BTreeMap::new();
    let mut problems = Vec::new();
    for (credential, name) in named {
        match found.get(name) {
            Some(value) => {
                values.insert(*credential, value.clone());
            }
            None => problems.push(VariableProblem {
                variable: credential,
                problem: format!(
                    "names SSM parameter {name:?} (through {}), which does not exist or may not be read",
                    parameter_variable(credential)
                ),
            }),
        }
    }
    if problems.is_empty() {
        Ok(values)
    } else {
        Err(problems)
    }
}

/// [`FromVariables::load`]: the environment, and the parameters it names read with the SDK set up
/// from the environment alone.
pub async fn load<T: FromVariables>() -> Result<T, ConfigError> {
    let env = |name: &str| std::env::var(name).ok();
    let named = named_parameters(&env).map_err(|problems| ConfigError { problems })?;
    if named.is_empty() {
        return T::from_lookup(env);
    }
    let aws = AwsSettings::from_lookup(env)?;
    let sdk = crate::adapters::sdk::sdk_config(&aws).await;
    let store = crate::adapters::ssm::SsmParameters::new(crate::adapters::sdk::ssm(&sdk));
    from_lookup_and_parameters(env, &store).await
}

/// [`FromVariables::from_lookup_and_parameters`]: a variable set through `lookup` wins; the
/// credentials it names by parameter are read from `store` once, in one call.
pub async fn from_lookup_and_parameters<T: FromVariables>(
    lookup: impl Fn(&str) -> Option<String> + Send,
    store: &dyn ParameterStore,
) -> Result<T, ConfigError> {
    let named = named_parameters(&lookup).map_err(|problems| ConfigError { problems })?;
    let values = if named.is_empty() {
        BTreeMap::new()
    } else {
        read(&named, store)
            .await
            .map_err(|problems| ConfigError { problems })?
    };
    T::from_lookup(|name| lookup(name).or_else(|| values.get(name).cloned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::ssm::ParameterError;
    use async_trait::async_trait;

    struct Kept(BTreeMap<String, String>);

    #[async_trait]
    impl ParameterStore for Kept {
        async fn decrypted(
            &self,
            names: &[String],
        ) -> Result<BTreeMap<String, String>, ParameterError> {
            Ok(names
                .iter()
                .filter_map(|n| self.0.get(n).map(|v| (n.clone(), v.clone())))
                .collect())
        }
    }

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[tokio::test]
    async fn a_credential_named_by_parameter_is_read_from_the_store() {
        let lookup = env(&[("PHABRICATOR_API_TOKEN_SSM_PARAMETER", "/clinic/conduit")]);
        let named = named_parameters(&lookup).unwrap();
        assert_eq!(
            named,
            vec![(vars::PHABRICATOR_API_TOKEN, "/clinic/conduit".to_owned())]
        );
        let store = Kept(BTreeMap::from([(
            "/clinic/conduit".to_owned(),
            "api-abc".to_owned(),
        )]));
        let values = read(&named, &store).await.unwrap();
        assert_eq!(values[vars::PHABRICATOR_API_TOKEN], "api-abc");
    }

    #[tokio::test]
    async fn a_missing_parameter_is_reported_by_its_variable_and_name() {
        let lookup = env(&[
            ("STATUSPAGE_API_KEY_SSM_PARAMETER", "/clinic/statuspage"),
            ("PHABRICATOR_WEBHOOK_HMAC_KEY_SSM_PARAMETER", "/clinic/hmac"),
        ]);
        let named = named_parameters(&lookup).unwrap();
        let store = Kept(BTreeMap::from([(
            "/clinic/hmac".to_owned(),
            "k".to_owned(),
        )]));
        let problems = read(&named, &store).await.unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].variable, vars::STATUSPAGE_API_KEY);
        assert!(problems[0].problem.contains("/clinic/statuspage"));
    }

    #[test]
    fn a_credential_given_both_ways_is_refused() {
        let lookup = env(&[
            ("PHABRICATOR_API_TOKEN", "api-abc"),
            ("PHABRICATOR_API_TOKEN_SSM_PARAMETER", "/clinic/conduit"),
        ]);
        let problems = named_parameters(&lookup).unwrap_err();
        assert_eq!(problems[0].variable, vars::PHABRICATOR_API_TOKEN);
        assert!(!problems[0].problem.contains("api-abc"));
    }
}
