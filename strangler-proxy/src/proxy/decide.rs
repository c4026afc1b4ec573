//! The mode of a route for one request, from its flags.

use crate::flags::{FlagContext, Flags, FlagsSnapshot};
use crate::settings::RouteFlags;
use serde::Serialize;
use std::cell::{Cell, OnceCell};

/// How a route group is served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// The monolith serves; nothing else happens.
    Legacy,
    /// The monolith serves; a copy goes to the new side, compared off the client's path.
    Shadow,
    /// A sticky share of clients is served by the new side.
    Canary,
    /// The new side serves everyone; the monolith is the fallback.
    New,
    /// The new side serves everyone and the legacy side is no longer a
    /// target: no flag asked, no shadow, no fallback (`retired = true`).
    Retired,
}

impl Mode {
    /// The name used in settings, logs, metrics and the admin API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Legacy => "legacy",
            Self::Shadow => "shadow",
            Self::Canary => "canary",
            Self::New => "new",
            Self::Retired => "retired",
        }
    }
}

/// Which side serves one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The monolith.
    Legacy,
    /// The new service.
    New,
}

/// The decision for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// The route's mode as this request sees it.
    pub mode: Mode,
    /// Who serves it.
    pub side: Side,
}

/// Decides for one request: the first stage whose flag is on *for this
/// client* wins, in the order new → canary → shadow. A client outside the
/// canary's rollout is still shadowed when the shadow flag is on for it.
///
/// `ctx` builds the request's flag context; it is called at most once, and
/// only when a flag's answer depends on the request.
pub fn decide(flags: &Flags, route: &RouteFlags, ctx: impl FnOnce() -> FlagContext) -> Decision {
    let (build, built) = (Cell::new(Some(ctx)), OnceCell::new());
    let ctx = || built.get_or_init(|| build.take().map(|f| f()).unwrap_or_default());
    let on = |flag: &Option<String>| {
        flag.as_deref().is_some_and(|f| {
            flags
                .constant(f)
                .unwrap_or_else(|| flags.is_enabled(f, ctx()))
        })
    };
    if on(&route.new) {
        Decision {
            mode: Mode::New,
            side: Side::New,
        }
    } else if on(&route.canary) {
        Decision {
            mode: Mode::Canary,
            side: Side::New,
        }
    } else if on(&route.shadow) {
        Decision {
            mode: Mode::Shadow,
            side: Side::Legacy,
        }
    } else {
        Decision {
            mode: Mode::Legacy,
            side: Side::Legacy,
        }
    }
}

/// The decision for every request of a retired route: the new side, no
/// flag asked.
pub const RETIRED: Decision = Decision {
    mode: Mode::Retired,
    side: Side::New,
};

/// A route's mode as the admin API reports it: `retired` for a retired
/// route, else the furthest stage whose flag is switched on at all (a canary
/// at 0 % is still a canary).
pub fn current_mode(flags: &FlagsSnapshot, route: &crate::routes::Route) -> Mode {
    if route.retired {
        return Mode::Retired;
    }
    let route = &route.flags;
    let on = |flag: &Option<String>| {
        flag.as_deref()
            .is_some_and(|f| flags.flags.iter().any(|s| s.name == f && s.enabled))
    };
    if on(&route.new) {
        Mode::New
    } else if on(&route.canary) {
        Mode::Canary
    } else if on(&route.shadow) {
        Mode::Shadow
    } else {
        Mode::Legacy
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    async fn flags(doc: &str) -> Flags {
        static FILES: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = FILES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("decide-{}-{n}.json", std::process::id()));
        std::fs::write(&path, doc).unwrap();
        let flags = Flags::from_file(&path).await.unwrap();
        std::fs::remove_file(&path).unwrap();
        flags
    }

    fn route() -> RouteFlags {
        RouteFlags {
            shadow: Some("r.shadow".into()),
            canary: Some("r.canary".into()),
            new: Some("r.new".into()),
        }
    }

    #[tokio::test]
    async fn the_context_is_built_only_when_a_flag_depends_on_the_request() {
        let constant = flags(
            r#"{"version": 2, "features": [
              {"name": "r.new", "enabled": false, "strategies": [{"name": "default"}]},
              {"name": "r.canary", "enabled": false, "strategies": [{"name": "default"}]},
              {"name": "r.shadow", "enabled": true, "strategies": [{"name": "default"}]}]}"#,
        )
        .await;
        let built = Cell::new(0);
        let ctx = || {
            built.set(built.get() + 1);
            FlagContext::default()
        };
        assert_eq!(decide(&constant, &route(), ctx).mode, Mode::Shadow);
        assert_eq!(built.get(), 0, "every answer was constant");

        let rollout = flags(
            r#"{"version": 2, "features": [
              {"name": "r.new", "enabled": true, "strategies": [{"name": "userWithId", "parameters": {"userIds": "ada"}}]},
              {"name": "r.canary", "enabled": true, "strategies": [{"name": "userWithId", "parameters": {"userIds": "bob"}}]},
              {"name": "r.shadow", "enabled": false, "strategies": []}]}"#,
        )
        .await;
        let as_user = |user: &'static str| {
            let built = &built;
            move || {
                built.set(built.get() + 1);
                FlagContext {
                    user_id: Some(user.into()),
                    ..FlagContext::default()
                }
            }
        };
        built.set(0);
        assert_eq!(
            decide(&rollout, &route(), as_user("bob")).mode,
            Mode::Canary
        );
        assert_eq!(built.get(), 1, "built once for two flags that needed it");
        assert_eq!(
            decide(&rollout, &route(), as_user("eve")).mode,
            Mode::Legacy
        );
        assert_eq!(decide(&rollout, &route(), as_user("ada")).side, Side::New);
    }
}
