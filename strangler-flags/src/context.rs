//! The request-side Unleash context ([`FlagContext`]) and how it becomes the
//! client's `Context` on the hot path without allocating: each thread keeps one
//! scratch `Context` whose strings and property map are refilled in place, so a
//! steady stream of requests reuses the same buffers.

use chrono::{DateTime, Utc};
use std::cell::RefCell;
use std::collections::HashMap;
use std::net::IpAddr;
use unleash_api_client::context::{Context, IPAddress};

/// What the proxy knows about a request, as Unleash sees it.
///
/// `user_id` is the authenticated subject or the customer id (the stickiness key
/// for canary and shadow cohorts), `properties` carries e.g. the route name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlagContext {
    /// Authenticated subject or customer id.
    pub user_id: Option<String>,
    /// Session id (stickiness fallback when there is no user).
    pub session_id: Option<String>,
    /// The client's address.
    pub remote_address: Option<IpAddr>,
    /// Custom context fields (e.g. `route`), usable in constraints and as stickiness.
    pub properties: HashMap<String, String>,
}

/// Context fields that describe the deployment or the moment rather than the
/// request. [`Flags::is_enabled`](super::Flags::is_enabled) uses the flags' own
/// (app name, environment, now); [`Flags::is_enabled_in`](super::Flags::is_enabled_in)
/// takes them explicitly (the conformance suite needs that).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EvalEnv<'a> {
    /// `appName` in constraints.
    pub app_name: &'a str,
    /// `environment` in constraints.
    pub environment: &'a str,
    /// `currentTime` in DATE_* constraints; `None` means now.
    pub current_time: Option<DateTime<Utc>>,
}

thread_local! {
    static SCRATCH: RefCell<Context> = RefCell::new(Context::default());
}

/// Runs `f` with an Unleash `Context` holding `ctx` and `env`: the thread's scratch
/// context when available, otherwise (re-entry, thread teardown) a fresh one.
pub(crate) fn with_context<R>(
    ctx: &FlagContext,
    env: &EvalEnv<'_>,
    f: impl Fn(&Context) -> R,
) -> R {
    let scratch = SCRATCH.try_with(|cell| {
        let mut guard = cell.try_borrow_mut().ok()?;
        fill(&mut guard, ctx, env);
        Some(f(&guard))
    });
    match scratch {
        Ok(Some(result)) => result,
        _ => {
            let mut fresh = Context::default();
            fill(&mut fresh, ctx, env);
            f(&fresh)
        }
    }
}

fn fill(dst: &mut Context, ctx: &FlagContext, env: &EvalEnv<'_>) {
    set_opt(&mut dst.user_id, ctx.user_id.as_deref());
    set_opt(&mut dst.session_id, ctx.session_id.as_deref());
    dst.remote_address = ctx.remote_address.map(IPAddress);
    set_str(&mut dst.app_name, env.app_name);
    set_str(&mut dst.environment, env.environment);
    dst.current_time = env.current_time;
    dst.properties
        .retain(|key, _| ctx.properties.contains_key(key));
    for (key, value) in &ctx.properties {
        match dst.properties.get_mut(key) {
            Some(slot) => set_str(slot, value),
            None => {
                dst.properties.insert(key.clone(), value.clone());
            }
        }
    }
}

fn set_str(dst: &mut String, src: &str) {
    if dst != src {
        dst.clear();
        dst.push_str(src);
    }
}

fn set_opt(dst: &mut Option<String>, src: Option<&str>) {
    match (dst.as_mut(), src) {
        (Some(slot), Some(value)) => set_str(slot, value),
        (None, Some(value)) => *dst = Some(value.to_owned()),
        (_, None) => *dst = None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(user: Option<&str>, props: &[(&str, &str)]) -> FlagContext {
        FlagContext {
            user_id: user.map(str::to_owned),
            session_id: None,
            remote_address: Some(IpAddr::from([10, 0, 0, 1])),
            properties: props
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    #[test]
    fn scratch_context_is_refilled_not_leaked_between_calls() {
        let env = EvalEnv {
            app_name: "app",
            environment: "prod",
            current_time: None,
        };
        let first = ctx(Some("u1"), &[("route", "payments"), ("tenant", "a")]);
        with_context(&first, &env, |c| {
            assert_eq!(c.user_id.as_deref(), Some("u1"));
            assert_eq!(c.properties.len(), 2);
            assert_eq!(c.app_name, "app");
        });
        let second = ctx(None, &[("route", "orders")]);
        with_context(&second, &EvalEnv::default(), |c| {
            assert_eq!(c.user_id, None);
            assert_eq!(c.properties.len(), 1);
            assert_eq!(c.properties["route"], "orders");
            assert_eq!(c.app_name, "");
            assert_eq!(c.environment, "");
        });
    }

    #[test]
    fn reentrant_use_falls_back_to_a_fresh_context() {
        let outer = ctx(Some("outer"), &[]);
        let inner = ctx(Some("inner"), &[]);
        let env = EvalEnv::default();
        let seen = with_context(&outer, &env, |o| {
            let i = with_context(&inner, &env, |c| c.user_id.clone());
            (o.user_id.clone(), i)
        });
        assert_eq!(seen, (Some("outer".into()), Some("inner".into())));
    }
}
