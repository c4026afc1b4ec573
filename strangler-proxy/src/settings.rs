//! The proxy's typed settings: embedded defaults (`config/default.toml`), a
//! TOML file with the route table, then `STRANGLER__SECTION__KEY` variables.
//! Everything is checked at start and on reload; a bad value names its key (or
//! its route).

use platform::settings::{
    self, DatabaseUrl, InvalidSetting, Secret, SettingsError, TelemetrySettings, Validate,
};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::Path;

/// The embedded defaults, also the documented reference.
pub const DEFAULTS: &str = include_str!("../config/default.toml");

/// Everything the proxy reads.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The client-facing listener and forwarding defaults.
    pub proxy: ProxySettings,
    /// The admin listener.
    pub admin: AdminSettings,
    /// Where flags come from.
    pub flags: FlagsSettings,
    /// Shadow traffic: queue, concurrency, results database, retention.
    pub shadow: ShadowSettings,
    /// The promotion gate.
    pub gate: GateSettings,
    /// How the sync lag of data contexts is read.
    pub sync: SyncSettings,
    /// The watchdog of routes on the new side.
    pub watchdog: WatchdogSettings,
    /// Circuit breaker, bulkhead and retries towards the upstreams.
    pub resilience: ResilienceSettings,
    /// The anti-corruption layer.
    pub acl: AclSettings,
    /// Logs.
    pub telemetry: TelemetrySettings,
    /// The route groups; anything they do not claim goes to `proxy.legacy`.
    #[serde(default)]
    pub routes: Vec<RouteSettings>,
}

/// The data plane.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProxySettings {
    /// Address clients connect to.
    pub listen: String,
    /// Runtime worker threads; 0 = one per core.
    pub workers: usize,
    /// The monolith's base URL.
    pub legacy: String,
    /// Add `X-Strangler-Route` and `X-Strangler-Backend` to responses.
    pub expose_route_headers: bool,
    /// Request header naming the client (Unleash `userId`).
    pub identity_header: String,
    /// Request header carrying the session (Unleash `sessionId`).
    pub session_header: String,
    /// Default per-route limit for bodies the proxy must buffer.
    pub max_body_bytes: usize,
    /// Default per-route timeout of an upstream exchange, in ms.
    pub timeout_ms: u64,
    /// Connect timeout to any upstream, in ms.
    pub connect_timeout_ms: u64,
    /// A request head must arrive whole within this, in ms.
    pub header_timeout_ms: u64,
    /// A keep-alive connection idle this long between requests is closed, in ms.
    pub idle_timeout_ms: u64,
    /// The longest wait between two reads of a request body, in ms.
    pub body_timeout_ms: u64,
    /// From a request's head to its response head at most, in ms.
    pub total_timeout_ms: u64,
    /// Client connections open at once at most; more are refused.
    pub max_connections: usize,
    /// Which HTTP/1.1 server code serves client connections.
    #[serde(deserialize_with = "settings::named")]
    pub codec: Codec,
}

/// The HTTP/1.1 server code on client connections (see [`crate::server`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Codec {
    /// The proxy's own codec for plain requests, hyper for the rest.
    Own,
    /// hyper for every request.
    Hyper,
}

/// The admin API.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminSettings {
    /// Address of the admin listener (loopback by default).
    pub listen: String,
    /// Bearer token every admin request must carry; `Debug` hides it.
    pub token: Secret,
    /// Lets `listen` be an address other than loopback (the admin API can
    /// move every route; off, such a bind is refused).
    pub allow_remote: bool,
}

impl AdminSettings {
    /// A token an attacker cannot guess in a day, and a listener an operator
    /// chose to expose.
    fn check(&self) -> Result<(), InvalidSetting> {
        const HOW: &str = "e.g. STRANGLER__ADMIN__TOKEN=$(openssl rand -hex 16)";
        let token = self.token.expose();
        if token.len() < 16 {
            return Err(InvalidSetting::new(
                "admin.token",
                format!("must be set to at least 16 characters ({HOW})"),
            ));
        }
        // Visible ASCII only: what a bearer header and a shell carry unchanged;
        // spaces or control characters are a paste gone wrong.
        if !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(InvalidSetting::new(
                "admin.token",
                format!(
                    "must be visible ASCII characters only, no spaces or control characters ({HOW})"
                ),
            ));
        }
        if token
            .bytes()
            .collect::<std::collections::BTreeSet<_>>()
            .len()
            < 8
        {
            return Err(InvalidSetting::new(
                "admin.token",
                format!("has fewer than 8 different characters: too easy to guess ({HOW})"),
            ));
        }
        if !self.allow_remote && !is_loopback(&self.listen) {
            return Err(InvalidSetting::new(
                "admin.listen",
                format!(
                    "{} is not a loopback address; the admin API moves routes and reads shadow results, so \
                     exposing it needs admin.allow_remote = true (behind a private network or a TLS proxy)",
                    self.listen
                ),
            ));
        }
        Ok(())
    }
}

/// True for `127.x.x.x:port` and `[::1]:port` (the address itself is
/// checked with the other listeners).
fn is_loopback(listen: &str) -> bool {
    listen
        .parse::<std::net::SocketAddr>()
        .is_ok_and(|addr| addr.ip().is_loopback())
}

pub use strangler_flags::{FlagSource, FlagsSettings};

/// Shadow traffic, for every route.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShadowSettings {
    /// Where results are kept (`sqlite://…` or `postgres://…`); `Debug`
    /// hides its password.
    pub database_url: DatabaseUrl,
    /// Connections to that database.
    pub pool_size: u32,
    /// Shadow copies that may wait; beyond it new copies are dropped and counted.
    pub queue_capacity: usize,
    /// Shadow copies in flight at once.
    pub concurrency: usize,
    /// Requests of a route shadowed per second at most (0: all); a route may
    /// set its own (`routes.shadow.max_per_second`). The rest are served as in
    /// `legacy` mode and counted as skipped (`budget`).
    pub max_per_second: u32,
    /// Results kept at most.
    pub retention_rows: u64,
    /// Results kept at most this long (`30s`, `15m`, `1h`, `7d`).
    pub retention_age: String,
    /// How often old results are pruned.
    pub prune_every: String,
    /// How often the counted results are written (`1s`); a crash loses at
    /// most this much of the counts.
    pub flush_every: String,
    /// Every comparison is counted; mismatches and candidate errors are kept
    /// whole, and one match in this many (1: every one).
    pub match_sample: u64,
}

/// When a route may move to `canary` or `new`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateSettings {
    /// The shadow match rate required, 0 to 1 (e.g. 0.999).
    pub match_rate: f64,
    /// The samples required at least.
    pub min_samples: u64,
    /// The window the rate is taken over (`15m`, `1h`, `7d`).
    pub window: String,
    /// For a move to `new` of a route with a data context (`data`), its last
    /// verify run must have passed and be at most this old (`24h`).
    pub verify_max_age: String,
    /// For a move to `canary` or `new` of a route with `sync = true`, each
    /// sync direction of its data context may lag at most this much (`30s`).
    pub max_sync_lag: String,
}

/// `[sync]`: the proxy reads each side's `GET /sync/status`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncSettings {
    /// How often both sides of each data context are read (`5s`); a reading
    /// older than three of these is stale.
    pub poll_interval: String,
}

/// When a route in `canary` or `new` is stepped back.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct WatchdogSettings {
    /// On or off.
    pub enabled: bool,
    /// How often it looks (`5s`).
    pub interval: String,
    /// The window of new-side requests it judges (`1m`).
    pub window: String,
    /// It acts only on at least this many requests in the window.
    pub min_requests: u64,
    /// Largest share of failed new-side requests, 0 to 1.
    pub max_error_rate: f64,
    /// Largest share of fallbacks to the monolith, 0 to 1.
    pub max_fallback_rate: f64,
    /// Largest p99 latency of new-side requests, in ms.
    pub max_p99_ms: u64,
    /// Largest excess, 0 to 1, of the new side's 404 rate over the
    /// monolith's on the route; also the largest share of shadow samples
    /// whose candidate lacks the record.
    pub max_not_found_excess: f64,
    /// Largest excess, 0 to 1, of the new side's 4xx rate (404 included)
    /// over the monolith's on the route.
    pub max_client_error_excess: f64,
}

impl WatchdogSettings {
    /// Its shares and excesses are between 0 and 1.
    pub fn validate(&self) -> Result<(), InvalidSetting> {
        for (key, value) in [
            ("watchdog.max_error_rate", self.max_error_rate),
            ("watchdog.max_fallback_rate", self.max_fallback_rate),
            ("watchdog.max_not_found_excess", self.max_not_found_excess),
            (
                "watchdog.max_client_error_excess",
                self.max_client_error_excess,
            ),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return Err(InvalidSetting::new(
                    key,
                    format!("must be between 0 and 1 (e.g. 0.05), not {value}"),
                ));
            }
        }
        Ok(())
    }
}

/// What a route does with writes in shadow mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum ShadowWrites {
    /// Not shadowed; counted as `skipped_unsafe` (the default: safe first).
    #[default]
    Skip,
    /// Sent with `X-Strangler-Dry-Run: 1`: the candidate rolls its transaction
    /// back and performs no side effect.
    DryRun,
}

/// A route's shadow settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteShadow {
    /// Largest request or response body compared (default the route's
    /// `max_body_bytes`); larger ones are counted as `skipped_too_large`.
    pub max_body_bytes: Option<usize>,
    /// `skip` (default) or `dry-run` for requests that change state.
    #[serde(default, deserialize_with = "settings::named")]
    pub writes: ShadowWrites,
    /// Requests shadowed per second at most (0: all); default
    /// `shadow.max_per_second`.
    pub max_per_second: Option<u32>,
    /// Also ask the monolith a second time (safe requests only) to learn which
    /// fields differ by nature (noise), as Diffy does.
    #[serde(default)]
    pub secondary: bool,
    /// Comparison rules: ignored fields, array keys, tolerance, redaction, noise.
    #[serde(default)]
    pub compare: crate::shadow::compare::RulesConfig,
}

/// Circuit breaker and bulkhead per new-side upstream, retries of refused
/// connections; a route may set its own (`[routes.resilience]`).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResilienceSettings {
    /// The breaker judges this many of an upstream's last calls.
    pub breaker_window: u32,
    /// It judges only once the window holds at least this many calls.
    pub breaker_min_calls: u32,
    /// It opens when this share of the window failed, 0 to 1 (0 excluded).
    pub breaker_failure_rate: f64,
    /// It stays open this long, in ms, then lets probes through (half-open).
    pub breaker_cooldown_ms: u64,
    /// Probe requests let through half-open; all must succeed to close it.
    pub breaker_probes: u32,
    /// Requests in flight to one new-side upstream at most (the bulkhead).
    pub max_concurrent: u32,
    /// Extra tries of an idempotent request whose connection was refused (0: none).
    pub retry_attempts: u32,
    /// The first retry waits at least this long, in ms (jittered, doubling).
    pub retry_min_delay_ms: u64,
    /// No retry waits longer than this, in ms.
    pub retry_max_delay_ms: u64,
}

impl ResilienceSettings {
    /// These settings with a route's own values over them.
    pub fn with(&self, own: &RouteResilience) -> Self {
        Self {
            breaker_window: own.breaker_window.unwrap_or(self.breaker_window),
            breaker_min_calls: own.breaker_min_calls.unwrap_or(self.breaker_min_calls),
            breaker_failure_rate: own
                .breaker_failure_rate
                .unwrap_or(self.breaker_failure_rate),
            breaker_cooldown_ms: own.breaker_cooldown_ms.unwrap_or(self.breaker_cooldown_ms),
            breaker_probes: own.breaker_probes.unwrap_or(self.breaker_probes),
            max_concurrent: own.max_concurrent.unwrap_or(self.max_concurrent),
            retry_attempts: own.retry_attempts.unwrap_or(self.retry_attempts),
            retry_min_delay_ms: own.retry_min_delay_ms.unwrap_or(self.retry_min_delay_ms),
            retry_max_delay_ms: own.retry_max_delay_ms.unwrap_or(self.retry_max_delay_ms),
        }
    }

    /// Checks the values; the error names the key.
    pub fn validate(&self) -> Result<(), InvalidSetting> {
        let fail = |key: &str, why: String| Err(InvalidSetting::new(key, why));
        if !(1..=10_000).contains(&self.breaker_window) {
            return fail(
                "resilience.breaker_window",
                format!("{} must be between 1 and 10000 calls", self.breaker_window),
            );
        }
        if self.breaker_min_calls == 0 || self.breaker_min_calls > self.breaker_window {
            return fail(
                "resilience.breaker_min_calls",
                format!(
                    "{} must be between 1 and breaker_window ({})",
                    self.breaker_min_calls, self.breaker_window
                ),
            );
        }
        if !(self.breaker_failure_rate > 0.0 && self.breaker_failure_rate <= 1.0) {
            return fail(
                "resilience.breaker_failure_rate",
                format!(
                    "{} must be above 0 and at most 1 (e.g. 0.5)",
                    self.breaker_failure_rate
                ),
            );
        }
        if self.breaker_cooldown_ms == 0 || self.breaker_probes == 0 || self.max_concurrent == 0 {
            return fail(
                "resilience",
                "breaker_cooldown_ms, breaker_probes and max_concurrent must be greater than 0"
                    .into(),
            );
        }
        if self.retry_attempts > 10 {
            return fail(
                "resilience.retry_attempts",
                format!("{} is too many: at most 10", self.retry_attempts),
            );
        }
        if self.retry_min_delay_ms == 0 || self.retry_min_delay_ms > self.retry_max_delay_ms {
            return fail(
                "resilience.retry_min_delay_ms",
                format!(
                    "{} must be greater than 0 and at most retry_max_delay_ms ({})",
                    self.retry_min_delay_ms, self.retry_max_delay_ms
                ),
            );
        }
        Ok(())
    }
}

/// A route's own resilience settings (`[routes.resilience]`); each one left
/// out is `[resilience]`'s.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteResilience {
    /// Overrides `resilience.breaker_window`.
    pub breaker_window: Option<u32>,
    /// Overrides `resilience.breaker_min_calls`.
    pub breaker_min_calls: Option<u32>,
    /// Overrides `resilience.breaker_failure_rate`.
    pub breaker_failure_rate: Option<f64>,
    /// Overrides `resilience.breaker_cooldown_ms`.
    pub breaker_cooldown_ms: Option<u64>,
    /// Overrides `resilience.breaker_probes`.
    pub breaker_probes: Option<u32>,
    /// Overrides `resilience.max_concurrent`.
    pub max_concurrent: Option<u32>,
    /// Overrides `resilience.retry_attempts`.
    pub retry_attempts: Option<u32>,
    /// Overrides `resilience.retry_min_delay_ms`.
    pub retry_min_delay_ms: Option<u64>,
    /// Overrides `resilience.retry_max_delay_ms`.
    pub retry_max_delay_ms: Option<u64>,
}

/// The anti-corruption layer's settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AclSettings {
    /// IANA zone of the monolith's local-time strings.
    pub timezone: String,
}

/// How the `Host` header reaches an upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum HostPolicy {
    /// The upstream's own authority (like nginx's default).
    #[default]
    Rewrite,
    /// The client's `Host`, unchanged.
    Keep,
}

/// The flags that move one route group.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteFlags {
    /// On: copies of requests go to the new side (compared off the client's path).
    pub shadow: Option<String>,
    /// On for a client: the new side serves it (sticky rollout).
    pub canary: Option<String>,
    /// On: the new side serves everyone.
    pub new: Option<String>,
}

/// One route group.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteSettings {
    /// Unique name (`payments`); also the ACL translator name by default.
    pub name: String,
    /// Path patterns: `/api/v1/payments/{id}`, `/api/v1/payments/**`.
    pub patterns: Vec<String>,
    /// Methods claimed; empty: all.
    #[serde(default)]
    pub methods: Vec<String>,
    /// Higher wins between routes of the same shape.
    #[serde(default)]
    pub priority: i32,
    /// The monolith for this route (default `proxy.legacy`).
    pub legacy: Option<String>,
    /// The new service's base URL.
    pub new: Option<String>,
    /// ACL translator name; absent: the new side speaks the legacy contract itself.
    pub translator: Option<String>,
    /// `rewrite` (default) or `keep` the client's Host.
    #[serde(default, deserialize_with = "settings::named")]
    pub host: HostPolicy,
    /// Limit for bodies this route buffers (default `proxy.max_body_bytes`).
    pub max_body_bytes: Option<usize>,
    /// Upstream exchange timeout in ms (default `proxy.timeout_ms`).
    pub timeout_ms: Option<u64>,
    /// Path parameter that names the customer (a `userId` when no identity header).
    pub customer_param: Option<String>,
    /// Path parameter that names the record (`id` in `/api/v1/payments/{id}`):
    /// a request on a pattern with it is decided by the record, not the
    /// caller, so each record has one owner in `canary` (docs/data.md).
    pub record_param: Option<String>,
    /// The data context the route's records belong to (`payments`): its
    /// last verify run is a condition of the promotion to `new`.
    pub data: Option<String>,
    /// The data context is synced both ways while both sides live: its sync
    /// lag (both directions, known and fresh, relay on) is a condition of the
    /// promotion to `canary` and `new`. Needs `data` and `new`.
    #[serde(default)]
    pub sync: bool,
    /// The legacy side is no longer a target: the new side serves every
    /// request, no flag is asked, nothing is shadowed and nothing falls back
    /// to the monolith. Needs `new`; `strangler retire` sets it once the
    /// route is in `new`, verified and drained (docs/operations.md).
    #[serde(default)]
    pub retired: bool,
    /// The flags deciding the mode.
    #[serde(default)]
    pub flags: RouteFlags,
    /// Shadow traffic for this route.
    #[serde(default)]
    pub shadow: RouteShadow,
    /// Its own breaker, bulkhead and retry settings.
    #[serde(default)]
    pub resilience: RouteResilience,
}

impl Validate for Settings {
    fn validate(&self) -> Result<(), InvalidSetting> {
        let addr = |key: &str, value: &str| {
            value.parse::<SocketAddr>().map(|_| ()).map_err(|_| {
                InvalidSetting::new(
                    key,
                    format!("`{value}` is not an address like 127.0.0.1:8000"),
                )
            })
        };
        addr("proxy.listen", &self.proxy.listen)?;
        addr("admin.listen", &self.admin.listen)?;
        crate::upstream::Upstream::parse(&self.proxy.legacy)
            .map_err(|e| InvalidSetting::new("proxy.legacy", e))?;
        for (key, value) in [
            ("proxy.identity_header", &self.proxy.identity_header),
            ("proxy.session_header", &self.proxy.session_header),
        ] {
            http::HeaderName::from_bytes(value.as_bytes())
                .map_err(|_| InvalidSetting::new(key, format!("`{value}` is not a header name")))?;
        }
        let p = &self.proxy;
        if p.max_connections == 0 || p.max_connections > tokio::sync::Semaphore::MAX_PERMITS {
            return Err(InvalidSetting::new(
                "proxy.max_connections",
                "must be at least 1 (and a sane number, such as 10000)",
            ));
        }
        if p.max_body_bytes == 0
            || [
                p.timeout_ms,
                p.connect_timeout_ms,
                p.header_timeout_ms,
                p.idle_timeout_ms,
                p.body_timeout_ms,
                p.total_timeout_ms,
            ]
            .contains(&0)
        {
            return Err(InvalidSetting::new(
                "proxy",
                "max_body_bytes and every *_timeout_ms (timeout_ms, connect_, header_, idle_, body_, total_) must be greater than 0",
            ));
        }
        self.admin.check()?;
        self.flags.check("flags")?;
        for (key, value) in [
            ("shadow.retention_age", &self.shadow.retention_age),
            ("shadow.prune_every", &self.shadow.prune_every),
            ("shadow.flush_every", &self.shadow.flush_every),
        ] {
            value
                .parse::<crate::shadow::store::Window>()
                .map_err(|e| InvalidSetting::new(key, e.to_string()))?;
        }
        for (key, value) in [
            ("gate.window", &self.gate.window),
            ("gate.verify_max_age", &self.gate.verify_max_age),
            ("gate.max_sync_lag", &self.gate.max_sync_lag),
            ("sync.poll_interval", &self.sync.poll_interval),
        ] {
            value
                .parse::<crate::shadow::store::Window>()
                .map_err(|e| InvalidSetting::new(key, e.to_string()))?;
        }
        if !(0.0..=1.0).contains(&self.gate.match_rate) {
            return Err(InvalidSetting::new(
                "gate.match_rate",
                "must be between 0 and 1 (e.g. 0.999)",
            ));
        }
        platform::db::Target::parse(&self.shadow.database_url)
            .map_err(|e| InvalidSetting::new("shadow.database_url", e))?;
        if self.shadow.queue_capacity == 0
            || self.shadow.concurrency == 0
            || self.shadow.pool_size == 0
        {
            return Err(InvalidSetting::new(
                "shadow",
                "queue_capacity, concurrency and pool_size must be greater than 0",
            ));
        }
        self.watchdog.validate()?;
        self.resilience.validate()?;
        acl::LegacyClock::from_name(&self.acl.timezone)
            .map_err(|e| InvalidSetting::new("acl.timezone", e.to_string()))?;
        self.telemetry.validate()
    }
}

impl Settings {
    /// The ACL translators for these settings.
    pub fn registry(&self) -> acl::Registry {
        let clock = acl::LegacyClock::from_name(&self.acl.timezone).unwrap_or_default();
        acl::Registry::standard(clock)
    }

    /// Loads and validates the settings (the route table is checked further
    /// when it is built against the translators).
    pub fn load(file: Option<&Path>) -> Result<Self, SettingsError> {
        settings::load(DEFAULTS, file, "STRANGLER")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn printed_settings_show_no_secret() {
        let path = std::env::temp_dir().join(format!("secrets-{}.toml", std::process::id()));
        std::fs::write(
            &path,
            "[admin]\ntoken = \"admin-t0ken-Secret-42\"\n\
             [flags]\nsource = \"server\"\nserver_url = \"http://127.0.0.1:4242/api\"\n\
             api_token = \"*:development.unleash-token\"\n\
             [shadow]\ndatabase_url = \"postgres://shadow:hunter2@127.0.0.1/results\"\n",
        )
        .unwrap();
        let loaded = Settings::load(Some(&path));
        std::fs::remove_file(&path).unwrap();
        let shown = format!("{:?}", loaded.unwrap());
        for secret in ["admin-t0ken-Secret-42", "unleash-token", "hunter2"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(
            shown.contains("postgres://shadow:***@127.0.0.1/results"),
            "{shown}"
        );
    }
}
