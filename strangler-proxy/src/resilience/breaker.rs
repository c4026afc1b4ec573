//! A circuit breaker over the last N calls (a count-based sliding window, as
//! resilience4j's): closed → open when, with at least `min_calls` in the
//! window, the share of failures reaches `failure_rate` → after `cooldown`
//! half-open, letting `probes` calls through → closed when all succeed, open
//! again when one fails.
//!
//! Our own small state machine rather than a library: `failsafe` judges a
//! time-based success rate with a lock around its state and has had no
//! release for years, and tower's layers need a `Service` stack the hyper
//! data plane (plain async functions) does not have. This one is lock-free:
//! a call in the closed state costs two atomic reads on admission and one
//! swap plus at most two counter updates on its outcome; only state changes
//! do more (one compare-and-swap, a window reset).
//!
//! Time is passed in (`now`), so the state machine is tested without sleeps.
//! Each state change starts a new epoch; outcomes of calls admitted in an
//! earlier epoch are ignored, so a slow call admitted while closed cannot
//! decide a half-open breaker.

use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicI64, AtomicU8, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The breaker's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BreakerState {
    /// Calls go through; outcomes are judged.
    Closed,
    /// Calls are refused until the cool-down ends.
    Open,
    /// A few probe calls go through; they decide.
    HalfOpen,
}

impl BreakerState {
    /// The state as a gauge value: 0 closed, 1 half-open, 2 open.
    pub fn level(self) -> f64 {
        match self {
            Self::Closed => 0.0,
            Self::HalfOpen => 1.0,
            Self::Open => 2.0,
        }
    }
}

/// When the breaker opens and how it recovers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BreakerPolicy {
    /// Calls judged (the window's length).
    pub window: u32,
    /// Calls needed in the window before it judges.
    pub min_calls: u32,
    /// Share of failed calls that opens it (0 < rate ≤ 1).
    pub failure_rate: f64,
    /// How long it stays open before probing.
    pub cooldown: Duration,
    /// Probe calls let through half-open.
    pub probes: u32,
}

/// Why a call was refused: the breaker is open (or its probes are taken).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    /// When a new call may be admitted, at the earliest.
    pub retry_after: Duration,
}

/// A circuit breaker for one upstream.
#[derive(Debug)]
pub struct Breaker {
    /// The upstream, for logs.
    name: String,
    policy: BreakerPolicy,
    /// The reference for `opened_at`.
    base: Instant,
    /// `epoch << 2 | state`: changed only by compare-and-swap.
    phase: AtomicU64,
    /// When it last opened, in ns since `base`.
    opened_at: AtomicU64,
    window: Window,
    probes_admitted: AtomicU32,
    probes_passed: AtomicU32,
    opened_total: AtomicU64,
}

const CLOSED: u64 = 0;
const OPEN: u64 = 1;
const HALF_OPEN: u64 = 2;

fn state_of(phase: u64) -> u64 {
    phase & 0b11
}

fn next(phase: u64, state: u64) -> u64 {
    ((phase >> 2).wrapping_add(1) << 2) | state
}

impl Breaker {
    /// A closed breaker for upstream `name`; `now` is the reference of its clock.
    pub fn new(name: String, policy: BreakerPolicy, now: Instant) -> Self {
        Self {
            name,
            window: Window::new(policy.window),
            policy,
            base: now,
            phase: AtomicU64::new(CLOSED),
            opened_at: AtomicU64::new(0),
            probes_admitted: AtomicU32::new(0),
            probes_passed: AtomicU32::new(0),
            opened_total: AtomicU64::new(0),
        }
    }

    /// The state now (an open breaker whose cool-down is over shows `Open`
    /// until the next call turns it half-open).
    pub fn state(&self) -> BreakerState {
        match state_of(self.phase.load(Ordering::Acquire)) {
            CLOSED => BreakerState::Closed,
            OPEN => BreakerState::Open,
            _ => BreakerState::HalfOpen,
        }
    }

    /// How often it has opened.
    pub fn opened_total(&self) -> u64 {
        self.opened_total.load(Ordering::Relaxed)
    }

    /// Admits a call at `now`, or refuses it while open.
    pub fn admit(&self, now: Instant) -> Result<Call<'_>, Refused> {
        let mut phase = self.phase.load(Ordering::Acquire);
        if state_of(phase) == OPEN {
            let reopens = self.opened_at_instant() + self.policy.cooldown;
            if now < reopens {
                return Err(Refused {
                    retry_after: reopens - now,
                });
            }
            let half_open = next(phase, HALF_OPEN);
            phase = match self.phase.compare_exchange(
                phase,
                half_open,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    tracing::info!(upstream = %self.name, "circuit breaker half-open: probing the upstream");
                    half_open
                }
                Err(current) => current,
            };
        }
        match state_of(phase) {
            CLOSED => Ok(Call::new(self, phase, false)),
            HALF_OPEN => {
                if self.probes_admitted.fetch_add(1, Ordering::AcqRel) < self.policy.probes {
                    Ok(Call::new(self, phase, true))
                } else {
                    release(&self.probes_admitted);
                    Err(Refused {
                        retry_after: Duration::from_secs(1),
                    })
                }
            }
            // Another call opened it again meanwhile.
            _ => Err(Refused {
                retry_after: self.policy.cooldown,
            }),
        }
    }

    fn opened_at_instant(&self) -> Instant {
        self.base + Duration::from_nanos(self.opened_at.load(Ordering::Acquire))
    }

    fn record(&self, call_phase: u64, probe: bool, failed: bool, now: Instant) {
        if self.phase.load(Ordering::Acquire) != call_phase {
            return; // admitted in an earlier epoch: no say any more
        }
        match (probe, failed) {
            (false, false) => {
                self.window.record(false);
            }
            (false, true) => {
                let (calls, failures) = self.window.record(true);
                let judged = calls >= i64::from(self.policy.min_calls);
                #[allow(clippy::cast_precision_loss)] // calls ≤ 10 000
                let rate = failures as f64 / calls.max(1) as f64;
                if judged && rate >= self.policy.failure_rate {
                    self.open(call_phase, now);
                }
            }
            (true, true) => self.open(call_phase, now),
            (true, false) => {
                let passed = self.probes_passed.fetch_add(1, Ordering::AcqRel) + 1;
                if passed >= self.policy.probes {
                    self.close(call_phase);
                }
            }
        }
    }

    fn open(&self, from: u64, now: Instant) {
        let since =
            u64::try_from(now.saturating_duration_since(self.base).as_nanos()).unwrap_or(u64::MAX);
        // Written before the state so no one sees `Open` with an old time.
        self.opened_at.store(since, Ordering::Release);
        self.probes_admitted.store(0, Ordering::Release);
        self.probes_passed.store(0, Ordering::Release);
        if self
            .phase
            .compare_exchange(from, next(from, OPEN), Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            self.opened_total.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(
                upstream = %self.name,
                cooldown_ms = u64::try_from(self.policy.cooldown.as_millis()).unwrap_or(u64::MAX),
                "circuit breaker open: the upstream is not called during the cool-down"
            );
        }
    }

    fn close(&self, from: u64) {
        if self
            .phase
            .compare_exchange(
                from,
                next(from, CLOSED),
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok()
        {
            self.window.clear();
            tracing::info!(upstream = %self.name, "circuit breaker closed: the upstream recovered");
        }
    }
}

/// Decrements a probe count without going below zero.
fn release(count: &AtomicU32) {
    let _ = count.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1));
}

/// An admitted call; report how it ended with [`Call::succeeded`] or
/// [`Call::failed`]. A call dropped unreported (the client went away, the
/// upstream was not asked after all) counts neither way and frees its probe.
#[derive(Debug)]
pub struct Call<'a> {
    breaker: &'a Breaker,
    phase: u64,
    probe: bool,
    reported: bool,
}

impl<'a> Call<'a> {
    fn new(breaker: &'a Breaker, phase: u64, probe: bool) -> Self {
        Self {
            breaker,
            phase,
            probe,
            reported: false,
        }
    }

    /// The upstream answered (below 500).
    pub fn succeeded(self, now: Instant) {
        self.report(false, now);
    }

    /// No connection, no answer in time, or a 5xx.
    pub fn failed(self, now: Instant) {
        self.report(true, now);
    }

    /// Reports `failed` or not.
    pub fn report(mut self, failed: bool, now: Instant) {
        self.reported = true;
        self.breaker.record(self.phase, self.probe, failed, now);
    }
}

impl Drop for Call<'_> {
    fn drop(&mut self) {
        if self.probe && !self.reported && self.breaker.phase.load(Ordering::Acquire) == self.phase
        {
            release(&self.breaker.probes_admitted);
        }
    }
}

/// The last N outcomes: a ring of slots plus counts kept by the deltas of
/// each slot's swap, so concurrent writers keep the counts true without a lock.
#[derive(Debug)]
struct Window {
    slots: Box<[AtomicU8]>,
    cursor: AtomicUsize,
    calls: AtomicI64,
    failures: AtomicI64,
}

const EMPTY: u8 = 0;
const SUCCESS: u8 = 1;
const FAILURE: u8 = 2;

impl Window {
    fn new(len: u32) -> Self {
        Self {
            slots: (0..len.max(1)).map(|_| AtomicU8::new(EMPTY)).collect(),
            cursor: AtomicUsize::new(0),
            calls: AtomicI64::new(0),
            failures: AtomicI64::new(0),
        }
    }

    /// Records one outcome; returns the calls and failures in the window.
    fn record(&self, failed: bool) -> (i64, i64) {
        let at = self.cursor.fetch_add(1, Ordering::Relaxed) % self.slots.len();
        let new = if failed { FAILURE } else { SUCCESS };
        let old = self.slots[at].swap(new, Ordering::AcqRel);
        self.account(old, new)
    }

    /// Empties every slot.
    fn clear(&self) {
        for slot in &self.slots {
            let old = slot.swap(EMPTY, Ordering::AcqRel);
            self.account(old, EMPTY);
        }
    }

    fn account(&self, old: u8, new: u8) -> (i64, i64) {
        let filled = |s: u8| i64::from(s != EMPTY);
        let failure = |s: u8| i64::from(s == FAILURE);
        let calls = match filled(new) - filled(old) {
            0 => self.calls.load(Ordering::Acquire),
            d => self.calls.fetch_add(d, Ordering::AcqRel) + d,
        };
        let failures = match failure(new) - failure(old) {
            0 => self.failures.load(Ordering::Acquire),
            d => self.failures.fetch_add(d, Ordering::AcqRel) + d,
        };
        (calls, failures)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> BreakerPolicy {
        BreakerPolicy {
            window: 10,
            min_calls: 4,
            failure_rate: 0.5,
            cooldown: Duration::from_secs(5),
            probes: 2,
        }
    }

    fn calls(b: &Breaker, now: Instant, outcomes: &[bool]) {
        for failed in outcomes {
            b.admit(now).unwrap().report(*failed, now);
        }
    }

    #[test]
    fn opens_only_past_min_calls_and_rate() {
        let t0 = Instant::now();
        let b = Breaker::new("test".into(), policy(), t0);
        calls(&b, t0, &[true, true, true]);
        assert_eq!(b.state(), BreakerState::Closed, "3 calls < min_calls 4");
        calls(&b, t0, &[false]);
        assert_eq!(b.state(), BreakerState::Closed, "a success never opens");
        calls(&b, t0, &[true]);
        assert_eq!(b.state(), BreakerState::Open, "4 of 5 failed ≥ 50 %");
        assert_eq!(b.opened_total(), 1);
    }

    #[test]
    fn the_window_forgets_old_calls() {
        let t0 = Instant::now();
        let b = Breaker::new("test".into(), policy(), t0);
        // 4 failures then 10 successes: the failures fall out of the window.
        calls(&b, t0, &[false; 4]);
        calls(&b, t0, &[false; 10]);
        calls(&b, t0, &[true; 4]);
        assert_eq!(b.state(), BreakerState::Closed, "4 of the last 10 failed");
        calls(&b, t0, &[true]);
        assert_eq!(b.state(), BreakerState::Open, "5 of the last 10 failed");
    }

    #[test]
    fn open_refuses_until_cooldown_then_probes_close_it() {
        let t0 = Instant::now();
        let b = Breaker::new("test".into(), policy(), t0);
        calls(&b, t0, &[true; 4]);
        assert_eq!(b.state(), BreakerState::Open);
        let refused = b.admit(t0 + Duration::from_secs(2)).unwrap_err();
        assert_eq!(refused.retry_after, Duration::from_secs(3));

        let t1 = t0 + Duration::from_secs(5);
        let first = b.admit(t1).unwrap();
        assert_eq!(b.state(), BreakerState::HalfOpen);
        let second = b.admit(t1).unwrap();
        assert!(b.admit(t1).is_err(), "only 2 probes at once");
        first.succeeded(t1);
        assert_eq!(b.state(), BreakerState::HalfOpen, "one probe of two passed");
        second.succeeded(t1);
        assert_eq!(b.state(), BreakerState::Closed);
        calls(&b, t1, &[true; 3]);
        assert_eq!(b.state(), BreakerState::Closed, "the window starts afresh");
    }

    #[test]
    fn a_failed_probe_opens_it_again() {
        let t0 = Instant::now();
        let b = Breaker::new("test".into(), policy(), t0);
        calls(&b, t0, &[true; 4]);
        let t1 = t0 + Duration::from_secs(6);
        let probe = b.admit(t1).unwrap();
        probe.failed(t1);
        assert_eq!(b.state(), BreakerState::Open);
        assert_eq!(b.opened_total(), 2);
        let refused = b.admit(t1 + Duration::from_secs(1)).unwrap_err();
        assert_eq!(
            refused.retry_after,
            Duration::from_secs(4),
            "cool-down from t1"
        );
    }

    #[test]
    fn an_unreported_probe_frees_its_place() {
        let t0 = Instant::now();
        let b = Breaker::new("test".into(), policy(), t0);
        calls(&b, t0, &[true; 4]);
        let t1 = t0 + Duration::from_secs(5);
        let (a, c) = (b.admit(t1).unwrap(), b.admit(t1).unwrap());
        assert!(b.admit(t1).is_err());
        drop(a);
        let d = b.admit(t1).expect("the dropped probe's place is free");
        c.succeeded(t1);
        d.succeeded(t1);
        assert_eq!(b.state(), BreakerState::Closed);
    }

    #[test]
    fn outcomes_of_an_earlier_epoch_are_ignored() {
        let t0 = Instant::now();
        let b = Breaker::new("test".into(), policy(), t0);
        let slow = b.admit(t0).unwrap();
        calls(&b, t0, &[true; 4]);
        let t1 = t0 + Duration::from_secs(5);
        let probe = b.admit(t1).unwrap();
        slow.failed(t1);
        assert_eq!(
            b.state(),
            BreakerState::HalfOpen,
            "a call admitted while closed has no say half-open"
        );
        probe.succeeded(t1);
        b.admit(t1).unwrap().succeeded(t1);
        assert_eq!(b.state(), BreakerState::Closed);
    }

    #[test]
    fn concurrent_outcomes_keep_the_counts_true() {
        let t0 = Instant::now();
        let b = Breaker::new(
            "test".into(),
            BreakerPolicy {
                window: 64,
                min_calls: 64,
                failure_rate: 1.0,
                ..policy()
            },
            t0,
        );
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| calls(&b, t0, &[false; 1000]));
            }
        });
        assert_eq!(b.window.calls.load(Ordering::Relaxed), 64);
        assert_eq!(b.window.failures.load(Ordering::Relaxed), 0);
        assert_eq!(b.state(), BreakerState::Closed);
    }
}
