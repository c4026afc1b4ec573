//! Helpers shared by the proxy's integration tests, one module each; every
//! test file takes them with a single `mod support;`.

// Each file under tests/ is its own test binary and uses only some of these
// helpers, so what one binary leaves unused is not dead code of the suite.
#![allow(dead_code)]

pub mod metrics;
pub mod proxy;
pub mod raw_http;
pub mod shadow_results;
pub mod unleash_files;
pub mod unleash_server;
pub mod unleash_tools;
pub mod upstreams;
