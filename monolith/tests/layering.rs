//! The layering rule of DESIGN.md for the monolith: it may speak the payment
//! service's published contract (`payment-api`), translate through the ACL and
//! read the route's flags (`strangler-flags`) — branch by abstraction — but it
//! never depends on the proxy or on a service's code.

#![allow(clippy::unwrap_used, clippy::expect_used)]

/// The names under `[dependencies]` of a manifest.
fn dependencies(manifest: &str) -> Vec<&str> {
    manifest
        .lines()
        .skip_while(|l| l.trim() != "[dependencies]")
        .skip(1)
        .take_while(|l| !l.starts_with('['))
        .filter_map(|l| l.split(['=', '.']).next())
        .map(str::trim)
        .filter(|name| !name.is_empty() && !name.starts_with('#'))
        .collect()
}

#[test]
fn the_monolith_depends_on_contracts_not_on_deployables() {
    let deps = dependencies(include_str!("../Cargo.toml"));
    for allowed in ["acl", "payment-api", "strangler-flags"] {
        assert!(deps.contains(&allowed), "{allowed} missing from {deps:?}");
    }
    for forbidden in [
        "strangler-proxy",
        "payment",
        "fulfillment",
        "strangler-data",
    ] {
        assert!(
            !deps.contains(&forbidden),
            "the monolith must not depend on `{forbidden}`"
        );
    }
}

#[test]
fn the_acl_and_the_flags_never_depend_on_the_monolith() {
    for (name, manifest) in [
        ("acl", include_str!("../../acl/Cargo.toml")),
        (
            "strangler-flags",
            include_str!("../../strangler-flags/Cargo.toml"),
        ),
    ] {
        let deps = dependencies(manifest);
        for forbidden in ["monolith", "strangler-proxy", "payment", "fulfillment"] {
            assert!(
                !deps.contains(&forbidden),
                "{name} must not depend on `{forbidden}`"
            );
        }
    }
}

#[test]
fn the_reader_finds_dependencies() {
    let manifest = "[package]\nname = \"x\"\n[dependencies]\n# why\nacl.workspace = true\nserde = \"1\"\n[dev-dependencies]\nmonolith = \"1\"\n";
    assert_eq!(dependencies(manifest), vec!["acl", "serde"]);
}
