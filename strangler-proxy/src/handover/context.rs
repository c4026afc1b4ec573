//! One data context's handover state machine:
//!
//! ```text
//!   idle ──(owner flags changed: records moved)──▶ writes ──(every write given
//!    ▲                                              │ before the change answered)
//!    │                                              ▼
//!    └──(a reading begun after that: old owner ── outbox
//!        at 0 pending)                             (another change: back to writes)
//! ```
//!
//! While not idle every write on the context's routes is held. The state
//! lives behind one lock taken by writes only on a flags generation they
//! have not seen, by the driver every tick, and by the admin API.

use super::writes::{Outstanding, WriteGuard, Writes};
use crate::sync_lag::{Direction, Measured, SyncReading};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
use strangler_flags::{Flags, Moves, OwnersWatch};

/// A data context synced both ways, and its handover if one runs.
pub(crate) struct ContextState {
    pub(crate) name: String,
    /// The `canary` and `new` flags of its synced routes.
    pub(crate) owner_flags: Vec<String>,
    writes: Arc<Writes>,
    /// Whether a handover runs: the one thing a write reads without the lock.
    held: AtomicBool,
    /// The watch's generation, readable without the lock.
    seen: AtomicU64,
    pub(crate) held_writes: AtomicU64,
    state: Mutex<State>,
}

struct State {
    watch: OwnersWatch,
    handover: Option<Handover>,
}

/// A handover in progress, as the admin API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Handover {
    /// The data context.
    pub data: String,
    /// Which ways records moved (every change since it began).
    pub to_new: bool,
    /// See `to_new`.
    pub to_legacy: bool,
    /// When it began.
    pub since: DateTime<Utc>,
    /// What it waits for, in words.
    pub pending: String,
    /// Writes answered `503 handover` since the proxy started.
    pub held_writes: u64,
    /// Bumped by each owner change during it: only a reading taken after the
    /// last change ends it.
    #[serde(skip)]
    pub(crate) epoch: u64,
}

impl Handover {
    /// Which ways records moved.
    pub fn moves(&self) -> Moves {
        Moves {
            to_new: self.to_new,
            to_legacy: self.to_legacy,
        }
    }

    /// `to new (old owner: the monolith)` for people.
    pub fn direction(&self) -> String {
        old_owners(self.moves())
            .map(|d| match d {
                Direction::LegacyToNew => "to new (old owner: the monolith)",
                Direction::NewToLegacy => "to legacy (old owner: the service)",
            })
            .collect::<Vec<_>>()
            .join(" and ")
    }
}

/// What a write gets.
pub(crate) enum Admission {
    /// Given to an upstream and counted until answered.
    Tracked(WriteGuard),
    /// Held: the detail of the `503 handover`.
    Held(String),
}

impl ContextState {
    pub(crate) fn new(flags: &Flags, name: String, owner_flags: Vec<String>) -> Self {
        let watch = OwnersWatch::new(flags, owner_flags.clone());
        Self {
            name,
            owner_flags,
            writes: Arc::default(),
            held: AtomicBool::new(false),
            seen: AtomicU64::new(watch.seen()),
            held_writes: AtomicU64::new(0),
            state: Mutex::new(State {
                watch,
                handover: None,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts (or extends) a handover when the owner flags changed since the
    /// last look.
    pub(crate) fn observe(&self, flags: &Flags) {
        if flags.generation() == self.seen.load(Ordering::Acquire) {
            return;
        }
        let mut state = self.lock();
        let moves = state.watch.look(flags);
        self.seen.store(state.watch.seen(), Ordering::Release);
        if !moves.any() {
            return;
        }
        let handover = state.handover.get_or_insert_with(|| Handover {
            data: self.name.clone(),
            to_new: false,
            to_legacy: false,
            since: Utc::now(),
            pending: String::new(),
            held_writes: 0,
            epoch: 0,
        });
        handover.to_new |= moves.to_new;
        handover.to_legacy |= moves.to_legacy;
        handover.epoch += 1;
        handover.pending = "the writes sent before the change".into();
        // Before any write that decided on the new flags looks (SeqCst with
        // the write's count: either it sees the hold or the driver sees it).
        self.held.store(true, Ordering::SeqCst);
        tracing::warn!(
            data = %self.name, direction = %handover.direction(),
            "owner flags changed: holding the context's writes until the old owner's last changes are delivered"
        );
    }

    /// Admits one write (of a route whose answer may take `timeout`).
    pub(crate) fn admit(&self, flags: &Flags, timeout: Duration) -> Admission {
        self.observe(flags);
        let guard = self.writes.start(timeout);
        if !self.held.load(Ordering::SeqCst) {
            return Admission::Tracked(guard);
        }
        guard.withdrawn();
        self.held_writes.fetch_add(1, Ordering::Relaxed);
        Admission::Held(self.detail())
    }

    fn detail(&self) -> String {
        match &self.lock().handover {
            Some(h) => format!(
                "data `{}` is being handed over {}: writes wait until the old owner's last changes \
                 have reached the new owner; pending: {}. Retry shortly",
                self.name,
                h.direction(),
                h.pending
            ),
            // It ended between the two looks: the next try goes through.
            None => format!("data `{}` was being handed over; retry now", self.name),
        }
    }

    /// Whether a handover runs.
    pub(crate) fn active(&self) -> bool {
        self.held.load(Ordering::SeqCst)
    }

    /// The handover, if one runs.
    pub(crate) fn handover(&self) -> Option<Handover> {
        let mut h = self.lock().handover.clone()?;
        h.held_writes = self.held_writes.load(Ordering::Relaxed);
        Some(h)
    }

    /// The driver's first step: when every write from before the change is
    /// out of the way, the epoch a reading begun now may end.
    pub(crate) fn writes_settled(&self, now: Instant) -> Option<u64> {
        let mut state = self.lock();
        let handover = state.handover.as_mut()?;
        let out = self.writes.outstanding(now);
        if out.settled() {
            return Some(handover.epoch);
        }
        handover.pending = describe_writes(out);
        None
    }

    /// The driver's second step, with `readings` begun after the writes
    /// settled at `epoch`: ends the handover when every old owner has
    /// delivered all its changes. Whether it ended.
    pub(crate) fn finish(&self, epoch: u64, readings: &[SyncReading]) -> bool {
        let mut state = self.lock();
        let Some(handover) = state.handover.as_mut() else {
            return false;
        };
        if handover.epoch != epoch {
            return false;
        }
        match delivered(handover.moves(), readings) {
            Ok(()) => {
                tracing::info!(
                    data = %self.name, direction = %handover.direction(),
                    "handover done: the old owner's changes are delivered; writes flow again"
                );
                state.handover = None;
                self.held.store(false, Ordering::SeqCst);
                true
            }
            Err(pending) => {
                handover.pending = pending;
                false
            }
        }
    }
}

/// The directions whose sending side is an old owner: records moved to new
/// were the monolith's (its changes travel legacy → new), and back.
fn old_owners(moves: Moves) -> impl Iterator<Item = Direction> {
    [
        (moves.to_new, Direction::LegacyToNew),
        (moves.to_legacy, Direction::NewToLegacy),
    ]
    .into_iter()
    .filter_map(|(moved, d)| moved.then_some(d))
}

fn side(direction: Direction) -> &'static str {
    match direction {
        Direction::LegacyToNew => "the monolith",
        Direction::NewToLegacy => "the service",
    }
}

fn describe_writes(out: Outstanding) -> String {
    let mut parts = Vec::new();
    if out.in_flight > 0 {
        parts.push(format!("{} write(s) still in flight", out.in_flight));
    }
    if out.given_up > 0 {
        parts.push(format!(
            "{} write(s) given up on that may still run upstream (counted for the route's timeout_ms)",
            out.given_up
        ));
    }
    parts.join(", ")
}

/// `Ok` when every old owner reads 0 pending; else what is pending. An old
/// owner that cannot be read holds: what it took is in its outbox.
pub(crate) fn delivered(moves: Moves, readings: &[SyncReading]) -> Result<(), String> {
    let mut pending = Vec::new();
    for direction in old_owners(moves) {
        let reading = readings.iter().find(|r| r.direction == direction);
        match reading.map(|r| &r.measured) {
            Some(Measured::Known { pending: 0, .. }) => {}
            Some(Measured::Known { pending: n, .. }) => pending.push(format!(
                "{n} change(s) in {}'s outbox not yet delivered ({})",
                side(direction),
                direction.arrow()
            )),
            Some(Measured::Unknown { error }) => pending.push(format!(
                "{}'s sync status cannot be read ({error})",
                side(direction)
            )),
            None => pending.push(format!("no reading of {} yet", side(direction))),
        }
    }
    if pending.is_empty() {
        Ok(())
    } else {
        Err(pending.join("; "))
    }
}
