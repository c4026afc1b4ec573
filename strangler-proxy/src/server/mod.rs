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
//! start.

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

/// Accepts connections until `stop` turns true, then waits up to `grace` for
/// open connections to finish their requests. Idle upstream connections (the
/// relay's and the data plane's) that can no longer serve are closed every
/// 15 s.
pub async fn serve(
    listener: TcpListener,
    proxy: Arc<Proxy>,
    codec: Codec,
    mut stop: watch::Receiver<bool>,
    grace: Duration,
) {
    let (closed_tx, closed_rx) = watch::channel(());
    let idle = Arc::new(relay::Idle::default());
    let mut sweep = tokio::time::interval(SWEEP_EVERY);
    sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    continue;
                }
            },
            _ = sweep.tick() => {
                idle.sweep();
                proxy.sweep_idle();
                continue;
            }
            _ = stopped(&mut stop) => break,
        };
        let _ = stream.set_nodelay(true);
        let proxy = proxy.clone();
        let stop = stop.clone();
        let closed = closed_rx.clone();
        let idle = idle.clone();
        match codec {
            // Spawned as it is: a wrapping future would be one more state
            // read at every wake-up.
            Codec::Own => tokio::spawn(conn::serve(stream, peer, proxy, idle, stop, closed)),
            Codec::Hyper => tokio::spawn(async move {
                let _closed = closed;
                handoff::serve(stream, Default::default(), peer, proxy, stop).await;
            }),
        };
    }
    drop(closed_rx);
    // Every connection task holds a receiver; `closed` resolves when all are gone.
    let _ = tokio::time::timeout(grace, closed_tx.closed()).await;
}

/// Resolves once `stop` turns true (or its sender is gone).
pub async fn stopped(stop: &mut watch::Receiver<bool>) {
    // The guard `wait_for` returns is not `Send`; drop it here.
    let _ = stop.wait_for(|s| *s).await;
}
