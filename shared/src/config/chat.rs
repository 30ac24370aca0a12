//! Where Clinic chats: Slack's Web API and a Matrix homeserver, each optional, each with its
//! credential kept in SSM (a SecureString parameter named here, read once at cold start by
//! `crate::config::chat_networks`), so no token sits in a function's environment.

use super::variables::Variables;
use super::{FromVariables, vars};
use crate::http_url::HttpUrl;

/// Slack's Web API as Slack serves it.
pub const DEFAULT_SLACK_API_URL: &str = "https://slack.com/api/";

/// Slack: the API's base and the SSM parameter holding the bot token (`xoxb-…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlackSettings {
    pub api_url: HttpUrl,
    pub token_parameter: String,
}

/// Matrix: the homeserver's client-server API base and the SSM parameter holding the bot
/// account's access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatrixSettings {
    pub homeserver: HttpUrl,
    pub token_parameter: String,
}

/// The chat networks configured; neither set is a deployment that does not chat.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChatConfig {
    pub slack: Option<SlackSettings>,
    pub matrix: Option<MatrixSettings>,
}

/// An SSM parameter name: `/clinic/slack-token` or `clinic-slack-token`, of the characters SSM allows.
fn parameter_name(text: &str) -> Result<String, &'static str> {
    let name = text.trim();
    let allowed = name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"_.-/".contains(&b));
    if !name.is_empty() && name.len() <= 2048 && allowed {
        Ok(name.to_owned())
    } else {
        Err("must be an SSM parameter name (letters, digits and _.-/)")
    }
}

/// Reads the chat variables into `variables`' problems; for the configurations that chat.
pub fn chat(variables: &mut Variables<'_>) -> ChatConfig {
    let slack_url = variables.optional_parsed(vars::SLACK_API_URL, HttpUrl::parse);
    let slack_token = variables.optional_parsed(vars::SLACK_TOKEN_PARAMETER, parameter_name);
    let homeserver = variables.optional(vars::MATRIX_HOMESERVER);
    let matrix_token = variables.optional(vars::MATRIX_TOKEN_PARAMETER);
    let slack_url_given = variables.optional(vars::SLACK_API_URL).is_some();
    let slack_token_given = variables.optional(vars::SLACK_TOKEN_PARAMETER);
    let slack = match (slack_token, slack_url) {
        (Some(token_parameter), url) => Some(SlackSettings {
            api_url: url.unwrap_or_else(|| {
                HttpUrl::parse(DEFAULT_SLACK_API_URL).expect("the default is a URL")
            }),
            token_parameter,
        }),
        (None, _) => {
            if slack_url_given && slack_token_given.is_none() {
                variables.problem(
                    vars::SLACK_TOKEN_PARAMETER,
                    format!("is not set, but {} is", vars::SLACK_API_URL),
                );
            }
            None
        }
    };
    let matrix = match (homeserver, matrix_token) {
        (None, None) => None,
        (Some(homeserver), Some(token)) => {
            let homeserver =
                variables.parsed(vars::MATRIX_HOMESERVER, Some(homeserver), HttpUrl::parse);
            let token = variables.parsed(vars::MATRIX_TOKEN_PARAMETER, Some(token), parameter_name);
            homeserver
                .zip(token)
                .map(|(homeserver, token_parameter)| MatrixSettings {
                    homeserver,
                    token_parameter,
                })
        }
        (Some(_), None) => {
            variables.problem(
                vars::MATRIX_TOKEN_PARAMETER,
                format!("is not set, but {} is", vars::MATRIX_HOMESERVER),
            );
            None
        }
        (None, Some(_)) => {
            variables.problem(
                vars::MATRIX_HOMESERVER,
                format!("is not set, but {} is", vars::MATRIX_TOKEN_PARAMETER),
            );
            None
        }
    };
    ChatConfig { slack, matrix }
}

impl FromVariables for ChatConfig {
    fn read(variables: &mut Variables<'_>) -> Option<Self> {
        Some(chat(variables))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::lookup;

    #[test]
    fn no_chat_variables_is_a_deployment_that_does_not_chat() {
        assert_eq!(
            ChatConfig::from_lookup(lookup(&[])).unwrap(),
            ChatConfig::default()
        );
    }

    #[test]
    fn slack_needs_only_its_token_parameter_and_matrix_both_of_its_variables() {
        let config = ChatConfig::from_lookup(lookup(&[
            ("CLINIC_SLACK_TOKEN_SSM_PARAMETER", "/clinic/slack-token"),
            ("CLINIC_MATRIX_HOMESERVER", "https://matrix.example.org"),
            ("CLINIC_MATRIX_TOKEN_SSM_PARAMETER", "/clinic/matrix-token"),
        ]))
        .unwrap();
        let slack = config.slack.unwrap();
        assert_eq!(slack.api_url.as_str(), "https://slack.com/api");
        assert_eq!(slack.token_parameter, "/clinic/slack-token");
        let matrix = config.matrix.unwrap();
        assert_eq!(matrix.homeserver.as_str(), "https://matrix.example.org");
    }

    #[test]
    fn every_bad_chat_variable_is_named_at_once() {
        let err = ChatConfig::from_lookup(lookup(&[
            ("CLINIC_SLACK_API_URL", "slack.com/api"),
            ("CLINIC_SLACK_TOKEN_SSM_PARAMETER", "a token?"),
            ("CLINIC_MATRIX_HOMESERVER", "matrix.example.org"),
            ("CLINIC_MATRIX_TOKEN_SSM_PARAMETER", "/clinic/matrix-token"),
        ]))
        .unwrap_err();
        let named: Vec<_> = err.problems.iter().map(|p| p.variable).collect();
        assert_eq!(
            named,
            vec![
                vars::SLACK_API_URL,
                vars::SLACK_TOKEN_PARAMETER,
                vars::MATRIX_HOMESERVER
            ]
        );
        let half = ChatConfig::from_lookup(lookup(&[(
            "CLINIC_MATRIX_HOMESERVER",
            "https://matrix.example.org",
        )]))
        .unwrap_err();
        assert_eq!(half.problems[0].variable, vars::MATRIX_TOKEN_PARAMETER);
    }
}
