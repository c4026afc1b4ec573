//! What a run of the generator recorded: every request's outcome, every
//! acknowledged write, and the mode changes marked on the way; with the
//! numbers a test or a benchmark reads off it (per phase, per time bucket).

use std::time::Duration;

/// What a simulated customer asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// `GET /api/v1/payments/{id}` (route `payments`).
    ReadPayment,
    /// `GET /api/v1/orders/{id}` (the monolith).
    ReadOrder,
    /// `POST /api/v1/orders`: an order and its payment (the monolith).
    CreateOrder,
    /// `POST /api/v1/payments/{id}/refunds` (route `payments`).
    Refund,
}

impl Op {
    /// Safe to repeat (a read): the proxy may fall back, and the bar is that
    /// none fails.
    pub fn is_safe(self) -> bool {
        matches!(self, Op::ReadPayment | Op::ReadOrder)
    }

    /// Short name for tables.
    pub fn name(self) -> &'static str {
        match self {
            Op::ReadPayment => "read payment",
            Op::ReadOrder => "read order",
            Op::CreateOrder => "create order",
            Op::Refund => "refund",
        }
    }
}

/// One request and how it ended.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// When it was sent, from the start of the run.
    pub at: Duration,
    /// How long the client waited.
    pub latency: Duration,
    /// What it was.
    pub op: Op,
    /// The HTTP status, or `None` when no answer came (a transport error:
    /// for a write, its outcome is unknown).
    pub status: Option<u16>,
    /// `x-strangler-backend` of the answer.
    pub backend: Option<String>,
    /// The phase it was sent in (index into [`Run::marks`]).
    pub phase: usize,
    /// A write whose outcome the client does not know after this answer:
    /// the first answer as [`outcome_unknown`] says; after a repeat, until
    /// the owner answers 2xx or 4xx.
    pub unknown: bool,
    /// An unknown write the client sent again (same `Idempotency-Key`);
    /// the repeat is an outcome of its own.
    pub repeated: bool,
}

/// Whether an answer (`None`: none came) leaves a write's outcome unknown:
/// no answer at all, or the proxy's 502 or 504 saying the upstream may have
/// acted (`upstream-timeout`: no answer in time; `upstream-failed`: the
/// connection broke mid-exchange; `new-side-answer-untranslatable`: the new
/// side answered a write in a way the ACL cannot show). Every other answer is known: a 2xx
/// happened, a 4xx did not, and so did not a 5xx the owner answered itself
/// or the proxy's `upstream-unreachable` (nothing was sent).
pub fn outcome_unknown(status: Option<u16>, body: &serde_json::Value) -> bool {
    const MAY_HAVE_ACTED: [&str; 3] = [
        ":upstream-timeout",
        ":upstream-failed",
        ":new-side-answer-untranslatable",
    ];
    match status {
        None => true,
        Some(502 | 504) => body["type"]
            .as_str()
            .is_some_and(|t| MAY_HAVE_ACTED.iter().any(|slug| t.ends_with(slug))),
        Some(_) => false,
    }
}

impl Outcome {
    /// Answered 2xx.
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// A write the proxy acknowledged (2xx), with the id it answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Write {
    /// `CreateOrder` or `Refund`.
    pub op: Op,
    /// The order's or the refund's legacy id (-1: the answer had none).
    pub id: i64,
    /// The customer who made it.
    pub customer: i64,
    /// The payment it belongs to (an order's own payment, a refund's payment).
    pub payment: i64,
    /// The amount in minor units (a refund's; an order's payment's).
    pub amount: i64,
    /// The phase it was taken in (the orders made before the run: 0).
    pub phase: usize,
    /// Who served it (`x-strangler-backend`).
    pub backend: String,
}

/// A mode change, marked when the test or benchmark made it.
#[derive(Debug, Clone)]
pub struct Mark {
    /// From the start of the run.
    pub at: Duration,
    /// E.g. `shadow`, `new`, `rollback`.
    pub label: String,
}

/// Everything a run recorded. Phase `i` runs from `marks[i].at` to the next
/// mark (the first mark, at 0, is the phase the run started in).
#[derive(Debug, Clone, Default)]
pub struct Run {
    /// Every request, in the order they ended.
    pub outcomes: Vec<Outcome>,
    /// Every acknowledged write.
    pub writes: Vec<Write>,
    /// The phases.
    pub marks: Vec<Mark>,
    /// How long it ran.
    pub duration: Duration,
}

/// p50, p99 and counts over a set of outcomes.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Summary {
    /// Requests.
    pub requests: usize,
    /// Not answered 2xx.
    pub errors: usize,
    /// Median latency.
    pub p50: Duration,
    /// 99th percentile latency.
    pub p99: Duration,
}

impl Summary {
    /// Of `outcomes` (the latency of every request, answered or not).
    pub fn of<'a>(outcomes: impl Iterator<Item = &'a Outcome>) -> Self {
        let mut errors = 0;
        let mut latencies: Vec<Duration> = outcomes
            .inspect(|o| errors += usize::from(!o.succeeded()))
            .map(|o| o.latency)
            .collect();
        latencies.sort_unstable();
        Self {
            requests: latencies.len(),
            errors,
            p50: percentile(&latencies, 50),
            p99: percentile(&latencies, 99),
        }
    }
}

/// Nearest-rank percentile of sorted values (zero when empty).
fn percentile(sorted: &[Duration], p: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (sorted.len() * p).div_ceil(100).max(1);
    sorted[rank - 1]
}

/// One time bucket of a run, for the chart.
#[derive(Debug, Clone, Copy)]
pub struct Bucket {
    /// Its start, from the start of the run.
    pub start: Duration,
    /// Its requests' numbers.
    pub summary: Summary,
}

impl Run {
    /// Each phase's label and numbers, in order.
    pub fn phases(&self) -> Vec<(String, Summary)> {
        self.marks
            .iter()
            .enumerate()
            .map(|(i, mark)| {
                let summary = Summary::of(self.outcomes.iter().filter(|o| o.phase == i));
                (mark.label.clone(), summary)
            })
            .collect()
    }

    /// The run cut into buckets of `width` by the time requests were sent.
    pub fn buckets(&self, width: Duration) -> Vec<Bucket> {
        let width = width.max(Duration::from_millis(1));
        let count = (self.duration.as_nanos() / width.as_nanos()) as usize + 1;
        let mut by_bucket: Vec<Vec<&Outcome>> = vec![Vec::new(); count];
        for o in &self.outcomes {
            let i = (o.at.as_nanos() / width.as_nanos()) as usize;
            by_bucket[i.min(count - 1)].push(o);
        }
        by_bucket
            .into_iter()
            .enumerate()
            .map(|(i, outcomes)| Bucket {
                start: width * i as u32,
                summary: Summary::of(outcomes.into_iter()),
            })
            .collect()
    }

    /// Requests safe to repeat that did not succeed.
    pub fn failed_safe(&self) -> Vec<&Outcome> {
        self.outcomes
            .iter()
            .filter(|o| o.op.is_safe() && !o.succeeded())
            .collect()
    }

    /// Writes whose outcome stayed unknown: the last answer the client got
    /// for them left it unknown ([`outcome_unknown`]).
    pub fn unknown_writes(&self) -> Vec<&Outcome> {
        self.outcomes
            .iter()
            .filter(|o| o.unknown && !o.repeated)
            .collect()
    }

    /// Answers that left a write's outcome unknown until the client sent it
    /// again.
    pub fn repeated_writes(&self) -> usize {
        self.outcomes.iter().filter(|o| o.repeated).count()
    }

    /// The label of phase `i`.
    pub fn phase_label(&self, i: usize) -> &str {
        self.marks.get(i).map_or("?", |m| m.label.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(ms: u64, ok: bool) -> Outcome {
        Outcome {
            at: Duration::from_millis(ms),
            latency: Duration::from_millis(ms),
            op: Op::ReadPayment,
            status: ok.then_some(200),
            backend: None,
            phase: 0,
            unknown: false,
            repeated: false,
        }
    }

    #[test]
    fn only_an_answer_that_says_the_upstream_may_have_acted_is_unknown() {
        let problem =
            |slug: &str| serde_json::json!({"type": format!("urn:strangler-kit:problem:{slug}")});
        assert!(outcome_unknown(None, &serde_json::Value::Null));
        assert!(outcome_unknown(Some(502), &problem("upstream-failed")));
        assert!(outcome_unknown(Some(504), &problem("upstream-timeout")));
        assert!(!outcome_unknown(
            Some(502),
            &problem("upstream-unreachable")
        ));
        assert!(outcome_unknown(
            Some(502),
            &problem("new-side-answer-untranslatable")
        ));
        assert!(!outcome_unknown(Some(502), &problem("new-side-failed")));
        assert!(!outcome_unknown(Some(503), &problem("upstream-failed")));
        assert!(!outcome_unknown(Some(201), &serde_json::json!({"id": 4})));
        assert!(!outcome_unknown(Some(404), &serde_json::Value::Null));
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let outcomes: Vec<_> = (1..=100).map(|ms| outcome(ms, ms != 7)).collect();
        let s = Summary::of(outcomes.iter());
        assert_eq!(s.requests, 100);
        assert_eq!(s.errors, 1);
        assert_eq!(s.p50, Duration::from_millis(50));
        assert_eq!(s.p99, Duration::from_millis(99));
        assert_eq!(Summary::of([].iter()).p99, Duration::ZERO);
    }

    #[test]
    fn buckets_cover_the_run() {
        let run = Run {
            outcomes: (0..10).map(|i| outcome(i * 100, true)).collect(),
            duration: Duration::from_millis(950),
            ..Run::default()
        };
        let buckets = run.buckets(Duration::from_millis(500));
        assert_eq!(buckets.len(), 2);
        assert_eq!(buckets[0].summary.requests, 5);
        assert_eq!(buckets[1].summary.requests, 5);
    }
}
