//! Credentials named by SSM parameter are read from Parameter Store (moto) when a function starts.

use aws_sdk_ssm::types::ParameterType;
use clinic::adapters::ssm::SsmParameters;
use clinic::config::{FromVariables as _, PhabricatorWebhookConfig};
use clinic_tests::sdk_config;

async fn put_secure(client: &aws_sdk_ssm::Client, name: &str, value: &str) {
    client
        .put_parameter()
        .name(name)
        .value(value)
        .r#type(ParameterType::SecureString)
        .overwrite(true)
        .send()
        .await
        .unwrap();
}

fn lookup(pairs: Vec<(&'static str, String)>) -> impl Fn(&str) -> Option<String> {
    move |name| {
        pairs
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    }
}

#[tokio::test]
async fn the_phabricator_webhook_starts_with_its_credentials_from_parameter_store() {
    let client = clinic::adapters::sdk::ssm(&sdk_config().await);
    let prefix = format!("/clinic-test/{}", uuid::Uuid::new_v4());
    put_secure(&client, &format!("{prefix}/conduit"), "api-token-from-ssm").await;
    put_secure(&client, &format!("{prefix}/hmac"), "hmac-from-ssm").await;
    let env = lookup(vec![
        ("CLINIC_TABLE", "clinic-test".into()),
        ("PHABRICATOR_URL", "https://phabricator.example.org".into()),
        ("CLINIC_TRIAGE_RULES", "rules.toml".into()),
        (
            "PHABRICATOR_API_TOKEN_SSM_PARAMETER",
            format!("{prefix}/conduit"),
        ),
        (
            "PHABRICATOR_WEBHOOK_HMAC_KEY_SSM_PARAMETER",
            format!("{prefix}/hmac"),
        ),
    ]);
    let store = SsmParameters::new(client);
    let config = PhabricatorWebhookConfig::from_lookup_and_parameters(env, &store)
        .await
        .unwrap();
    assert_eq!(config.phabricator_api_token.expose(), "api-token-from-ssm");
    assert_eq!(
        config.phabricator_webhook_hmac_key.expose(),
        "hmac-from-ssm"
    );
}

#[tokio::test]
async fn a_parameter_that_does_not_exist_stops_the_start_naming_its_variable() {
    let client = clinic::adapters::sdk::ssm(&sdk_config().await);
    let env = lookup(vec![
        ("CLINIC_TABLE", "clinic-test".into()),
        ("PHABRICATOR_URL", "https://phabricator.example.org".into()),
        ("CLINIC_TRIAGE_RULES", "rules.toml".into()),
        ("PHABRICATOR_API_TOKEN", "api-plain".into()),
        (
            "PHABRICATOR_WEBHOOK_HMAC_KEY_SSM_PARAMETER",
            "/clinic-test/none-such".into(),
        ),
    ]);
    let store = SsmParameters::new(client);
    let error = PhabricatorWebhookConfig::from_lookup_and_parameters(env, &store)
        .await
        .unwrap_err();
    assert_eq!(error.problems.len(), 1, "{error}");
    assert_eq!(error.problems[0].variable, "PHABRICATOR_WEBHOOK_HMAC_KEY");
    assert!(error.to_string().contains("/clinic-test/none-such"));
}
