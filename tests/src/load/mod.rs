//! Load through the proxy while a migration happens underneath: many
//! simulated customers reading payments and orders, placing orders and
//! refunding, every outcome and every acknowledged write recorded
//! ([`generator`], [`record`]); a candidate that plants differences or fails
//! on demand ([`candidate`]); the check that no acknowledged write was lost
//! or doubled ([`writes`]); and the chart of a run ([`chart`]).
//!
//! Used by the end-to-end test `under_load` (a few thousand requests, on a
//! stack with sync both ways) and the `bench/migration` scenario (more
//! traffic, release builds, the figures in docs/performance.md).

pub mod candidate;
pub mod chart;
pub mod generator;
pub mod record;
pub mod workload;
pub mod writes;

pub use candidate::{Behaviour, Candidate, Plant};
pub use generator::{Generator, Traffic};
pub use record::{Op, Run, Summary};
pub use workload::Population;
