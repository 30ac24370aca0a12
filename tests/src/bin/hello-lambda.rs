//! The cold-start baseline: a hello-world `lambda_runtime` function, built like the real ones
//! (same release profile), so `make bench` can put their start-up side by side.

use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::run(service_fn(
        |event: LambdaEvent<serde_json::Value>| async move {
            Ok::<_, lambda_runtime::Error>(serde_json::json!({ "hello": event.payload }))
        },
    ))
    .await
}
