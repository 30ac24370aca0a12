//! `clinic serve`'s wiring: which webhooks and status routes the configuration allows, then the
//! server of `serve.rs` on the given address until Ctrl-C or SIGTERM.

use clap::Args;

use crate::config::{
    FromVariables as _, PhabricatorWebhookConfig, StatusConfig, VictorOpsWebhookConfig, WebConfig,
};

use super::error::CliError;

#[derive(Args, Debug)]
pub(super) struct ServeArgs {
    /// The address to listen on, e.g. 127.0.0.1:8080 (port 0 picks a free port, printed at start).
    #[arg(long)]
    listen: std::net::SocketAddr,
    /// Handle every request as if at this moment (default: the clock), RFC 3339: rehearsals of
    /// recorded deliveries on the local stack.
    #[arg(long)]
    at: Option<jiff::Timestamp>,
}

pub(super) async fn run(args: ServeArgs) -> Result<(), CliError> {
    use std::sync::Arc;

    use lambda_http::http::Method;

    // Each webhook is served when its configuration is complete; with neither, every problem is named.
    let phabricator_config = PhabricatorWebhookConfig::load().await;
    let victorops_config = VictorOpsWebhookConfig::load().await;
    let mut routes = crate::functions::http::Routes::new();
    let mut dry_run = false;
    if let Ok(config) = &phabricator_config {
        // The webhook, and GET /status when CLINIC_STATUS_TOKEN is set, as the Lambda routes them.
        let function =
            crate::functions::phabricator_webhook::PhabricatorFunction::from_config(config).await?;
        routes = routes.extend(function.routes());
        dry_run = config.dry_run;
    } else if let Ok(config) = StatusConfig::load().await {
        let settings = config.brief.settings()?;
        let store = Arc::new(super::table::open_table(&config.table).await);
        let status = Arc::new(
            crate::functions::phabricator_webhook::status::StatusEndpoint::new(
                crate::brief::Briefing::new(store, settings),
                config.status_token,
            ),
        );
        routes = routes
            .route(
                Method::GET,
                crate::functions::phabricator_webhook::status::STATUS_PATH,
                status.clone(),
            )
            .route(
                Method::GET,
                crate::functions::phabricator_webhook::status::CALENDAR_PATH,
                status,
            );
    }
    if let Ok(config) = &victorops_config {
        let hook = crate::functions::victorops_webhook::VictorOpsFunction::from_config(config)
            .await
            .map_err(|e| CliError::Usage(e.to_string()))?;
        routes = routes.route(Method::POST, "/hooks/victorops", Arc::new(hook));
    }
    // The pages (sign-in, now) when CLINIC_WEB_URL and CLINIC_WEB_SIGNING_KEY are set, as the web function.
    let web_config = WebConfig::load().await;
    if let Ok(config) = &web_config {
        let pages = crate::functions::web::WebPages::from_config(config)
            .await
            .map_err(|e| CliError::Usage(e.to_string()))?;
        let pages = Arc::new(pages);
        routes = routes.extend(&pages.routes());
    }
    if routes.paths().next().is_none() {
        let mut problems = Vec::new();
        for error in [
            phabricator_config.err(),
            victorops_config.err(),
            web_config.err(),
        ]
        .into_iter()
        .flatten()
        {
            problems.extend(error.problems);
        }
        problems.dedup_by(|a, b| a.variable == b.variable);
        return Err(CliError::Config(crate::config::ConfigError { problems }));
    }
    let routes = Arc::new(routes.at(args.at));
    let failed = |source| CliError::Serve {
        address: args.listen,
        source,
    };
    let (listener, bound) = crate::cli::serve::bind(args.listen).await.map_err(failed)?;
    for (method, path) in routes.paths() {
        println!("clinic serve: {method} http://{bound}{path}");
    }
    println!(
        "clinic serve: listening on {bound}{}",
        if dry_run { " (dry run)" } else { "" }
    );
    crate::cli::serve::serve(listener, routes, stop_signal()).await;
    println!("clinic serve: stopped");
    Ok(())
}

async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
