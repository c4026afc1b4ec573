//! The layering rule of DESIGN.md for the data tools: they see the monolith
//! and the services from outside (HTTP, published contracts, read-only
//! SQL), so they must never depend on the monolith's or a service's code.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[test]
fn the_data_tools_depend_on_no_deployable() {
    let manifest = include_str!("../Cargo.toml");
    let deps: Vec<&str> = manifest
        .lines()
        .skip_while(|l| l.trim() != "[dependencies]")
        .skip(1)
        .take_while(|l| !l.starts_with('['))
        .filter_map(|l| l.split(['=', '.']).next())
        .map(str::trim)
        .filter(|name| !name.is_empty() && !name.starts_with('#'))
        .collect();
    assert!(
        deps.contains(&"acl") && deps.contains(&"payment-api"),
        "{deps:?}"
    );
    for forbidden in ["monolith", "payment", "fulfillment", "strangler-proxy"] {
        assert!(
            !deps.contains(&forbidden),
            "strangler-data must not depend on `{forbidden}`"
        );
    }
}
