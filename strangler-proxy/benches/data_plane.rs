//! Micro-benchmarks of the per-request stages that are pure computation:
//! route matching in a 200-route table (with and without normalising the
//! path first), building the flag context and
//! deciding a route's mode, and translating one payment through the ACL.
//! `cargo bench -p strangler-proxy --bench data_plane`; `bench/proxy` copies
//! the figures into `docs/performance.md`.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use acl::{Method as AclMethod, Request as AclRequest, Response as AclResponse, Step};
use criterion::{Criterion, criterion_group, criterion_main};
use http::{HeaderMap, HeaderValue, Method};
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use strangler_proxy::flags::Flags;
use strangler_proxy::proxy::decide::{Mode, decide};
use strangler_proxy::proxy::identity::{self, IdentityHeaders};
use strangler_proxy::routes::{RouteTable, path};
use strangler_proxy::settings::Settings;
use strangler_proxy::stats::Stats;

const ROUTES: usize = 200;

/// A scratch directory for the settings and flags files, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("strangler-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// 200 route groups of the shapes real tables have: a resource, its
/// sub-collection, a catch-all, a method-restricted one, plus the payments
/// group with its flags.
fn settings_text(flags: &Path) -> String {
    let mut text = format!(
        "[proxy]\nlegacy = \"http://127.0.0.1:9\"\n[admin]\ntoken = \"bench-admin-token-0123456789\"\n\
         [flags]\nfile = \"{}\"\n[shadow]\ndatabase_url = \"sqlite://:memory:\"\n",
        flags.display()
    );
    for i in 0..ROUTES - 1 {
        let (pattern, methods) = match i % 4 {
            0 => (format!("/api/v1/res{i}/{{id}}"), ""),
            1 => (format!("/api/v1/res{i}/{{id}}/items/{{item}}"), ""),
            2 => (format!("/api/v1/res{i}/**"), ""),
            _ => (
                format!("/api/v2/groups/{{g}}/res{i}"),
                "methods = [\"GET\"]\n",
            ),
        };
        text.push_str(&format!(
            "[[routes]]\nname = \"r{i}\"\npatterns = [\"{pattern}\"]\n{methods}\
             new = \"http://127.0.0.1:9\"\n[routes.flags]\nshadow = \"r{i}.shadow\"\n"
        ));
    }
    text.push_str(
        "[[routes]]\nname = \"payments\"\npatterns = [\"/api/v1/payments/{id}\", \
         \"/api/v1/payments/{id}/refunds\"]\nnew = \"http://127.0.0.1:9\"\n\
         translator = \"payments\"\ncustomer_param = \"id\"\n[routes.flags]\n\
         shadow = \"payments.shadow\"\ncanary = \"payments.canary\"\nnew = \"payments.new\"\n",
    );
    text
}

const FLAGS: &str = r#"{"version": 2, "features": [
  {"name": "payments.shadow", "enabled": true, "strategies": [{"name": "flexibleRollout", "parameters": {"rollout": "100", "stickiness": "userId", "groupId": "payments"}}]},
  {"name": "payments.canary", "enabled": true, "strategies": [{"name": "flexibleRollout", "parameters": {"rollout": "10", "stickiness": "userId", "groupId": "payments"}}]},
  {"name": "payments.new", "enabled": false, "strategies": [{"name": "default"}]}
]}"#;

struct Fixture {
    settings: Settings,
    table: RouteTable,
    flags: Flags,
    _runtime: tokio::runtime::Runtime,
    _scratch: Scratch,
}

fn fixture() -> Fixture {
    let scratch = Scratch::new();
    let flags_path = scratch.write("flags.json", FLAGS);
    let config = scratch.write("strangler.toml", &settings_text(&flags_path));
    let settings = Settings::load(Some(&config)).unwrap();
    let table = RouteTable::build(&settings, &settings.registry(), &Stats::new().unwrap()).unwrap();
    assert_eq!(table.routes().len(), ROUTES);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let flags = runtime.block_on(Flags::from_file(flags_path)).unwrap();
    Fixture {
        settings,
        table,
        flags,
        _runtime: runtime,
        _scratch: scratch,
    }
}

fn route_matching(c: &mut Criterion, f: &Fixture) {
    let cases = [
        ("literal_and_param", Method::GET, "/api/v1/res100/42"),
        ("two_params", Method::GET, "/api/v1/res197/42/items/7"),
        ("catch_all", Method::POST, "/api/v1/res150/a/b/c"),
        ("param_then_literal", Method::GET, "/api/v2/groups/9/res195"),
        ("unrouted", Method::GET, "/api/v1/customers/42/orders"),
    ];
    let mut group = c.benchmark_group(format!("route_match/{ROUTES}_routes"));
    for (name, method, path) in cases {
        // The table must answer as the case's name says before it is timed.
        let found = f.table.find(&method, path).map(|(r, _)| r.name.clone());
        assert_eq!(found.is_none(), name == "unrouted", "{path} -> {found:?}");
        group.bench_function(name, |b| {
            b.iter(|| black_box(f.table.find(black_box(&method), black_box(path))).is_some())
        });
    }
    group.finish();
}

/// What normalising the path before matching adds (`route_match/*` is the
/// baseline of the same run): nothing to do for a normal path, which is
/// checked in one pass and borrowed; a path to rewrite pays an allocation.
fn path_normalisation(c: &mut Criterion, f: &Fixture) {
    let cases = [
        ("normal_then_match", "/api/v1/res100/42"),
        ("normal_two_params_then_match", "/api/v1/res197/42/items/7"),
        ("rewritten_then_match", "/api/v1/%72es100//./42"),
    ];
    let mut group = c.benchmark_group(format!("path_normalise/{ROUTES}_routes"));
    for (name, path) in cases {
        let normal = path::normalize(path).unwrap();
        assert!(f.table.find(&Method::GET, &normal).is_some(), "{path}");
        group.bench_function(name, |b| {
            b.iter(|| {
                let normal = path::normalize(black_box(path)).unwrap();
                black_box(f.table.find(black_box(&Method::GET), &normal)).is_some()
            })
        });
    }
    group.finish();
}

/// What a start or a reload spends compiling the table (every route's
/// matcher, flags, guard and comparison rules).
fn table_build(c: &mut Criterion, f: &Fixture) {
    let (registry, stats) = (f.settings.registry(), Stats::new().unwrap());
    c.bench_function(&format!("route_table/build_{ROUTES}_routes"), |b| {
        b.iter(|| black_box(RouteTable::build(&f.settings, &registry, &stats).unwrap()))
    });
}

fn flag_evaluation(c: &mut Criterion, f: &Fixture) {
    let names = IdentityHeaders {
        user: http::HeaderName::from_bytes(f.settings.proxy.identity_header.as_bytes()).unwrap(),
        session: http::HeaderName::from_bytes(f.settings.proxy.session_header.as_bytes()).unwrap(),
    };
    let mut headers = HeaderMap::new();
    headers.insert("x-customer-id", HeaderValue::from_static("customer-4711"));
    headers.insert("accept", HeaderValue::from_static("application/json"));
    let peer = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let path = "/api/v1/payments/1234";
    let (route, found) = f.table.find(&Method::GET, path).unwrap();
    let ctx = identity::context(
        &headers,
        &names,
        &route.name,
        None,
        None,
        &found.params,
        peer,
    );
    // new is off, the canary (10 %) may or may not take this customer, shadow is on.
    assert_ne!(
        decide(&f.flags, &route.flags, || ctx.clone()).mode,
        Mode::Legacy
    );

    let mut group = c.benchmark_group("flags");
    group.bench_function("context_and_decide", |b| {
        b.iter(|| {
            let (route, found) = f.table.find(&Method::GET, black_box(path)).unwrap();
            let ctx = || {
                identity::context(
                    black_box(&headers),
                    &names,
                    &route.name,
                    route.customer_param.as_deref(),
                    route.record_param.as_deref(),
                    &found.params,
                    peer,
                )
            };
            black_box(decide(&f.flags, &route.flags, ctx))
        })
    });
    group.bench_function("is_enabled", |b| {
        b.iter(|| black_box(f.flags.is_enabled(black_box("payments.shadow"), &ctx)))
    });
    group.finish();
}

const PAYMENT_V2: &str = r#"{"id":"00000000-0000-0000-0000-000000000001","legacy_id":1234,
"order_id":"00000000-0000-0000-0000-000000000002","order_legacy_id":77,"customer_id":null,
"customer_legacy_id":5,"method":"card","status":"partially_refunded",
"amount":{"amount":"125.00","currency":"EUR"},"captured":{"amount":"125.00","currency":"EUR"},
"refunded":{"amount":"25.50","currency":"EUR"},"failure_reason":null,"version":3,
"created_at":"2026-07-15T10:00:00Z","updated_at":"2026-10-25T01:30:00Z"}"#;

fn payment_translation(c: &mut Criterion, f: &Fixture) {
    let translator = f.settings.registry().get("payments").unwrap();
    let legacy = AclRequest::new(AclMethod::Get, "/api/v1/payments/1234")
        .with_header("accept", "application/json");
    let v2 = AclResponse::new(200)
        .with_header("content-type", "application/json")
        .with_body(PAYMENT_V2.as_bytes().to_vec());
    let translate = || {
        let exchange = translator.start(&legacy).unwrap();
        match exchange.respond(&v2).unwrap() {
            Step::Reply(answer) => answer,
            Step::Call(_) => panic!("a payment is one v2 call"),
        }
    };
    let answer = translate();
    assert_eq!(answer.status, 200);
    let body: serde_json::Value = serde_json::from_slice(&answer.body).unwrap();
    assert_eq!(body["id"], 1234);

    c.bench_function("acl/payment_get_translation", |b| {
        b.iter(|| black_box(translate()))
    });
}

fn benches(c: &mut Criterion) {
    let f = fixture();
    route_matching(c, &f);
    path_normalisation(c, &f);
    table_build(c, &f);
    flag_evaluation(c, &f);
    payment_translation(c, &f);
}

criterion_group!(data_plane, benches);
criterion_main!(data_plane);
