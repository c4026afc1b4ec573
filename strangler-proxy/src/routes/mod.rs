//! The route table: route groups from the settings, checked against each
//! other and against the ACL's translators, and matched per request by a
//! segment trie (see [`trie`]). Anything no route claims goes to the legacy
//! upstream unchanged.

pub mod methods;
pub mod path;
pub mod pattern;
pub mod trie;

use crate::resilience::retry::RetryPolicy;
use crate::resilience::{Guard, Resilience};
use crate::settings::{HostPolicy, ResilienceSettings, RouteFlags, Settings, ShadowWrites};
use crate::shadow::compare::Rules;
use crate::shadow::mirror::budget::Budget;
use crate::shadow::mirror::tally::RouteTally;
use crate::stats::{Counters, Stats};
use crate::upstream::Upstream;
use acl::{Registry, RouteTranslator};
use methods::Methods;
use pattern::Pattern;
use std::sync::Arc;
use std::time::Duration;
pub use trie::Found;
use trie::Trie;

/// A route group, ready to serve.
#[derive(Debug, Clone)]
pub struct Route {
    /// Its name.
    pub name: String,
    /// Its name as the `x-strangler-route` response header (built once, not
    /// per response); `None` when the name is no valid header value.
    pub name_header: Option<http::HeaderValue>,
    /// Its patterns as written.
    pub patterns: Vec<String>,
    /// Methods it claims.
    pub methods: Methods,
    /// The monolith.
    pub legacy: Upstream,
    /// The new service, if any.
    pub new: Option<Upstream>,
    /// The ACL translator between the two, if the new side speaks v2.
    pub translator: Option<Arc<dyn RouteTranslator>>,
    /// How `Host` is forwarded.
    pub host: HostPolicy,
    /// Limit for buffered bodies.
    pub max_body_bytes: usize,
    /// Upstream exchange timeout.
    pub timeout: Duration,
    /// Path parameter naming the customer.
    pub customer_param: Option<String>,
    /// Path parameter naming the record: its value is the request's
    /// `userId`, so every writer of a record reaches the same side.
    pub record_param: Option<String>,
    /// Its data context, whose last verify run gates the move to `new`.
    pub data: Option<String>,
    /// Whether that context is synced both ways, so its sync lag gates the
    /// moves to `canary` and `new`.
    pub sync: bool,
    /// Retired: the new side serves everything, flags unasked, no shadow,
    /// no fallback (the legacy side is no longer a target).
    pub retired: bool,
    /// The flags deciding its mode.
    pub flags: RouteFlags,
    /// Its counters (kept across reloads).
    pub counters: Arc<Counters>,
    /// How it is shadowed.
    pub shadow: Arc<ShadowPlan>,
    /// Its breaker, bulkhead and retry settings (`[resilience]` with the
    /// route's own over them).
    pub resilience: ResilienceSettings,
    /// How its buffered requests retry a refused connection.
    pub retry: RetryPolicy,
    /// The new side's breaker and bulkhead, given when the proxy puts the
    /// table in force ([`RouteTable::guard_new_sides`]).
    pub guard: Option<Arc<Guard>>,
}

/// A route's shadow settings, checked.
#[derive(Debug)]
pub struct ShadowPlan {
    /// Largest body compared.
    pub max_body_bytes: usize,
    /// What happens to writes.
    pub writes: ShadowWrites,
    /// Ask the monolith twice (noise).
    pub secondary: bool,
    /// Copies per second at most.
    pub budget: Budget,
    /// Its copies, counted on the request path.
    pub tally: RouteTally,
    /// Comparison rules.
    pub rules: Rules,
}

/// A route table that could not be built; names the route.
#[derive(Debug, Clone, thiserror::Error)]
#[error("route `{route}`: {reason}")]
pub struct RouteError {
    /// The route's name (or its position when it has none).
    pub route: String,
    /// What is wrong.
    pub reason: String,
}

/// Routes plus the matcher.
#[derive(Debug)]
pub struct RouteTable {
    routes: Vec<Route>,
    trie: Trie,
    legacy: Upstream,
}

impl RouteTable {
    /// Builds and checks the table.
    pub fn build(
        settings: &Settings,
        registry: &Registry,
        stats: &Stats,
    ) -> Result<Self, RouteError> {
        let legacy = Upstream::parse(&settings.proxy.legacy).map_err(|reason| RouteError {
            route: "(proxy.legacy)".into(),
            reason,
        })?;
        let mut routes = Vec::with_capacity(settings.routes.len());
        let mut trie = Trie::default();
        for (index, config) in settings.routes.iter().enumerate() {
            let name = if config.name.is_empty() {
                format!("#{}", index + 1)
            } else {
                config.name.clone()
            };
            let fail = |reason: String| RouteError {
                route: name.clone(),
                reason,
            };
            if config.name.is_empty() {
                return Err(fail("has no name".into()));
            }
            if routes.iter().any(|r: &Route| r.name == config.name) {
                return Err(fail("the name is used twice".into()));
            }
            if config.patterns.is_empty() {
                return Err(fail("has no patterns".into()));
            }
            let methods = Methods::parse(&config.methods).map_err(fail)?;
            let patterns = config
                .patterns
                .iter()
                .map(|p| Pattern::parse(p))
                .collect::<Result<Vec<_>, _>>()
                .map_err(fail)?;
            let upstream = |url: &str, key: &str| {
                Upstream::parse(url).map_err(|e| fail(format!("{key}: {e}")))
            };
            let route_legacy = match &config.legacy {
                Some(url) => upstream(url, "legacy")?,
                None => legacy.clone(),
            };
            let new = config
                .new
                .as_deref()
                .map(|url| upstream(url, "new"))
                .transpose()?;
            let translator = match &config.translator {
                Some(t) => Some(registry.get(t).ok_or_else(|| {
                    let known: Vec<&str> = registry.groups().collect();
                    fail(format!(
                        "unknown translator `{t}` (known: {})",
                        known.join(", ")
                    ))
                })?),
                None => None,
            };
            let flags = &config.flags;
            if new.is_none()
                && (flags.shadow.is_some() || flags.canary.is_some() || flags.new.is_some())
            {
                return Err(fail("has flags that move it but no `new` upstream".into()));
            }
            if config.retired && new.is_none() {
                return Err(fail(
                    "retired = true needs a `new` upstream: the legacy side is no longer a target"
                        .into(),
                ));
            }
            if translator.is_some() && new.is_none() {
                return Err(fail("has a translator but no `new` upstream".into()));
            }
            for (key, param) in [
                ("customer_param", &config.customer_param),
                ("record_param", &config.record_param),
            ] {
                if let Some(param) = param
                    && !patterns.iter().any(|p| p.params().any(|n| n == param))
                {
                    return Err(fail(format!(
                        "{key} `{param}` is not a parameter of any pattern"
                    )));
                }
            }
            if config
                .data
                .as_deref()
                .is_some_and(|d| d.trim().is_empty() || d.trim() != d)
            {
                return Err(fail(
                    "data must name a data context, like `payments`".into(),
                ));
            }
            if config.sync && (config.data.is_none() || config.new.is_none()) {
                return Err(fail(
                    "sync = true needs `data` (the synced context) and `new` (its other side)"
                        .into(),
                ));
            }
            // One data context has one pair of sides: its sync lag is read
            // from them, and a route elsewhere would be judged on another's.
            if let Some(data) = &config.data
                && let Some(other) = routes.iter().find(|r| {
                    r.data.as_ref() == Some(data) && (r.legacy != route_legacy || r.new != new)
                })
            {
                return Err(fail(format!(
                    "holds data `{data}` like route `{}` but names other upstreams ({} and {}, \
                     against {} and {}); the routes of one data context share its two sides",
                    other.name,
                    route_legacy,
                    new.as_ref()
                        .map_or("no new".to_owned(), ToString::to_string),
                    other.legacy,
                    other
                        .new
                        .as_ref()
                        .map_or("no new".to_owned(), ToString::to_string),
                )));
            }
            let resilience = settings.resilience.with(&config.resilience);
            resilience.validate().map_err(|e| fail(e.to_string()))?;
            if let Some(new) = &new
                && let Some(other) = routes
                    .iter()
                    .find(|r| r.new.as_ref() == Some(new) && r.resilience != resilience)
            {
                return Err(fail(format!(
                    "shares its new upstream {new} with route `{}` but not its resilience \
                     settings; one breaker and bulkhead guard an upstream, so give both the same",
                    other.name
                )));
            }
            let rules = Rules::new(config.shadow.compare.clone())
                .map_err(|e| fail(format!("shadow.compare: {e}")))?;
            let max_body_bytes = config
                .max_body_bytes
                .unwrap_or(settings.proxy.max_body_bytes);
            let tally = stats.metrics().shadow().route(&config.name);
            let shadow = Arc::new(ShadowPlan {
                max_body_bytes: config.shadow.max_body_bytes.unwrap_or(max_body_bytes),
                writes: config.shadow.writes,
                secondary: config.shadow.secondary,
                rules,
                budget: Budget::per_second(
                    config
                        .shadow
                        .max_per_second
                        .unwrap_or(settings.shadow.max_per_second),
                    tally.over_budget.clone(),
                ),
                tally,
            });
            for pattern in &patterns {
                trie.insert(index, pattern, methods, config.priority).map_err(|(other, with)| {
                    fail(format!(
                        "`{pattern}` overlaps `{with}` of route `{}` at the same priority {}; give one a higher `priority`",
                        settings.routes[other].name, config.priority
                    ))
                })?;
            }
            routes.push(Route {
                name: config.name.clone(),
                name_header: http::HeaderValue::from_str(&config.name).ok(),
                patterns: config.patterns.clone(),
                methods,
                legacy: route_legacy,
                new,
                translator,
                host: config.host,
                max_body_bytes: config
                    .max_body_bytes
                    .unwrap_or(settings.proxy.max_body_bytes),
                timeout: Duration::from_millis(
                    config.timeout_ms.unwrap_or(settings.proxy.timeout_ms),
                ),
                customer_param: config.customer_param.clone(),
                record_param: config.record_param.clone(),
                data: config.data.clone(),
                sync: config.sync,
                retired: config.retired,
                flags: config.flags.clone(),
                counters: stats.route(&config.name),
                shadow,
                resilience,
                retry: RetryPolicy::of(&resilience),
                guard: None,
            });
        }
        Ok(Self {
            routes,
            trie,
            legacy,
        })
    }

    /// The route claiming `method path`, with the match.
    pub fn find<'a>(
        &'a self,
        method: &http::Method,
        path: &'a str,
    ) -> Option<(&'a Route, Found<'a>)> {
        let found = self.trie.find(method, path)?;
        Some((&self.routes[found.route], found))
    }

    /// All routes, in configuration order.
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// Gives every route with a new side the guard of its upstream.
    pub fn guard_new_sides(&mut self, resilience: &Resilience) {
        for route in &mut self.routes {
            route.guard = route
                .new
                .as_ref()
                .map(|new| resilience.guard(new, &route.resilience));
        }
    }

    /// Where unclaimed requests go.
    pub fn legacy(&self) -> &Upstream {
        &self.legacy
    }
}

#[cfg(test)]
pub(crate) mod tests;
