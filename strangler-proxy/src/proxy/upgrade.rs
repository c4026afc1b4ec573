//! Protocol switches (WebSocket): once both sides have switched, bytes are
//! copied both ways until either closes.

use super::pool::Switched;
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tokio::io::AsyncWriteExt;

/// Joins the client's upgraded connection and the upstream's switched one in
/// a task.
pub fn tunnel(client: OnUpgrade, upstream: Switched) {
    tokio::spawn(async move {
        let Some((mut upstream, early)) = upstream.take() else {
            tracing::warn!("protocol switch failed: the upstream connection was already taken");
            return;
        };
        let mut client = match client.await {
            Ok(client) => TokioIo::new(client),
            Err(e) => {
                tracing::warn!(error = %e, "protocol switch failed");
                return;
            }
        };
        // Bytes the upstream sent right behind its 101 were read with the head.
        if !early.is_empty()
            && let Err(e) = client.write_all(&early).await
        {
            tracing::debug!(error = %e, "tunnel closed");
            return;
        }
        if let Err(e) = tokio::io::copy_bidirectional(&mut client, &mut upstream).await {
            tracing::debug!(error = %e, "tunnel closed");
        }
    });
}
