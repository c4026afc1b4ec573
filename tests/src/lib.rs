//! End-to-end tests across processes (the whole stack behind the proxy).
//!
//! Empty until the proxy exists (issue 5); each crate keeps its own
//! integration suite meanwhile.
