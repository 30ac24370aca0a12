//! The `maintenance-mail` Lambda: runs on S3 ObjectCreated for each inbound mail SES stored, and
//! (when the schedule is deployed) every minute for the start and end notices of maintenances.

use clinic::config::{FromVariables as _, MaintenanceMailConfig};
use clinic::functions::maintenance_mail::MaintenanceFunction;
use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    clinic::functions::lambda::init_tracing();
    let config = MaintenanceMailConfig::load().await?;
    let function = MaintenanceFunction::from_config(&config).await?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<serde_json::Value>| {
        function.dispatch(event.payload)
    }))
    .await
}
