//! What the migration benches share: the local stack as a child process
//! ([`running`]).

pub mod running;
