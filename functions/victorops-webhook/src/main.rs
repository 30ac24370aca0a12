//! The `victorops-webhook` Lambda: VictorOps webhooks (Function URL) and the reminder sweep
//! (EventBridge schedule) in one function, dispatched on the event's shape.

use clinic::config::{FromVariables as _, VictorOpsWebhookConfig};
use clinic::functions::victorops_webhook::VictorOpsFunction;
use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    clinic::functions::lambda::init_tracing();
    let config = VictorOpsWebhookConfig::load().await?;
    let function = VictorOpsFunction::from_config(&config).await?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<serde_json::Value>| {
        function.dispatch(event.payload)
    }))
    .await
}
