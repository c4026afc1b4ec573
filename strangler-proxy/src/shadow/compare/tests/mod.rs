//! Unit and property tests of the comparison engine, one file per concern.

mod body;
mod noise;
mod props;
mod redaction;
mod report;
mod rules;

use serde_json::{Value, json};

use super::{Comparison, Difference, DifferenceKind, Observed, Response, Rules, RulesConfig};

/// Rules from a JSON rules document (the shape a settings file gives).
fn rules(config: Value) -> Rules {
    let config: RulesConfig = serde_json::from_value(config).unwrap();
    Rules::new(config).unwrap()
}

fn defaults() -> Rules {
    Rules::new(RulesConfig::default()).unwrap()
}

fn ok(body: Value) -> Response {
    Response::json(200, &body)
}

fn only(comparison: &Comparison) -> &Difference {
    assert_eq!(comparison.differences.len(), 1, "{comparison:#?}");
    &comparison.differences[0]
}

fn present(v: Value) -> Observed {
    Observed::Present(v)
}

fn order() -> Value {
    json!({
        "id": 41, "cust": 7, "st": "C", "cur": "EUR", "tot": 2598,
        "lines": [
            {"sku": "A-1", "qty": 1, "px": 999, "amt": 999},
            {"sku": "B-2", "qty": 2, "px": 799, "amt": 1598},
            {"sku": "C-3", "qty": 1, "px": 1, "amt": 1}
        ],
        "pay": 3, "inv": 5, "crt": "2026-11-24 10:00:00", "upd": "2026-11-24 10:00:00"
    })
}

#[allow(dead_code)]
fn kinds(comparison: &Comparison) -> Vec<DifferenceKind> {
    comparison.differences.iter().map(|d| d.kind).collect()
}
