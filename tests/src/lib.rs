//! End-to-end tests across processes: the monolith, the extracted services and
//! the strangler proxy, each a real server on loopback, driven as a client
//! would drive them. The tests live in `tests/`; this library holds what a
//! benchmark reuses: the load of a migration under traffic ([`load`]).

pub mod load;
