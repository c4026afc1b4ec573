//! `monolith`: serve the legacy API (default), seed demo data, or retire
//! the payments tables once the payment service owns every payment.

use clap::{Parser, Subcommand};
use monolith::settings::Settings;
use std::path::PathBuf;
use std::process::ExitCode;

/// The reference modular monolith of strangler-kit (the legacy system).
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// A TOML settings file layered over the embedded defaults
    /// (then MONOLITH__SECTION__KEY variables).
    #[arg(long, global = true, env = "MONOLITH_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve /api/v1 (the default).
    Serve,
    /// Fill the database with deterministic demo data through the legacy API.
    Seed(monolith::seed::SeedArgs),
    /// Archive a moved-out context's tables (every row, as JSON lines) and
    /// drop them, once the service owns all of it and sync has drained.
    Retire(monolith::retire::RetireArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("monolith: {e}");
            return ExitCode::from(2);
        }
    };
    // Held until the end: dropping it exports the last spans.
    let _telemetry = match platform::telemetry::init(&settings.telemetry) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("monolith: {e}");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(&settings),
        Command::Seed(args) => monolith::seed::run(&settings, &args),
        Command::Retire(args) => monolith::retire::run(&settings, &args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("monolith: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn serve(settings: &Settings) -> anyhow::Result<()> {
    actix_web::rt::System::new().block_on(async {
        let app = monolith::startup::Application::build(settings).await?;
        tracing::info!(
            port = app.port(),
            database = %platform::db::redacted(&settings.database.url),
            "monolith listening"
        );
        app.run_until_stopped().await?;
        tracing::info!("monolith stopped");
        Ok(())
    })
}
