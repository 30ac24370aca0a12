//! The `web` Lambda: the pages people open in a browser, behind API Gateway's HTTP API (sign-in by
//! mailed link, the session, the now page). The handler is `clinic::functions::web`, shared with
//! `clinic serve`; lambda_http turns each event into a request and `Set-Cookie` into `cookies`.

use std::sync::Arc;

use clinic::config::{FromVariables as _, WebConfig};
use clinic::functions::web::WebPages;
use lambda_http::{Request, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    clinic::functions::lambda::init_tracing();
    let config = WebConfig::load().await?;
    let routes = Arc::new(WebPages::from_config(&config).await?).routes();
    let routes = &routes;
    lambda_http::run(service_fn(move |request: Request| async move {
        Ok::<_, std::convert::Infallible>(routes.dispatch(request).await)
    }))
    .await
}
