//! The mode of a route for one request, from its flags.

use crate::flags::{FlagContext, Flags, FlagsSnapshot};
use crate::settings::RouteFlags;
use serde::Serialize;

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
}

impl Mode {
    /// The name used in settings, logs, metrics and the admin API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Legacy => "legacy",
            Self::Shadow => "shadow",
            Self::Canary => "canary",
            Self::New => "new",
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
pub fn decide(flags: &Flags, route: &RouteFlags, ctx: &FlagContext) -> Decision {
    let on = |flag: &Option<String>| flag.as_deref().is_some_and(|f| flags.is_enabled(f, ctx));
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

/// A route's mode as the admin API reports it: the furthest stage whose flag is
/// switched on at all (a canary at 0 % is still a canary).
pub fn current_mode(flags: &FlagsSnapshot, route: &RouteFlags) -> Mode {
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
