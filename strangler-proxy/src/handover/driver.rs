//! The task that moves handovers along: every [`TICK`] it looks for owner
//! changes no write has noticed yet (a context may see no write for a
//! while), and for each handover in progress whose writes have settled it
//! reads the old owner's `GET /sync/status` (the sync lag's reading code),
//! the reading begun after they settled.

use crate::proxy::Proxy;
use crate::sync_lag::SyncLag;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// How often handovers are looked at (and, during one, the old owner read).
pub const TICK: Duration = Duration::from_millis(100);

/// Runs until `stopped`.
pub async fn run(proxy: Arc<Proxy>, sync: Arc<SyncLag>, mut stopped: watch::Receiver<bool>) {
    loop {
        step(&proxy, &sync).await;
        tokio::select! {
            _ = stopped.changed() => break,
            _ = tokio::time::sleep(TICK) => {}
        }
    }
}

/// One look at every synced context.
pub(crate) async fn step(proxy: &Proxy, sync: &SyncLag) {
    for context in proxy.handovers().all() {
        context.observe(proxy.flags());
        let Some(epoch) = context.writes_settled(Instant::now()) else {
            continue;
        };
        let readings = sync.read_now(&proxy.table(), &context.name).await;
        context.finish(epoch, &readings);
    }
}
