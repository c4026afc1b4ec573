//! One reading of one sync direction of a data context, as the proxy keeps,
//! shows and judges it.

use chrono::{DateTime, Utc};
use platform::relay::Transport;
use serde::{Deserialize, Serialize};

/// Which way changes travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// The monolith's changes to the new service (read from the monolith).
    LegacyToNew,
    /// The new service's changes to the monolith (read from the service).
    NewToLegacy,
}

impl Direction {
    /// Both, in the order they are shown.
    pub const BOTH: [Self; 2] = [Self::LegacyToNew, Self::NewToLegacy];

    /// The metric label: `legacy_to_new`, `new_to_legacy`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LegacyToNew => "legacy_to_new",
            Self::NewToLegacy => "new_to_legacy",
        }
    }

    /// For people: `legacy → new`.
    pub fn arrow(self) -> &'static str {
        match self {
            Self::LegacyToNew => "legacy → new",
            Self::NewToLegacy => "new → legacy",
        }
    }

    /// The origin the side read for this direction reports (`platform::sync`).
    pub fn origin(self) -> &'static str {
        match self {
            Self::LegacyToNew => "legacy",
            Self::NewToLegacy => "new",
        }
    }
}

/// What a side answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Measured {
    /// Its `GET /sync/status`.
    Known {
        /// Sync changes not yet delivered.
        pending: i64,
        /// Age of the oldest of them in seconds (0: none waits).
        lag_seconds: f64,
        /// How its relay runs.
        relay: Transport,
    },
    /// It could not be read: never 0, always this.
    Unknown {
        /// Why.
        error: String,
    },
}

/// The last reading of one direction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncReading {
    /// The data context (a route's `data`).
    pub context: String,
    /// Which way.
    pub direction: Direction,
    /// The side read (its base URL).
    pub upstream: String,
    /// When.
    pub read_at: DateTime<Utc>,
    /// What it said.
    #[serde(flatten)]
    pub measured: Measured,
}

impl SyncReading {
    /// The lag in words: `4.2 s (3 pending)`, `off (3 pending)`, or
    /// `unknown: <why>`.
    pub fn lag_text(&self) -> String {
        match &self.measured {
            Measured::Known {
                relay: Transport::Off,
                pending,
                ..
            } => format!("off, no relay ({pending} pending)"),
            Measured::Known {
                pending,
                lag_seconds,
                ..
            } => format!("{lag_seconds:.1} s ({pending} pending)"),
            Measured::Unknown { error } => format!("unknown: {error}"),
        }
    }
}
