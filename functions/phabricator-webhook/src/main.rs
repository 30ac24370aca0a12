//! The `phabricator-webhook` Lambda (Function URL or API Gateway HTTP API): Herald deliveries in,
//! triage through Conduit. The handler is `clinic::triage::function`, shared with `clinic serve`.

use std::convert::Infallible;

use clinic::config::{Component, Config};
use clinic::triage::function::PhabricatorWebhook;
use lambda_http::{Request, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    clinic::lambda::init_tracing();
    let config = Config::load(Component::PhabricatorWebhook).await?;
    let hook = PhabricatorWebhook::from_config(&config).await?;
    lambda_http::run(service_fn(|request: Request| async {
        Ok::<_, Infallible>(hook.handle(request).await)
    }))
    .await
}
