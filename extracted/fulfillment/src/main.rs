//! `fulfillment [settings.toml]`: loads settings (defaults, the optional file,
//! then `FULFILLMENT__…` variables), starts logging and serves until stopped.

use anyhow::Context;
use fulfillment::settings;
use fulfillment::startup::Application;
use std::path::PathBuf;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let file = std::env::args_os().nth(1).map(PathBuf::from);
    let settings = settings::load(file.as_deref()).context("fulfillment cannot start")?;
    // Held until the end: dropping it exports the last spans.
    let _telemetry =
        platform::telemetry::init(&settings.telemetry).context("fulfillment cannot start")?;
    let app = Application::build(settings).await?;
    tracing::info!(port = app.port(), "fulfillment service listening");
    app.run_until_stopped().await.context("server failed")?;
    tracing::info!("fulfillment service stopped");
    Ok(())
}
