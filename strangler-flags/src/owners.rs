//! Which way records may have moved when the flags changed: an
//! [`OwnersWatch`] follows a set of **owner flags** (flags whose "on" means a
//! record belongs to the new side: a route's `canary` and `new` flags,
//! OR-ed), remembers their definitions at the last generation it looked at
//! ([`Flags::generation`]), and on a new generation compares them.
//!
//! It answers from the definitions alone, never by evaluating keys: a
//! rollout that grows moves records to the new side only (Unleash's
//! stickiness keeps every key already in), one that shrinks moves them back
//! only, a flag switched on or off moves them one way; any other change (a
//! strategy, a constraint, a list of users) may move records both ways. A
//! flag on for everybody before the change means no record can have moved to
//! the new side (they all were there), on for everybody after means none can
//! have moved back. Only what decides an answer is compared (enabled,
//! strategies with their constraints and parameters, parent flags), so an
//! edit of a description is no move.

use crate::Flags;
use crate::engine::constant_answer;
use serde::Serialize;
use std::collections::HashMap;
use unleash_types::client_features::{ClientFeature, ClientFeatures};

/// Which ways records may have moved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Moves {
    /// Some records may now belong to the new side that did not.
    pub to_new: bool,
    /// Some records may now belong to the legacy side that did not.
    pub to_legacy: bool,
}

impl Moves {
    /// No record moved.
    pub const NONE: Self = Self {
        to_new: false,
        to_legacy: false,
    };

    /// Whether any record may have moved.
    pub fn any(self) -> bool {
        self.to_new || self.to_legacy
    }

    /// Both sets of ways.
    #[must_use]
    pub fn union(self, other: Self) -> Self {
        Self {
            to_new: self.to_new || other.to_new,
            to_legacy: self.to_legacy || other.to_legacy,
        }
    }

    /// For people: `to new`, `to legacy`, `both ways`, `none`.
    pub fn describe(self) -> &'static str {
        match (self.to_new, self.to_legacy) {
            (true, true) => "both ways",
            (true, false) => "to new",
            (false, true) => "to legacy",
            (false, false) => "none",
        }
    }
}

/// Follows the definitions of a set of owner flags across generations.
pub struct OwnersWatch {
    names: Vec<String>,
    seen: u64,
    definitions: Vec<Reach>,
}

impl OwnersWatch {
    /// Starts from the definitions `flags` holds now.
    pub fn new(flags: &Flags, names: Vec<String>) -> Self {
        let (seen, document) = flags.document();
        let definitions = reaches(&document, &names);
        Self {
            names,
            seen,
            definitions,
        }
    }

    /// The owner flags followed.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The generation last looked at.
    pub fn seen(&self) -> u64 {
        self.seen
    }

    /// Looks at the generation `flags` holds now: which ways records may
    /// have moved since the last look ([`Moves::NONE`] when nothing that
    /// decides ownership changed, or the generation is the same).
    pub fn look(&mut self, flags: &Flags) -> Moves {
        if flags.generation() == self.seen {
            return Moves::NONE;
        }
        let (generation, document) = flags.document();
        let now = reaches(&document, &self.names);
        let moves = moves_between(&self.definitions, &now);
        self.seen = generation;
        self.definitions = now;
        moves
    }
}

/// Who an owner flag is on for, as far as the definition tells.
#[derive(Debug, Clone, PartialEq)]
enum Reach {
    Nobody,
    Everybody,
    /// One rollout strategy, no constraints: the same `rest` with a larger
    /// `percent` holds every key the smaller one held.
    Rollout {
        rest: serde_json::Value,
        percent: f64,
    },
    /// Anything else, compared whole.
    Other(serde_json::Value),
}

fn reaches(document: &ClientFeatures, names: &[String]) -> Vec<Reach> {
    let by_name: HashMap<&str, &ClientFeature> = document
        .features
        .iter()
        .map(|f| (f.name.as_str(), f))
        .collect();
    names
        .iter()
        .map(|name| {
            by_name
                .get(name.as_str())
                .map_or(Reach::Nobody, |f| reach(f))
        })
        .collect()
}

fn reach(feature: &ClientFeature) -> Reach {
    match constant_answer(feature) {
        Some(false) => return Reach::Nobody,
        Some(true) => return Reach::Everybody,
        None => {}
    }
    let strategies = feature.strategies.as_deref().unwrap_or_default();
    let unconditional = feature.dependencies.as_ref().is_none_or(Vec::is_empty);
    if let [strategy] = strategies
        && unconditional
        && strategy.constraints.as_ref().is_none_or(Vec::is_empty)
        && strategy.segments.as_ref().is_none_or(Vec::is_empty)
        && let Some(key) = percent_key(&strategy.name)
    {
        let mut params = strategy.parameters.clone().unwrap_or_default();
        if let Some(percent) = params
            .remove(key)
            .and_then(|p| p.trim().parse::<f64>().ok())
        {
            let mut rest: Vec<(String, String)> = params.into_iter().collect();
            rest.sort();
            return Reach::Rollout {
                rest: serde_json::json!([strategy.name, rest]),
                percent,
            };
        }
    }
    let mut strategies = strategies.to_vec();
    strategies.sort();
    Reach::Other(serde_json::json!([
        serde_json::to_value(&strategies).unwrap_or_default(),
        serde_json::to_value(&feature.dependencies).unwrap_or_default(),
    ]))
}

/// The parameter holding a rollout strategy's percentage.
fn percent_key(strategy: &str) -> Option<&'static str> {
    match strategy {
        "flexibleRollout" => Some("rollout"),
        "gradualRolloutUserId" | "gradualRolloutSessionId" => Some("percentage"),
        _ => None,
    }
}

fn moves_between(before: &[Reach], after: &[Reach]) -> Moves {
    let all = |reaches: &[Reach]| reaches.contains(&Reach::Everybody);
    let mut moves = before
        .iter()
        .zip(after)
        .fold(Moves::NONE, |moves, (b, a)| moves.union(one(b, a)));
    // The flags are OR-ed: one on for everybody owns every record for all.
    if all(before) {
        moves.to_new = false;
    }
    if all(after) {
        moves.to_legacy = false;
    }
    moves
}

fn one(before: &Reach, after: &Reach) -> Moves {
    let to_new = Moves {
        to_new: true,
        to_legacy: false,
    };
    let to_legacy = Moves {
        to_new: false,
        to_legacy: true,
    };
    match (before, after) {
        (b, a) if b == a => Moves::NONE,
        (Reach::Nobody, _) | (_, Reach::Everybody) => to_new,
        (_, Reach::Nobody) | (Reach::Everybody, _) => to_legacy,
        (
            Reach::Rollout {
                rest: b,
                percent: from,
            },
            Reach::Rollout {
                rest: a,
                percent: to,
            },
        ) if a == b => {
            if to > from {
                to_new
            } else {
                to_legacy
            }
        }
        _ => to_new.union(to_legacy),
    }
}

#[cfg(test)]
mod tests;
