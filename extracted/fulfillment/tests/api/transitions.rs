//! Every illegal transition is a 409 problem naming the current and the
//! requested state, and changes nothing.

use crate::helpers::{TestApp, problem, spawn};
use platform::testing::TestBackend;
use serde_json::Value;

/// The command that requests each state.
const COMMANDS: [(&str, &str); 4] = [
    ("confirm", "confirmed"),
    ("ship", "shipped"),
    ("deliver", "delivered"),
    ("cancel", "cancelled"),
];

async fn order_in(app: &TestApp, state: &str) -> String {
    let order = app.place(&[("T-1", 1)]).await;
    let id = order["id"].as_str().unwrap().to_owned();
    let path: &[&str] = match state {
        "pending" => &[],
        "confirmed" => &["confirm"],
        "shipped" => &["confirm", "ship"],
        "delivered" => &["confirm", "ship", "deliver"],
        "cancelled" => &["cancel"],
        other => panic!("no such state {other}"),
    };
    for step in path {
        let res = match *step {
            "confirm" => app.confirm(&id).await,
            "ship" => app.ship(&id).await,
            other => app.command(&id, other, None).await,
        };
        assert!(res.status().is_success(), "{step} failed");
    }
    id
}

async fn every_illegal_transition_is_a_409(backend: TestBackend) {
    let app = spawn(backend).await;
    app.stock("T-1", "1.00", 100).await;
    let legal = [
        ("pending", "confirmed"),
        ("pending", "cancelled"),
        ("confirmed", "shipped"),
        ("confirmed", "cancelled"),
        ("shipped", "delivered"),
    ];
    for from in ["pending", "confirmed", "shipped", "delivered", "cancelled"] {
        for (command, to) in COMMANDS {
            if legal.contains(&(from, to)) {
                continue;
            }
            let id = order_in(&app, from).await;
            let body = (command == "ship").then(|| serde_json::json!({"carrier": "DHL"}));
            let res = app.command(&id, command, body).await;
            let p = problem(res, 409).await;
            assert_eq!(p["current_state"], from, "{from} → {to}");
            assert_eq!(p["requested_state"], to, "{from} → {to}");
            let detail = p["detail"].as_str().unwrap();
            assert!(detail.contains(from) && detail.contains(to), "{detail}");
            let (_, after): (u16, Value) = app.get_json(&format!("/v2/orders/{id}")).await;
            assert_eq!(
                after["state"], from,
                "a refused {command} changed the order"
            );
        }
    }
}

async fn a_delivered_shipment_cannot_be_delivered_again(backend: TestBackend) {
    let app = spawn(backend).await;
    app.stock("T-1", "1.00", 1).await;
    let id = order_in(&app, "delivered").await;
    let (_, order) = app.get_json(&format!("/v2/orders/{id}")).await;
    let shipment = order["shipment_id"].as_str().unwrap();
    let res = app
        .request(
            reqwest::Method::POST,
            &format!("/v2/shipments/{shipment}/deliver"),
        )
        .send()
        .await
        .unwrap();
    let p = problem(res, 409).await;
    assert_eq!(p["current_state"], "delivered");
}

async fn unknown_orders_are_404(backend: TestBackend) {
    let app = spawn(backend).await;
    let id = uuid::Uuid::new_v4();
    for command in ["confirm", "deliver", "cancel"] {
        problem(app.command(&id.to_string(), command, None).await, 404).await;
    }
}

platform::both_backends!(
    every_illegal_transition_is_a_409,
    a_delivered_shipment_cannot_be_delivered_again,
    unknown_orders_are_404
);
