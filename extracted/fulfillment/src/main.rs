//! `fulfillment [settings.toml]`: loads settings (defaults, the optional file,
//! then `FULFILLMENT__…` variables), starts logging and serves until stopped.
//!
//! `fulfillment sagas list|show <id> [--url …] [--json]`: the operators' view
//! of a running service's order sagas (see [`fulfillment::cli`]).

use anyhow::Context;
use clap::{Parser, Subcommand};
use fulfillment::cli::{self, SagasArgs};
use fulfillment::settings;
use fulfillment::startup::Application;
use std::path::PathBuf;
use std::process::ExitCode;

/// The fulfillment service: stock, orders, shipments and the order sagas.
#[derive(Debug, Parser)]
#[command(name = "fulfillment", version, args_conflicts_with_subcommands = true)]
struct Cli {
    /// Settings file (TOML); `FULFILLMENT__…` variables override it.
    settings: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Operators' view of the order sagas of a running service.
    Sagas(SagasArgs),
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help, --version
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            let text = e.render().to_string();
            let first = text.lines().next().unwrap_or("bad arguments");
            eprintln!("fulfillment: {}", first.trim_start_matches("error: "));
            return ExitCode::from(2);
        }
    };
    match cli.command {
        Some(Command::Sagas(args)) => match cli::run(&args).await {
            Ok(out) => {
                print!("{out}");
                ExitCode::SUCCESS
            }
            Err(message) => {
                eprintln!("fulfillment sagas: {message}");
                ExitCode::FAILURE
            }
        },
        None => match serve(cli.settings).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("Error: {e:?}");
                ExitCode::FAILURE
            }
        },
    }
}

async fn serve(file: Option<PathBuf>) -> anyhow::Result<()> {
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
