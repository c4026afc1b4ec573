//! The client-facing listener: HTTP/1.1 with keep-alive and upgrades, one task
//! per connection, stopping gracefully (in-flight requests finish) on a
//! shutdown signal.
//!
//! A connection starts on the proxy's own HTTP/1.1 codec (`conn`, `h1`),
//! which serves the plain requests that make up most traffic (no body, no
//! upgrade, no `Expect`) with one read and one write each. The first request
//! it does not take (a body, an upgrade, HTTP/1.0, a malformed head) hands the
//! connection, with the bytes already read, to hyper (`handoff`) for the
//! rest of its life: hyper keeps every edge of the protocol, the own codec
//! only the common case. Of those, the ones the monolith serves alone are
//! relayed (`relay`): written upstream and answered from the connection's
//! own task; so are those the ACL translates for the new side. Between requests a connection holds no read buffer (`spare`).
//! `[proxy] codec = "hyper"` serves every connection with hyper from the
//! start. Overload degrades (`accept`): failed accepts back off, and past
//! `proxy.max_connections` a connection is refused with a `503`.

mod accept;
mod conn;
mod framing;
mod h1;
mod handoff;
mod relay;
mod spare;

use crate::proxy::Proxy;
use crate::settings::Codec;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// How often idle upstream connections are looked over.
const SWEEP_EVERY: Duration = Duration::from_secs(15);

/// How client connections are served.
#[derive(Debug, Clone, Copy)]
pub struct Serving {
    /// Which HTTP/1.1 code serves them.
    pub codec: Codec,
    /// At most this many open at once; more are refused (see `accept`).
    pub max_connections: usize,
    /// How long open connections may finish their requests once stopping.
    pub grace: Duration,
}

/// Accepts connections until `stop` turns true, then waits up to `grace` for
/// open connections to finish their requests. Idle upstream connections (the
/// relay's and the data plane's) that can no longer serve are closed every
/// 15 s. A failed accept backs off; past `max_connections` a connection is
/// refused (see `accept`).
pub async fn serve(
    listener: TcpListener,
    proxy: Arc<Proxy>,
    serving: Serving,
    mut stop: watch::Receiver<bool>,
) {
    let (closed_tx, closed_rx) = watch::channel(());
    let idle = Arc::new(relay::Idle::default());
    let limit = accept::Limit::new(serving.max_connections, proxy.stats().metrics().clone());
    let mut backoff = accept::Backoff::default();
    let mut sweep = tokio::time::interval(SWEEP_EVERY);
    sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => {
                    backoff.succeeded();
                    conn
                }
                Err(e) => {
                    let wait = backoff.failed();
                    crate::limited!(warn, error = %e, wait_ms = wait.as_millis(), "accept failed; waiting before the next");
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => continue,
                        _ = stopped(&mut stop) => break,
                    }
                }
            },
            _ = sweep.tick() => {
                idle.sweep();
                proxy.sweep_idle();
                continue;
            }
            _ = stopped(&mut stop) => break,
        };
        let Some(open) = limit.admit() else {
            limit.refuse(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let proxy = proxy.clone();
        let stop = stop.clone();
        let closed = closed_rx.clone();
        let idle = idle.clone();
        match serving.codec {
            Codec::Own => tokio::spawn(async move {
                let _open = open;
                conn::serve(stream, peer, proxy, idle, stop, closed).await;
            }),
            Codec::Hyper => tokio::spawn(async move {
                let (_open, _closed) = (open, closed);
                handoff::serve(stream, Default::default(), peer, proxy, stop).await;
            }),
        };
    }
    drop(closed_rx);
    // Every connection task holds a receiver; `closed` resolves when all are gone.
    let _ = tokio::time::timeout(serving.grace, closed_tx.closed()).await;
}

/// Resolves once `stop` turns true (or its sender is gone).
pub async fn stopped(stop: &mut watch::Receiver<bool>) {
    // The guard `wait_for` returns is not `Send`; drop it here.
    let _ = stop.wait_for(|s| *s).await;
}
