//! The `rotation` Lambda: on its weekly schedule, commits the coming week and e-mails (and posts) the
//! handoff; hourly, the swaps job (reminders, expiry); every minute, when scheduled, keeps the chat
//! topic and user group with the duty.

use clinic::config::{FromVariables as _, RotationConfig};
use clinic::functions::rotation::RotationFunction;
use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    clinic::functions::lambda::init_tracing();
    let config = RotationConfig::load().await?;
    let function = RotationFunction::from_config(&config).await?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<serde_json::Value>| {
        function.dispatch(event.payload)
    }))
    .await
}
