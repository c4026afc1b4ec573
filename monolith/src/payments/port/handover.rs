//! The monolith's own flows during a handover (`payments.sync = true`): the
//! proxy holds client writes while records change owner
//! (`strangler-proxy`'s `handover` module), but an order cancel or capture
//! reaches payments through this port, never through the proxy. So the port
//! makes the same promise for its own writes, per call:
//!
//! - **to the service** (the payment is the service's): while this side's
//!   outbox holds an undelivered change of that payment, the service would
//!   judge the write without it; the call waits until it is delivered (one
//!   local query per look, [`platform::sync::pending_changes`]), at most
//!   [`WAIT`], then is refused;
//! - **here, after a move back** (the owner flags moved records from the
//!   service to the monolith, seen by a [`strangler_flags::OwnersWatch`]):
//!   the calls already sent to the service must have answered, and then one
//!   reading of the service's `GET /sync/status` must show `0 pending`; until
//!   then local writes wait (at most [`WAIT`]); a service that cannot be
//!   read refuses them at once (what it took is in its outbox).
//!
//! A refusal is `503` problem+json `handover` with `Retry-After: 1`
//! ([`AppError::Handover`]): nothing was written, trying again shortly
//! succeeds. What this does not cover is in docs/data.md, "The handover".

use super::owner::OwnerFlags;
use super::remote::RemotePayments;
use crate::error::{AppError, AppResult};
use crate::payments::sync::PAYMENT;
use crate::sync::ORIGIN;
use platform::db::Db;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use strangler_flags::{Flags, OwnersWatch};

/// How long a write waits for the handover before it is refused.
pub const WAIT: Duration = Duration::from_secs(2);
/// How often it looks again meanwhile.
const POLL: Duration = Duration::from_millis(100);

/// The handover state of the payments port.
pub struct Handover {
    flags: Flags,
    watch: Mutex<OwnersWatch>,
    /// Records moved back and no reading of the service at 0 pending since.
    moved_back: AtomicBool,
}

impl Handover {
    /// Follows the owner flags of `owner` from their current definitions.
    pub fn new(owner: &OwnerFlags) -> Self {
        Self {
            flags: owner.flags().clone(),
            watch: Mutex::new(owner.watch()),
            moved_back: AtomicBool::new(false),
        }
    }

    /// Looks at the flags every 100 ms for as long as `handover` lives, so
    /// that a move back and forth between two of its own writes is seen
    /// (a look only at a write would compare the two ends and see none).
    pub fn watch_in_background(handover: &Arc<Self>) {
        let weak = Arc::downgrade(handover);
        tokio::spawn(async move {
            while let Some(handover) = weak.upgrade() {
                handover.observe();
                drop(handover);
                tokio::time::sleep(POLL).await;
            }
        });
    }

    /// Notes a move back since the last look.
    fn observe(&self) {
        let moves = self
            .watch
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .look(&self.flags);
        if moves.to_legacy {
            self.moved_back.store(true, Ordering::SeqCst);
        }
    }

    /// Before a write on `payment_id` goes to the service: waits until none
    /// of this side's changes of it is undelivered.
    pub async fn before_remote(&self, db: &Db, payment_id: i64) -> AppResult<()> {
        self.observe();
        let deadline = Instant::now() + WAIT;
        loop {
            let key = payment_id.to_string();
            let pending = db
                .read(move |c| {
                    platform::sync::pending_changes(c, ORIGIN, PAYMENT, &key)
                        .map_err(AppError::from)
                })
                .await?;
            if pending == 0 {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(AppError::Handover(format!(
                    "payment {payment_id} is the payment service's now, and {pending} change(s) of it \
                     taken here have not reached it yet; nothing was written, retry shortly"
                )));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Before a write here, after records may have moved back from the
    /// service: waits for its calls in flight, then for a reading of it at
    /// 0 pending.
    pub async fn before_local(&self, remote: &RemotePayments) -> AppResult<()> {
        self.observe();
        if !self.moved_back.load(Ordering::SeqCst) {
            return Ok(());
        }
        let deadline = Instant::now() + WAIT;
        loop {
            let in_flight = remote.calls_in_flight();
            let pending = if in_flight > 0 {
                format!("{in_flight} call(s) to the payment service still running")
            } else {
                let status = remote.sync_status().await.map_err(|e| {
                    AppError::Handover(format!(
                        "payments moved back from the payment service, whose sync status cannot be \
                         read ({e}): its last changes may not be here yet; nothing was written, retry shortly"
                    ))
                })?;
                if status.pending == 0 {
                    self.moved_back.store(false, Ordering::SeqCst);
                    return Ok(());
                }
                format!(
                    "{} change(s) of the payment service not delivered here yet",
                    status.pending
                )
            };
            if Instant::now() >= deadline {
                return Err(AppError::Handover(format!(
                    "payments moved back from the payment service and {pending}; nothing was written, \
                     retry shortly"
                )));
            }
            tokio::time::sleep(POLL).await;
        }
    }
}
