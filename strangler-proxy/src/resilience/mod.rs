//! Resilience towards the new side: one [`Guard`] per new-side upstream — a
//! circuit breaker ([`breaker`]) and a bulkhead ([`bulkhead`]) — plus retries
//! of refused connections ([`retry`]). Timeouts live with the routes and
//! fallback to the monolith in [`crate::proxy`].
//!
//! A request to the new side is first [`Guard::admit`]ted: the breaker must
//! not be open and the bulkhead must have a free slot. A refused request goes
//! to the monolith when it is safe to repeat (counted as a fallback), else it
//! gets 503 problem+json with `Retry-After` ([`Rejection::response`]). The
//! admitted call's outcome (failure: no connection, no answer in time, 5xx)
//! feeds the breaker.
//!
//! Guards live as long as the proxy and are found by upstream, so a reload
//! keeps their state (unless it changes their settings) and routes sharing an
//! upstream share its guard (the route table refuses them different settings).

pub mod breaker;
pub mod bulkhead;
mod metrics;
pub mod retry;

use crate::proxy::body::{self, Body};
use crate::settings::ResilienceSettings;
use crate::upstream::Upstream;
use breaker::{Breaker, BreakerPolicy, BreakerState, Call};
use bulkhead::{Bulkhead, Slot};
use http::{HeaderValue, Response, StatusCode};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The breaker and bulkhead of one upstream.
#[derive(Debug)]
pub struct Guard {
    backend: String,
    settings: ResilienceSettings,
    breaker: Breaker,
    bulkhead: Bulkhead,
    retries: AtomicU64,
}

/// A request let through to the upstream; report its outcome with
/// [`Pass::finish`]. It holds a bulkhead slot until dropped.
#[derive(Debug)]
pub struct Pass<'a> {
    call: Call<'a>,
    _slot: Slot<'a>,
}

impl Pass<'_> {
    /// Tells the breaker how the call ended and frees the slot.
    pub fn finish(self, failed: bool) {
        self.call.report(failed, Instant::now());
    }
}

/// Why a request was not let through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// The breaker is open (or its probes are taken).
    BreakerOpen {
        /// When to try again.
        retry_after: Duration,
    },
    /// The bulkhead is full.
    Full {
        /// Its capacity.
        capacity: u32,
    },
}

impl Rejection {
    /// 503 problem+json naming the route and the reason, with `Retry-After`.
    pub fn response(&self, route: &str, backend: &str) -> Response<Body> {
        let (slug, detail, retry_after) = match self {
            Self::BreakerOpen { retry_after } => (
                "circuit-open",
                format!(
                    "the circuit breaker of route `{route}`'s new side ({backend}) is open after \
                     repeated failures; the request is not safe to repeat on the monolith"
                ),
                retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0),
            ),
            Self::Full { capacity } => (
                "bulkhead-full",
                format!(
                    "route `{route}`'s new side ({backend}) already has {capacity} requests in \
                     flight; the request is not safe to repeat on the monolith"
                ),
                1,
            ),
        };
        let mut res = body::problem(StatusCode::SERVICE_UNAVAILABLE, slug, &detail);
        res.headers_mut().insert(
            http::header::RETRY_AFTER,
            HeaderValue::from(retry_after.max(1)),
        );
        res
    }

    /// A short name for logs.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::BreakerOpen { .. } => "circuit breaker open",
            Self::Full { .. } => "bulkhead full",
        }
    }
}

impl Guard {
    fn new(backend: String, settings: &ResilienceSettings) -> Self {
        Self {
            breaker: Breaker::new(
                backend.clone(),
                BreakerPolicy {
                    window: settings.breaker_window,
                    min_calls: settings.breaker_min_calls,
                    failure_rate: settings.breaker_failure_rate,
                    cooldown: Duration::from_millis(settings.breaker_cooldown_ms),
                    probes: settings.breaker_probes,
                },
                Instant::now(),
            ),
            backend,
            settings: *settings,
            bulkhead: Bulkhead::new(settings.max_concurrent),
            retries: AtomicU64::new(0),
        }
    }

    /// The upstream it guards.
    pub fn backend(&self) -> &str {
        &self.backend
    }

    /// Lets a request through, or says why not.
    pub fn admit(&self) -> Result<Pass<'_>, Rejection> {
        let call =
            self.breaker
                .admit(Instant::now())
                .map_err(|refused| Rejection::BreakerOpen {
                    retry_after: refused.retry_after,
                })?;
        let slot = self.bulkhead.enter().map_err(|full| Rejection::Full {
            capacity: full.capacity,
        })?;
        Ok(Pass { call, _slot: slot })
    }

    /// Where retries of this upstream are counted.
    pub fn retries(&self) -> &AtomicU64 {
        &self.retries
    }

    /// Its state now.
    pub fn snapshot(&self) -> GuardSnapshot {
        GuardSnapshot {
            backend: self.backend.clone(),
            breaker: self.breaker.state(),
            in_flight: self.bulkhead.in_flight(),
            capacity: self.bulkhead.capacity(),
            rejected_total: self.bulkhead.rejected_total(),
            breaker_opened_total: self.breaker.opened_total(),
            retries_total: self.retries.load(Ordering::Relaxed),
        }
    }
}

/// One upstream's resilience state, for the admin API and metrics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuardSnapshot {
    /// The upstream (`http://host:port`).
    pub backend: String,
    /// Its breaker's state.
    pub breaker: BreakerState,
    /// Requests in flight to it.
    pub in_flight: u32,
    /// The bulkhead's capacity.
    pub capacity: u32,
    /// Requests refused because the bulkhead was full.
    pub rejected_total: u64,
    /// How often its breaker opened.
    pub breaker_opened_total: u64,
    /// Retries after a refused connection.
    pub retries_total: u64,
}

/// Every guard, by upstream.
#[derive(Debug, Default)]
pub struct Resilience {
    // Shared with the metrics families, which read it at scrape time.
    guards: Arc<Mutex<Guards>>,
}

type Guards = BTreeMap<String, Arc<Guard>>;

impl Resilience {
    /// The guard of `upstream` under `settings`: the one it has, or a new one
    /// when it has none or the settings changed (on reload). Called when a
    /// route table is put in force, never on the request path.
    pub fn guard(&self, upstream: &Upstream, settings: &ResilienceSettings) -> Arc<Guard> {
        let backend = upstream.to_string();
        let mut guards = self.guards.lock().unwrap_or_else(|p| p.into_inner());
        match guards.get(&backend) {
            Some(guard) if guard.settings == *settings => guard.clone(),
            known => {
                if known.is_some() {
                    tracing::info!(upstream = %backend, "resilience settings changed: the upstream's breaker and bulkhead start afresh");
                }
                let guard = Arc::new(Guard::new(backend.clone(), settings));
                guards.insert(backend, guard.clone());
                guard
            }
        }
    }

    /// Every guarded upstream's state, ordered by upstream.
    pub fn snapshot(&self) -> Vec<GuardSnapshot> {
        snapshot_of(&self.guards)
    }
}

fn snapshot_of(guards: &Mutex<Guards>) -> Vec<GuardSnapshot> {
    guards
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .values()
        .map(|g| g.snapshot())
        .collect()
}
