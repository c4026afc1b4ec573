//! The shadow stage: in `shadow` mode the monolith serves the client as usual
//! while a copy of the request goes to the new service, off the client's path.
//!
//! A route shadows at most its budget of requests per second ([`budget`]);
//! the rest are served as in `legacy` mode and counted.
//! On the request path only cheap things happen: the request body (up to the
//! route's shadow limit) is buffered so it can be sent twice, the monolith's
//! response streams to the client through a [`tee::TeeBody`] that keeps a copy,
//! and a [`Job`] is offered to a bounded [`queue::JobQueue`] — when it is full
//! the copy is dropped and counted, never waited for. The job then asks the
//! candidate (through the ACL; writes only as dry runs), optionally asks the
//! monolith a second time to learn noise, waits for the primary's copy,
//! compares (`shadow::compare`) and records the result (`shadow::store`).
//! All of that runs on a thread of its own (`background`) at the data
//! plane's priority: the budget bounds its work and the scheduler guarantees
//! it a fair share, so a saturated proxy still compares its budget's worth.
//! Copies, comparisons, drops and rows are counted apart ([`tally`]).

mod background;
pub mod budget;
pub mod queue;
mod recorder;
pub mod tally;
pub mod tee;

use crate::metrics::ProxyMetrics;
use crate::proxy::body;
use crate::proxy::forward::{self, Client};
use crate::proxy::translate::{self, Outcome, Pooled};
use crate::resilience::retry::Retries;
use crate::routes::ShadowPlan;
use crate::shadow::compare::{self, NoiseModel, RedactedRequest, RequestSample};
use crate::shadow::store::{NewResult, RequestExample, ShadowStore, Verdict};
use crate::upstream::Upstream;
use acl::RouteTranslator;
use background::Background;
use bytes::Bytes;
use http::{HeaderName, HeaderValue, Request};
use queue::{JobQueue, QueueSnapshot};
use recorder::Recorder;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tally::DropReason;
use tee::Captured;
use tokio::sync::oneshot;

/// The header that makes a v2 write a dry run.
pub const DRY_RUN_HEADER: &str = "x-strangler-dry-run";

/// Everything a shadow copy needs, taken from the request path.
pub struct Job {
    /// Route group name.
    pub route: String,
    /// The matched pattern.
    pub path_template: String,
    /// Correlation id of the client's request.
    pub correlation_id: String,
    /// The client's request (body buffered).
    pub request: http::request::Parts,
    /// Its body.
    pub body: Bytes,
    /// The route's shadow plan.
    pub plan: Arc<ShadowPlan>,
    /// The candidate.
    pub new: Upstream,
    /// The translator to the candidate, if it speaks v2.
    pub translator: Option<Arc<dyn RouteTranslator>>,
    /// The monolith (for the secondary call).
    pub legacy: Upstream,
    /// Candidate timeout.
    pub timeout: Duration,
    /// Send the candidate a dry run.
    pub dry_run: bool,
    /// The primary's status and headers.
    pub primary_head: (u16, Vec<(String, String)>),
    /// The primary's latency until its head arrived.
    pub primary_latency: Duration,
    /// The primary's body, once it has streamed to the client (taken by the run).
    pub primary_body: Option<oneshot::Receiver<Captured>>,
}

/// What the shadow stage's tasks do.
enum Work {
    /// Ask the candidate, compare, record.
    Compare(Box<Job>),
    /// Record a request that was not shadowed.
    Record(Box<NewResult>),
}

/// The shadow stage: queue, store, and what it learned about noise.
pub struct Shadow {
    queue: JobQueue<Work>,
    store: ShadowStore,
    // Last: its runtime stops once the queue's sender is gone.
    _background: Background,
}

/// How much shadow work may wait and run, and how results are written.
#[derive(Debug, Clone, Copy)]
pub struct ShadowLimits {
    /// Shadow copies that may wait.
    pub queue: usize,
    /// Shadow copies in flight.
    pub concurrency: usize,
    /// How often counted results are written.
    pub flush_every: Duration,
    /// One match in this many is kept whole.
    pub match_sample: u64,
}

/// What the stage shares with its jobs.
struct Worker {
    client: Client,
    recorder: Arc<Recorder>,
    noise: Arc<Mutex<HashMap<String, NoiseModel>>>,
}

impl Shadow {
    /// Starts the stage on its own low-priority thread (see `background`): at
    /// most `capacity` jobs wait and `concurrency` run; results and queue
    /// counters are exposed through `metrics`.
    pub fn start(
        store: ShadowStore,
        connect_timeout: Duration,
        limits: ShadowLimits,
        metrics: &ProxyMetrics,
    ) -> std::io::Result<Self> {
        let (capacity, concurrency) = (limits.queue, limits.concurrency);
        // Comparisons take turns on the noise models' lock and writes on the
        // store's connections: more blocking threads than that would only
        // wait (each with its stack and heap), and with the thread starved
        // under load they used to pile up to `concurrency`.
        let blocking = usize::try_from(store.db().pool_size()).unwrap_or(1) + 1;
        let background = Background::start(blocking)?;
        // The queue's dispatcher and its jobs are spawned onto that thread.
        let _on_background = background.handle().enter();
        let recorder = Recorder::start(
            store.clone(),
            limits.flush_every,
            limits.match_sample,
            metrics.clone(),
        );
        let worker = Arc::new(Worker {
            client: forward::client(connect_timeout),
            recorder,
            noise: Arc::default(),
        });
        let queue = JobQueue::start(capacity, concurrency, move |work: Work| {
            let worker = worker.clone();
            async move {
                match work {
                    Work::Compare(job) => worker.run(*job).await,
                    Work::Record(result) => worker.recorder.add(*result),
                }
            }
        });
        drop(_on_background);
        Ok(Self {
            queue,
            store,
            _background: background,
        })
    }

    /// Hands a copy to the queue; `false` when it was full (counted).
    pub fn offer(&self, job: Job) -> bool {
        let plan = job.plan.clone();
        let accepted = self.queue.offer(Work::Compare(Box::new(job)));
        match accepted {
            true => plan.tally.copies.inc(),
            false => plan.tally.queue_full.inc(),
        }
        accepted
    }

    /// Records a request that was not shadowed (unsafe write, too large), so it
    /// is counted, not lost. The record goes through the same bounded queue as
    /// the copies, so a burst of writes cannot pile up database inserts.
    #[allow(clippy::too_many_arguments)]
    pub fn skipped(
        &self,
        route: &str,
        plan: &ShadowPlan,
        path_template: &str,
        parts: &http::request::Parts,
        correlation_id: &str,
        verdict: Verdict,
        primary_status: u16,
    ) {
        let sample = sample(parts, &Bytes::new());
        let result = NewResult {
            route: route.to_owned(),
            method: parts.method.to_string(),
            path_template: path_template.to_owned(),
            path: plan.rules.redactor().target(&parts.uri.to_string()),
            correlation_id: correlation_id.to_owned(),
            primary_status,
            candidate_status: None,
            primary_latency_ms: 0,
            candidate_latency_ms: None,
            verdict,
            request: RequestExample::from(&RedactedRequest::new(&sample, plan.rules.redactor())),
            differences: Vec::new(),
        };
        self.queue.offer(Work::Record(Box::new(result)));
    }

    /// Copies queued and dropped so far.
    pub fn queue(&self) -> QueueSnapshot {
        self.queue.counters()
    }

    /// The results store.
    pub fn store(&self) -> &ShadowStore {
        &self.store
    }
}

impl Worker {
    async fn run(&self, mut job: Job) {
        let Some(primary_body) = job.primary_body.take() else {
            return;
        };
        let started = Instant::now();
        let candidate = self.candidate(&job).await;
        let candidate_latency = started.elapsed();
        let secondary = match job.plan.secondary && job.request.method.is_safe() {
            true => self.ask(&job, &job.legacy, false).await.ok(),
            false => None,
        };
        let primary_body = match primary_body.await {
            Ok(Captured::Complete(bytes)) => bytes,
            Ok(Captured::TooLarge) => {
                return self
                    .record(&job, Verdict::SkippedTooLarge, None, None, Vec::new())
                    .await;
            }
            // The client went away before the primary finished: nothing to compare.
            Err(_) => {
                let reason = DropReason::PrimaryIncomplete;
                return self.recorder.metrics().shadow().dropped(&job.route, reason);
            }
        };
        let primary = compare::Response {
            status: job.primary_head.0,
            headers: job.primary_head.1.clone(),
            body: primary_body.to_vec(),
        };
        let candidate = match candidate {
            Some(Ok(response)) => response,
            Some(Err(why)) => {
                tracing::debug!(route = %job.route, reason = %why, "shadow candidate failed");
                return self
                    .record(
                        &job,
                        Verdict::CandidateError,
                        None,
                        Some(candidate_latency),
                        Vec::new(),
                    )
                    .await;
            }
            None => return,
        };
        // Parsing and diffing whole bodies is CPU work: on the (low-priority)
        // blocking pool it never stalls the shadow thread's upstream calls.
        let (noise, route, plan) = (self.noise.clone(), job.route.clone(), job.plan.clone());
        let candidate_status = candidate.status;
        let compared = tokio::task::spawn_blocking(move || {
            let mut models = noise.lock().unwrap_or_else(|p| p.into_inner());
            let model = models.entry(route).or_default();
            compare::compare_with_noise(
                &primary,
                secondary.as_ref(),
                &candidate,
                &plan.rules,
                model,
            )
        })
        .await;
        let Ok(comparison) = compared else {
            tracing::warn!(route = %job.route, "shadow comparison panicked; nothing recorded");
            return;
        };
        let differences = comparison.differences.iter().map(Into::into).collect();
        let verdict = comparison.verdict().into();
        self.record(
            &job,
            verdict,
            Some(candidate_status),
            Some(candidate_latency),
            differences,
        )
        .await;
    }

    /// The candidate's answer in the legacy shape; `None` when the translator
    /// leaves the request to the monolith (nothing to compare).
    async fn candidate(&self, job: &Job) -> Option<Result<compare::Response, String>> {
        let Some(translator) = &job.translator else {
            return Some(self.ask(job, &job.new, job.dry_run).await);
        };
        let legacy = translate::to_acl(&job.request, &job.body)?;
        // The copy joins the client request's trace, under the proxy's span.
        let mut extra = translate::forwarded_extras(&job.request.headers);
        if job.dry_run {
            extra.push((
                HeaderName::from_static(DRY_RUN_HEADER),
                HeaderValue::from_static("1"),
            ));
        }
        // Shadow copies are best effort: never retried.
        match translate::serve(
            &mut Pooled(&self.client),
            Retries::NONE,
            translator.as_ref(),
            &legacy,
            &job.new,
            job.timeout,
            &extra,
        )
        .await
        {
            Outcome::Answer(res) | Outcome::Refused(res) => {
                Some(read(translate::to_http(res), job.plan.max_body_bytes).await)
            }
            Outcome::NotTranslated(_) => None,
            Outcome::Failed(failure) => Some(Err(failure.to_string())),
        }
    }

    /// Sends the buffered request to `upstream` as it is.
    async fn ask(
        &self,
        job: &Job,
        upstream: &Upstream,
        dry_run: bool,
    ) -> Result<compare::Response, String> {
        let mut headers = job.request.headers.clone();
        crate::proxy::headers::strip_hop_by_hop(&mut headers, false);
        headers.insert(
            http::header::HOST,
            HeaderValue::from_str(upstream.authority().as_str()).map_err(|e| e.to_string())?,
        );
        if dry_run {
            headers.insert(DRY_RUN_HEADER, HeaderValue::from_static("1"));
        }
        let uri = upstream
            .uri(job.request.uri.path_and_query())
            .map_err(|e| e.to_string())?;
        let mut req = Request::new(body::full(job.body.clone()));
        (*req.method_mut(), *req.uri_mut(), *req.headers_mut()) =
            (job.request.method.clone(), uri, headers);
        let res = forward::send(&self.client, req, job.timeout)
            .await
            .map_err(|e| e.to_string())?;
        let (parts, incoming) = res.into_parts();
        read(
            http::Response::from_parts(parts, body::stream(incoming)),
            job.plan.max_body_bytes,
        )
        .await
    }

    async fn record(
        &self,
        job: &Job,
        verdict: Verdict,
        candidate_status: Option<u16>,
        candidate_latency: Option<Duration>,
        differences: Vec<crate::shadow::store::NewDifference>,
    ) {
        let redactor = job.plan.rules.redactor();
        let result = NewResult {
            route: job.route.clone(),
            method: job.request.method.to_string(),
            path_template: job.path_template.clone(),
            path: redactor.target(&job.request.uri.to_string()),
            correlation_id: job.correlation_id.clone(),
            primary_status: job.primary_head.0,
            candidate_status,
            primary_latency_ms: millis(job.primary_latency),
            candidate_latency_ms: candidate_latency.map(millis),
            verdict,
            request: RequestExample::from(&RedactedRequest::new(
                &sample(&job.request, &job.body),
                redactor,
            )),
            differences,
        };
        self.recorder.add(result);
    }
}

async fn read(res: http::Response<body::Body>, limit: usize) -> Result<compare::Response, String> {
    let (parts, incoming) = res.into_parts();
    let bytes = body::read_boxed(incoming, limit)
        .await
        .map_err(|e| match e {
            body::ReadError::TooLarge => format!("answer larger than {limit} bytes"),
            body::ReadError::Broken(e) => e.to_string(),
        })?;
    Ok(compare::Response {
        status: parts.status.as_u16(),
        headers: header_pairs(&parts.headers),
        body: bytes.to_vec(),
    })
}

/// Headers as name/value pairs (values that are not text are left out).
pub fn header_pairs(headers: &http::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .filter_map(|(n, v)| {
            v.to_str()
                .ok()
                .map(|v| (n.as_str().to_owned(), v.to_owned()))
        })
        .collect()
}

fn sample(parts: &http::request::Parts, body: &Bytes) -> RequestSample {
    RequestSample {
        method: parts.method.to_string(),
        target: parts
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_owned(),
        headers: header_pairs(&parts.headers),
        body: body.to_vec(),
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
