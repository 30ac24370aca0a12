//! The chat networks a configuration names, built once at cold start: the tokens read from SSM in
//! one `GetParameters` call, each network's client made with its default pacing.

use std::sync::Arc;

use super::{ChatConfig, ConfigError, VariableProblem, vars};
use crate::adapters::matrix::MatrixClient;
use crate::adapters::slack::SlackClient;
use crate::adapters::ssm::ParameterStore;
use crate::chat::ports::ChatNetworks;
use crate::secret::Secret;

/// The clients of the networks `config` names. A token parameter that is missing, empty or may not
/// be read is a configuration problem naming its variable: the function should not start half-set.
pub async fn chat_networks(
    config: &ChatConfig,
    ssm: &dyn ParameterStore,
) -> Result<ChatNetworks, ConfigError> {
    let mut wanted: Vec<(&'static str, String)> = Vec::new();
    if let Some(slack) = &config.slack {
        wanted.push((vars::SLACK_TOKEN_PARAMETER, slack.token_parameter.clone()));
    }
    if let Some(matrix) = &config.matrix {
        wanted.push((vars::MATRIX_TOKEN_PARAMETER, matrix.token_parameter.clone()));
    }
    if wanted.is_empty() {
        return Ok(ChatNetworks::default());
    }
    let names: Vec<String> = wanted.iter().map(|(_, name)| name.clone()).collect();
    let found = ssm.decrypted(&names).await.map_err(|error| ConfigError {
        problems: vec![VariableProblem {
            variable: wanted[0].0,
            problem: format!("could not be read from SSM: {error}"),
        }],
    })?;
    let mut problems = Vec::new();
    let mut token = |variable: &'static str, name: &str| match found.get(name) {
        Some(value) if !value.trim().is_empty() => Some(Secret::new(value.trim())),
        _ => {
            problems.push(VariableProblem {
                variable,
                problem: format!(
                    "names SSM parameter {name:?}, which does not exist, is empty or may not be read"
                ),
            });
            None
        }
    };
    let slack = config.slack.as_ref().and_then(|slack| {
        let token = token(vars::SLACK_TOKEN_PARAMETER, &slack.token_parameter)?;
        Some(Arc::new(SlackClient::new(
            slack.api_url.clone(),
            token,
            crate::adapters::slack::default_pacing(),
        )) as Arc<dyn crate::chat::ports::ChatApi>)
    });
    let matrix = config.matrix.as_ref().and_then(|matrix| {
        let token = token(vars::MATRIX_TOKEN_PARAMETER, &matrix.token_parameter)?;
        Some(Arc::new(MatrixClient::new(
            matrix.homeserver.clone(),
            token,
            crate::adapters::matrix::default_pacing(),
        )) as Arc<dyn crate::chat::ports::ChatApi>)
    });
    if problems.is_empty() {
        Ok(ChatNetworks { slack, matrix })
    } else {
        Err(ConfigError { problems })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use async_trait::async_trait;

    use super::*;
    use crate::adapters::ssm::ParameterError;
    use crate::chat::ports::Network;
    use crate::config::{MatrixSettings, SlackSettings};
    use crate::http_url::HttpUrl;

    struct Parameters(BTreeMap<String, String>);

    #[async_trait]
    impl ParameterStore for Parameters {
        async fn decrypted(
            &self,
            names: &[String],
        ) -> Result<BTreeMap<String, String>, ParameterError> {
            Ok(names
                .iter()
                .filter_map(|n| Some((n.clone(), self.0.get(n)?.clone())))
                .collect())
        }
    }

    fn config() -> ChatConfig {
        ChatConfig {
            slack: Some(SlackSettings {
                api_url: HttpUrl::parse("https://slack.com/api/").unwrap(),
                token_parameter: "/clinic/slack".into(),
            }),
            matrix: Some(MatrixSettings {
                homeserver: HttpUrl::parse("https://matrix.example.org").unwrap(),
                token_parameter: "/clinic/matrix".into(),
            }),
        }
    }

    #[tokio::test]
    async fn both_networks_are_built_from_their_parameters() {
        let store = Parameters(BTreeMap::from([
            ("/clinic/slack".to_owned(), "xoxb-1".to_owned()),
            ("/clinic/matrix".to_owned(), "syt_1".to_owned()),
        ]));
        let networks = chat_networks(&config(), &store).await.unwrap();
        assert_eq!(networks.slack.unwrap().network(), Network::Slack);
        assert_eq!(networks.matrix.unwrap().network(), Network::Matrix);
        let none = chat_networks(&ChatConfig::default(), &store).await.unwrap();
        assert!(none.is_empty());
    }

    #[tokio::test]
    async fn a_missing_or_empty_token_names_its_variable() {
        let store = Parameters(BTreeMap::from([(
            "/clinic/slack".to_owned(),
            "  ".to_owned(),
        )]));
        let error = chat_networks(&config(), &store).await.err().unwrap();
        let named: Vec<_> = error.problems.iter().map(|p| p.variable).collect();
        assert_eq!(
            named,
            vec![vars::SLACK_TOKEN_PARAMETER, vars::MATRIX_TOKEN_PARAMETER]
        );
    }
}
