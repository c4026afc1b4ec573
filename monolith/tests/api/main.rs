//! The monolith's integration suite: the legacy `/api/v1` over real HTTP on
//! loopback, every test on SQLite and on PostgreSQL; the order and payment
//! tests also with the payment service (a real one on loopback) owning the
//! payments through the payments port's remote implementation.

#![allow(clippy::unwrap_used, clippy::expect_used)]

/// For each `async fn name(backend: TestBackend, port: Port)` in scope: the
/// test with the in-process payments port and with the payment service as the
/// owner (`in_process::…`, `remote::…`), each on both backends.
#[macro_export]
macro_rules! both_ports {
    ($($name:ident),+ $(,)?) => {
        mod in_process {
            $(
                async fn $name(backend: ::platform::testing::TestBackend) {
                    super::$name(backend, $crate::helpers::Port::InProcess).await
                }
            )+
            ::platform::both_backends!($($name),+);
        }
        mod remote {
            $(
                async fn $name(backend: ::platform::testing::TestBackend) {
                    super::$name(backend, $crate::helpers::Port::Remote).await
                }
            )+
            ::platform::both_backends!($($name),+);
        }
    };
}

mod bad_input;
mod concurrency;
mod export;
mod fulfillment_sync;
mod handover;
mod helpers;
mod order_flow;
mod order_owner;
mod owner_reads;
mod payments;
mod platform_behaviour;
mod retire;
mod sync;
