//! `strangler backfill …` and `strangler verify …`: parse, build the source
//! and target, call `strangler_data`, print, and exit by the outcome. The
//! logic lives in the `strangler-data` crate.

use super::admin_client;
use crate::settings::Settings;
use acl::LegacyClock;
use clap::{Args, Subcommand};
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::process::ExitCode;
use strangler_data::backfill::{self, Options};
use strangler_data::source::LegacySource;
use strangler_data::source::api::ApiSource;
use strangler_data::source::sql::SqlSource;
use strangler_data::target::Service;
use strangler_data::verify;

/// Exit status of a backfill that left dead letters.
pub const EXIT_DEAD_LETTERS: u8 = 3;

/// Which context to move or check.
#[derive(Debug, Subcommand)]
pub enum DataContext {
    /// Payments with their refunds, and invoices, into the payment service.
    Payments(DataArgs),
    /// Stock items, then orders with their lines and shipments, into the
    /// fulfillment service.
    Fulfillment(DataArgs),
}

impl DataContext {
    fn split(&self) -> (&'static str, &DataArgs) {
        match self {
            Self::Payments(args) => ("payments", args),
            Self::Fulfillment(args) => ("fulfillment", args),
        }
    }
}

/// Where the legacy records come from (one of the two).
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct SourceArgs {
    /// The monolith's legacy API (its `/api/v1/export/*` lists), e.g. http://127.0.0.1:8080.
    #[arg(long, value_name = "URL")]
    pub from_api: Option<String>,
    /// The monolith's database, read-only: sqlite://path or postgres://….
    #[arg(long, value_name = "URL")]
    pub from_db: Option<String>,
}

/// Options shared by backfill and verify.
#[derive(Debug, Args)]
pub struct DataArgs {
    /// The legacy source.
    #[command(flatten)]
    pub source: SourceArgs,
    /// The service's base URL, e.g. http://127.0.0.1:8082.
    #[arg(long, value_name = "URL")]
    pub to: String,
    /// Records per read and per write (1–1000).
    #[arg(long, default_value_t = 500)]
    pub batch_size: u32,
    /// Zone of the legacy local timestamps.
    #[arg(long, default_value = "Europe/Berlin")]
    pub timezone: String,
    /// backfill: at most this many records per second.
    #[arg(long)]
    pub rate: Option<NonZeroU32>,
    /// backfill: check every record with the service, keep nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// backfill: ignore the checkpoint and walk from the first record.
    #[arg(long)]
    pub from_start: bool,
    /// backfill: folder of the checkpoint and the dead-letter file.
    #[arg(long, default_value = ".strangler/backfill")]
    pub state_dir: PathBuf,
    /// verify: print the result as JSON.
    #[arg(long)]
    pub json: bool,
    /// verify: do not record the result with the proxy's admin API.
    #[arg(long)]
    pub no_record: bool,
}

/// `strangler backfill <context>`: 0 done, 3 dead letters, 1 failed.
pub fn backfill(context: DataContext) -> ExitCode {
    let (name, args) = context.split();
    let outcome = run(|| async {
        let clock = LegacyClock::from_name(&args.timezone)?;
        let opts = Options {
            batch_size: args.batch_size,
            rate: args.rate,
            dry_run: args.dry_run,
            from_start: args.from_start,
            state_dir: args.state_dir.clone(),
            clock,
            quiet: false,
        };
        let to = Service::new(&args.to)?;
        match (&args.source.from_api, &args.source.from_db) {
            (Some(url), _) => backfill_from(name, &ApiSource::new(url)?, &to, &opts).await,
            (_, Some(url)) => backfill_from(name, &SqlSource::open(url, clock)?, &to, &opts).await,
            _ => anyhow::bail!("give --from-api URL or --from-db URL"),
        }
    });
    match outcome {
        Ok(summary) => {
            print!("{}", summary.render());
            if summary.dead_letters > 0 {
                ExitCode::from(EXIT_DEAD_LETTERS)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => fail(&e),
    }
}

/// `strangler verify <context>`: 0 passed, 1 differences (or failed).
pub fn verify(config: Option<&std::path::Path>, context: DataContext) -> ExitCode {
    let (name, args) = context.split();
    let json = args.json;
    let outcome = run(|| async {
        let clock = LegacyClock::from_name(&args.timezone)?;
        let to = Service::new(&args.to)?;
        let mut print = |d: &verify::DiffEntry| {
            if !json {
                println!("{}", d.line());
            }
        };
        let size = args.batch_size;
        match (&args.source.from_api, &args.source.from_db) {
            (Some(url), _) => {
                let source = ApiSource::new(url)?;
                verify_from(name, &source, &to, &clock, size, &mut print).await
            }
            (_, Some(url)) => {
                let source = SqlSource::open(url, clock)?;
                verify_from(name, &source, &to, &clock, size, &mut print).await
            }
            _ => anyhow::bail!("give --from-api URL or --from-db URL"),
        }
    });
    let result = match outcome {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&result).unwrap_or_default()
        );
    } else {
        print!("{}", result.render());
    }
    if !args.no_record {
        record(config, &result);
    }
    if result.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Posts the result to the admin API; unreachable is one line, not a failure.
fn record(config: Option<&std::path::Path>, result: &verify::VerifyResult) {
    let settings = match Settings::load(config) {
        Ok(s) => s,
        Err(e) => return eprintln!("verify result not recorded: {e}"),
    };
    let body = match serde_json::to_value(result) {
        Ok(b) => b,
        Err(e) => return eprintln!("verify result not recorded: {e}"),
    };
    if let Err(e) = admin_client::call(
        &settings,
        reqwest::Method::POST,
        "verify-runs",
        &[],
        Some(body),
    ) {
        eprintln!("verify result not recorded: {e:#}");
    }
}

async fn backfill_from<S: LegacySource>(
    context: &str,
    source: &S,
    to: &Service,
    opts: &Options,
) -> anyhow::Result<backfill::Summary> {
    match context {
        "payments" => backfill::payments(source, to, opts).await,
        _ => backfill::fulfillment(source, to, opts).await,
    }
}

async fn verify_from<S: LegacySource>(
    context: &str,
    source: &S,
    to: &Service,
    clock: &LegacyClock,
    page_size: u32,
    print: &mut dyn FnMut(&verify::DiffEntry),
) -> anyhow::Result<verify::VerifyResult> {
    match context {
        "payments" => verify::payments(source, to, clock, page_size, print).await,
        _ => verify::fulfillment(source, to, clock, page_size, print).await,
    }
}

fn run<T, F, Fut>(f: F) -> anyhow::Result<T>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(f())
}

fn fail(e: &anyhow::Error) -> ExitCode {
    eprintln!("strangler: {e:#}");
    ExitCode::FAILURE
}
