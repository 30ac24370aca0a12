//! The `phabricator-webhook` Lambda: Herald deliveries and the read-only status endpoint (API Gateway
//! HTTP API), and the stale-task follow-up sweep (EventBridge schedule), dispatched on the event's
//! shape. The handler is `clinic::functions::phabricator_webhook`, shared with `clinic serve`.

use clinic::config::{FromVariables as _, PhabricatorWebhookConfig};
use clinic::functions::phabricator_webhook::PhabricatorFunction;
use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    clinic::functions::lambda::init_tracing();
    let config = PhabricatorWebhookConfig::load().await?;
    let function = PhabricatorFunction::from_config(&config).await?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<serde_json::Value>| {
        function.dispatch(event.payload)
    }))
    .await
}
