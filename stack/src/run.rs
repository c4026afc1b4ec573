//! One run of the stack: check the ports, build, prepare the files, start the
//! parts in order, tell the user where they are, supervise until a signal,
//! stop.

use crate::binaries;
use crate::cli::{self, Args, Command};
use crate::control;
use crate::layout::{Part, Ports};
use crate::output::say;
use crate::plan::{self, Databases, Plan};
use crate::route_table::{self, FlagsSource};
use crate::supervisor::{Component, StartError, Supervisor};
use crate::sync_switch;
use crate::unleash;
use crate::wiring::{self, Wiring};
use anyhow::Context;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;
use tokio::sync::watch;

/// Runs the stack until SIGINT or SIGTERM; errors are one line and exit 1
/// (2 for a switch or port that is not usable).
pub fn run(args: Args) -> ExitCode {
    if let Some(command) = &args.command {
        let done = match command {
            Command::Stop { part } => control::stop(&args.dir, part),
            Command::Start { part } => control::start(&args.dir, part),
            Command::Sync { state } => sync_switch::switch(&args.dir, *state == cli::SyncState::On),
            Command::Retire { .. } => crate::retire::retire(&args.dir),
        };
        return match done {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("stack: {e:#}");
                ExitCode::FAILURE
            }
        };
    }
    let ports = match prepare_ports(&args) {
        Ok(ports) => ports,
        Err(e) => {
            say("stack", &format!("error: {e}"));
            return ExitCode::from(2);
        }
    };
    match plan(&args, ports).and_then(|plan| supervise(&args, plan)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            say("stack", &format!("error: {e:#}"));
            ExitCode::FAILURE
        }
    }
}

fn prepare_ports(args: &Args) -> Result<Ports, String> {
    let ports = Ports::new(args.base_port)?;
    let mut parts = vec![
        Part::Proxy,
        Part::Admin,
        Part::Monolith,
        Part::Payment,
        Part::Fulfillment,
    ];
    if args.unleash {
        unleash::install()?;
        parts.push(Part::Unleash);
    }
    ports.check_free(&parts)?;
    Ok(ports)
}

/// The workspace the stack was built from (where cargo builds the parts).
fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn plan(args: &Args, ports: Ports) -> anyhow::Result<Plan> {
    std::fs::create_dir_all(plan::generated(&args.dir))
        .with_context(|| format!("cannot create {}", plan::generated(&args.dir).display()))?;
    let dir = std::fs::canonicalize(&args.dir)
        .with_context(|| format!("cannot resolve {}", args.dir.display()))?;
    let binaries = binaries::build(&workspace(), args.release)?;
    let databases = match &args.postgres {
        Some(server) => Some(databases(server, &args.db_prefix)?),
        None => None,
    };
    let token = match std::env::var("STRANGLER__ADMIN__TOKEN") {
        Ok(token) if !token.is_empty() => token,
        _ => uuid::Uuid::new_v4().simple().to_string(),
    };
    let own = std::env::current_exe().context("cannot find the stack's own executable")?;
    Ok(Plan {
        ports,
        dir,
        binaries,
        own_dir: own.parent().map_or_else(PathBuf::new, Path::to_path_buf),
        databases,
        nats: args.nats.clone(),
        otlp: args.otlp.clone(),
        token,
    })
}

fn databases(server: &str, prefix: &str) -> anyhow::Result<Databases> {
    let db = |part: &str| {
        let name = format!("{prefix}_{part}");
        let url = platform::pg_server::ensure_database(server, &name)?;
        say("stack", &format!("PostgreSQL database {name} is ready"));
        anyhow::Ok(url)
    };
    Ok(Databases {
        monolith: db("monolith")?,
        payment: db("payment")?,
        fulfillment: db("fulfillment")?,
        proxy: db("proxy")?,
        unleash: db("unleash")?,
    })
}

/// Writes the run's files: the flags file (first run only), the settings
/// the parts read, and `data/stack.env`.
fn write_files(plan: &Plan, flags: &FlagsSource<'_>) -> anyhow::Result<()> {
    let write = |path: PathBuf, text: String| {
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))
    };
    let flags_file = plan::flags_file(&plan.dir);
    if !flags_file.exists() {
        write(flags_file, route_table::EXAMPLE_FLAGS.to_owned())?;
    }
    let shadow = plan.databases.as_ref().map(|d| d.proxy.as_str());
    let route_table_file = plan::route_table_file(&plan.dir);
    let retired = route_table::retired_routes(&route_table_file);
    write(
        route_table_file,
        route_table::render(&plan.ports, flags, shadow, &retired)?,
    )?;
    let monolith_file = plan::monolith_file(&plan.dir);
    let wiring = Wiring {
        ports: &plan.ports,
        nats: plan.nats.as_deref(),
        flags,
        // Sync, once on, stays on when the stack starts again; so does
        // retirement.
        sync: wiring::was_on(&monolith_file),
        retired: wiring::was_retired(&monolith_file),
    };
    write(monolith_file, wiring.monolith_settings()?)?;
    write(plan::payment_file(&plan.dir), wiring.payment_settings()?)?;
    write(plan.dir.join("data").join("stack.env"), plan.env_file())
}

fn supervise(args: &Args, plan: Plan) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    runtime.block_on(async {
        let mut stop = stop_on_signals()?;
        // Requests left by an earlier run are not this run's.
        let control = control::folder(&plan.dir);
        let _ = std::fs::remove_dir_all(&control);
        let mut supervisor = Supervisor::with_control(control);
        let started = start_all(args, &plan, &mut supervisor, &mut stop).await;
        if let Err(e) = &started {
            if !matches!(e.downcast_ref(), Some(StartError::Stopped)) {
                say("stack", &format!("error: {e:#}"));
            }
        } else {
            announce(&plan, args.unleash);
            supervisor.run(&mut stop).await;
        }
        say("stack", "stopping everything");
        supervisor.shutdown().await;
        say("stack", "stopped");
        match started {
            Err(e) if !matches!(e.downcast_ref(), Some(StartError::Stopped)) => {
                Err(anyhow::anyhow!("the stack did not start"))
            }
            _ => Ok(()),
        }
    })
}

async fn start_all(
    args: &Args,
    plan: &Plan,
    supervisor: &mut Supervisor,
    stop: &mut watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let flags_file = plan::flags_file(&plan.dir);
    let admin = unleash::Admin::new(plan.ports.url(Part::Unleash));
    let flags = if args.unleash {
        let database = plan.databases.as_ref().map(|d| d.unleash.clone());
        let database = database.context("--unleash needs --postgres")?;
        supervisor
            .start(unleash_component(plan, &admin, &database), stop)
            .await?;
        let names = route_table::flag_names()?;
        let features = serde_json::from_str(route_table::EXAMPLE_FLAGS)?;
        for name in admin.ensure_toggles(&names, &features).await? {
            say("stack", &format!("created the Unleash toggle {name}"));
        }
        FlagsSource::Server {
            file: &flags_file,
            api_url: admin.api_url(),
            token: unleash::CLIENT_TOKEN,
        }
    } else {
        FlagsSource::File(&flags_file)
    };
    write_files(plan, &flags)?;
    // Colour codes would reach a file or a test verbatim.
    let plain = !std::io::stdout().is_terminal();
    for mut component in plan.components() {
        if plain {
            component.env.push(("NO_COLOR".into(), "1".into()));
        }
        supervisor.start(component, stop).await?;
    }
    Ok(())
}

fn unleash_component(plan: &Plan, admin: &unleash::Admin, database: &str) -> Component {
    let port = plan.ports.port(Part::Unleash);
    let command = unleash::command(database, port);
    Component {
        name: "unleash",
        program: PathBuf::from(command.get_program()),
        args: command
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect(),
        env: unleash::environment(database, port),
        cwd: command
            .get_current_dir()
            .map_or_else(unleash::tools_dir, Path::to_path_buf),
        health: admin.health_url(),
        // npm's unleash-server migrates its database on a first start.
        start_limit: Duration::from_secs(120),
    }
}

fn announce(plan: &Plan, unleash: bool) {
    let url = |part| plan.ports.url(part);
    let lines = [
        format!(
            "proxy        {}   clients talk here (/api/v1)",
            url(Part::Proxy)
        ),
        format!(
            "admin API    {}/admin   bearer token below",
            url(Part::Admin)
        ),
        format!("dashboard    {}/dashboard", url(Part::Admin)),
        format!("monolith     {}   legacy /api/v1", url(Part::Monolith)),
        format!("payment      {}   /v2", url(Part::Payment)),
        format!("fulfillment  {}   /v2", url(Part::Fulfillment)),
    ];
    for line in lines {
        say("stack", &line);
    }
    if unleash {
        say(
            "stack",
            &format!(
                "unleash      {}   flags (admin token {})",
                url(Part::Unleash),
                unleash::ADMIN_TOKEN
            ),
        );
    }
    say("stack", &format!("admin token  {}", plan.token));
    say(
        "stack",
        "in another terminal: source data/stack.env   ($PROXY, $ADMIN, … and `strangler` on PATH)",
    );
    say("stack", "ready; Ctrl-C stops everything");
}

/// A channel that turns true at the first SIGINT or SIGTERM.
fn stop_on_signals() -> anyhow::Result<watch::Receiver<bool>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot watch SIGINT")?;
    let mut terminate = signal(SignalKind::terminate()).context("cannot watch SIGTERM")?;
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
        let _ = tx.send(true);
    });
    Ok(rx)
}
