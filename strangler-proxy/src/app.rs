//! Builds and runs the whole proxy: flags, route table, data plane, admin API,
//! and the reload triggers (admin API, SIGHUP, a change of the settings file).

use crate::admin;
use crate::proxy::identity::IdentityHeaders;
use crate::proxy::{Proxy, ProxyConfig, Timeouts};
use crate::reload::Reloader;
use crate::routes::RouteTable;
use crate::settings::Settings;
use crate::shadow::mirror::ShadowLimits;
use crate::shadow::store::{ShadowStore, Window, spawn_pruner};
use crate::stats::Stats;
use anyhow::Context;
use platform::settings::DatabaseSettings;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// A running proxy.
pub struct Application {
    proxy_addr: SocketAddr,
    admin_addr: SocketAddr,
    stop: watch::Sender<bool>,
    data_plane: tokio::task::JoinHandle<()>,
    admin: actix_web::dev::ServerHandle,
    admin_task: tokio::task::JoinHandle<std::io::Result<()>>,
    pruner: tokio::task::JoinHandle<()>,
}

impl Application {
    /// Starts everything; `config` is the settings file to reload from.
    pub async fn start(settings: Settings, config: Option<PathBuf>) -> anyhow::Result<Self> {
        let flags = settings
            .flags
            .open()
            .await
            .with_context(|| settings.flags.open_failed())?;
        let stats = Stats::new().context("cannot set up the metrics registry")?;
        let store = shadow_store(&settings).await?;
        let (age, every) = (
            window(&settings.shadow.retention_age)?,
            window(&settings.shadow.prune_every)?,
        );
        let pruner = spawn_pruner(store.clone(), every, settings.shadow.retention_rows, age);
        let table = RouteTable::build(&settings, &settings.registry(), &stats)?;
        let identity = IdentityHeaders {
            user: http::HeaderName::from_bytes(settings.proxy.identity_header.as_bytes())?,
            session: http::HeaderName::from_bytes(settings.proxy.session_header.as_bytes())?,
        };
        let proxy = Arc::new(
            Proxy::new(
                table,
                flags,
                stats,
                store,
                ProxyConfig {
                    identity,
                    expose_route_headers: settings.proxy.expose_route_headers,
                    unrouted_timeout: Duration::from_millis(settings.proxy.timeout_ms),
                    connect_timeout: Duration::from_millis(settings.proxy.connect_timeout_ms),
                    timeouts: Timeouts::of(&settings.proxy),
                    shadow: ShadowLimits {
                        queue: settings.shadow.queue_capacity,
                        concurrency: settings.shadow.concurrency,
                        flush_every: window(&settings.shadow.flush_every)?,
                        match_sample: settings.shadow.match_sample,
                    },
                },
            )
            .context("cannot start the shadow thread")?,
        );
        let sync = crate::sync_lag::SyncLag::new(
            window(&settings.sync.poll_interval)?,
            proxy.stats().metrics(),
        )
        .context("cannot set up the sync lag readings")?;
        let gate =
            Arc::new(crate::gate::Gate::new(&settings, sync.clone()).map_err(anyhow::Error::msg)?);
        let reloader = Arc::new(Reloader::new(proxy.clone(), gate.clone(), config));

        let listener = tokio::net::TcpListener::bind(&settings.proxy.listen)
            .await
            .with_context(|| format!("cannot bind proxy.listen {}", settings.proxy.listen))?;
        let proxy_addr = listener.local_addr()?;
        let (stop, stopped) = watch::channel(false);
        let data_plane = tokio::spawn(crate::server::serve(
            listener,
            proxy.clone(),
            crate::server::Serving {
                codec: settings.proxy.codec,
                max_connections: settings.proxy.max_connections,
                grace: Duration::from_secs(10),
            },
            stopped.clone(),
        ));

        let admin_listener = std::net::TcpListener::bind(&settings.admin.listen)
            .with_context(|| format!("cannot bind admin.listen {}", settings.admin.listen))?;
        let admin_addr = admin_listener.local_addr()?;
        if !admin_addr.ip().is_loopback() {
            tracing::warn!(
                listen = %admin_addr,
                "the admin API listens beyond loopback (admin.allow_remote): anyone who reaches it and \
                 holds the token can move every route; keep it on a private network"
            );
        }
        let admin_server = admin::server(
            admin_listener,
            proxy.clone(),
            reloader.clone(),
            gate,
            &settings.admin.token,
        )?;
        let admin = admin_server.handle();
        let admin_task = tokio::spawn(admin_server);
        tokio::spawn(crate::handover::driver::run(
            proxy.clone(),
            sync.clone(),
            stopped.clone(),
        ));
        tokio::spawn(sync.run(proxy.clone(), stopped.clone()));
        if let Some(watchdog) =
            crate::watchdog::Watchdog::new(&settings).map_err(anyhow::Error::msg)?
        {
            tokio::spawn(watchdog.run(proxy, stopped.clone()));
        }
        tokio::spawn(reloader.watch(stopped));

        tracing::info!(%proxy_addr, %admin_addr, "strangler proxy listening");
        Ok(Self {
            proxy_addr,
            admin_addr,
            stop,
            data_plane,
            admin,
            admin_task,
            pruner,
        })
    }

    /// The client-facing address.
    pub fn proxy_addr(&self) -> SocketAddr {
        self.proxy_addr
    }

    /// The admin address.
    pub fn admin_addr(&self) -> SocketAddr {
        self.admin_addr
    }

    /// Stops accepting, lets in-flight requests finish, and returns.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        self.admin.stop(true).await;
        let _ = self.data_plane.await;
        let _ = self.admin_task.await;
        self.pruner.abort();
    }

    /// Runs until SIGTERM or Ctrl-C, then stops gracefully.
    pub async fn run_until_signalled(self) -> anyhow::Result<()> {
        shutdown_signal().await;
        tracing::info!("stopping: in-flight requests may finish");
        self.stop().await;
        tracing::info!("strangler proxy stopped");
        Ok(())
    }
}

/// Opens (and migrates) the shadow results database off the async threads.
async fn shadow_store(settings: &Settings) -> anyhow::Result<ShadowStore> {
    let db = DatabaseSettings {
        url: settings.shadow.database_url.clone(),
        pool_size: settings.shadow.pool_size,
    };
    let store = tokio::task::spawn_blocking(move || ShadowStore::connect(&db)).await?;
    store.with_context(|| {
        format!(
            "cannot open the shadow results database {}",
            platform::db::redacted(&settings.shadow.database_url)
        )
    })
}

fn window(text: &str) -> anyhow::Result<Duration> {
    Ok(text
        .parse::<Window>()
        .map_err(anyhow::Error::msg)?
        .duration())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
