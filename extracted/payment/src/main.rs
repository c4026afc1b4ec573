//! `payment`: serve the `/v2` API (default) or rebuild the read projections
//! from the event store.

use clap::{Parser, Subcommand};
use payment::settings::Settings;
use payment::startup::{Application, rebuild_projections};
use std::path::PathBuf;
use std::process::ExitCode;

/// The extracted payment service of strangler-kit.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// A TOML settings file layered over the embedded defaults
    /// (then PAYMENT__SECTION__KEY variables).
    #[arg(long, global = true, env = "PAYMENT_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve /v2 (the default).
    Serve,
    /// Recreate the payments and refunds tables from the payment events.
    RebuildProjections,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("payment: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Held until the end: dropping it exports the last spans.
    let _telemetry = match platform::telemetry::init(&settings.telemetry) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("payment: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(&settings).await,
        Command::RebuildProjections => rebuild_projections(&settings).await.map(|r| {
            println!(
                "rebuilt {} payments and {} refunds from the event store",
                r.payments, r.refunds
            );
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "payment stopped");
            eprintln!("payment: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: &Settings) -> anyhow::Result<()> {
    let app = Application::build(settings).await?;
    tracing::info!(port = app.port(), "payment service listening");
    app.run_until_stopped().await?;
    Ok(())
}
