//! Shadow traffic: a copy of each request goes to the new service, its answer is
//! compared with the monolith's off the client's path, and the results are kept.

pub mod compare;
pub mod mirror;
pub mod store;
