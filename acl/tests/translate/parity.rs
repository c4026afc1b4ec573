//! `acl::parity`: the comparison a contract test runs against the real
//! monolith and service, here on fixture bodies.

use crate::fixtures::*;
use acl::LegacyClock;
use acl::parity::{Entity, compare};
use serde_json::json;

#[test]
fn a_faithful_pair_has_no_differences() {
    let clock = LegacyClock::default();
    let legacy = json!({"id": 1234, "ord": 77, "amt": 12500, "cur": "EUR", "st": "P",
        "cap": 12500, "rfd": 2550, "pm": "card",
        "crt": "2026-07-15 12:00:00", "upd": "2026-10-25 02:30:00"});
    let v2 = serde_json::to_vec(&payment()).unwrap();
    let diffs = compare(Entity::Payment, &clock, legacy.to_string().as_bytes(), &v2).unwrap();
    assert!(diffs.is_empty(), "{diffs:?}");
}

#[test]
fn a_drifted_pair_names_each_field() {
    let clock = LegacyClock::default();
    let legacy = json!({"sku": "W-1", "nm": "Widget", "px": 1250, "cur": "USD",
        "qty": 11, "rsv": 3, "avl": 8});
    let v2 = serde_json::to_vec(&item()).unwrap();
    let diffs = compare(Entity::Item, &clock, legacy.to_string().as_bytes(), &v2).unwrap();
    let fields: Vec<_> = diffs.iter().map(|d| d.field.to_string()).collect();
    assert_eq!(fields, ["$.avl", "$.qty"]);
}

#[test]
fn a_field_the_legacy_contract_does_not_know_is_an_error() {
    let clock = LegacyClock::default();
    let legacy = json!({"id": 9, "pay": 1234, "amt": 2550, "cur": "EUR", "rsn": "damaged",
        "crt": "2026-01-15 12:00:00", "note": "new"});
    let v2 = serde_json::to_vec(&refund()).unwrap();
    let err = compare(Entity::Refund, &clock, legacy.to_string().as_bytes(), &v2).unwrap_err();
    assert!(err.to_string().contains("note"), "{err}");
}
