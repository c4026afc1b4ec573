//! Contract tests against the real processes: one scenario of legacy requests,
//! run directly on the monolith and through the proxy with the route on the
//! new service (fulfillment, through the ACL), gives the same legacy-shaped
//! answers. A change of either side's contract fails here.

use crate::stack::Stack;
use platform::testing::TestBackend;
use reqwest::Method;
use serde_json::{Value, json};

platform::both_backends!(inventory_answers_alike_on_both_sides);

/// What a legacy client can observe of one answer.
#[derive(Debug, PartialEq)]
struct Observed {
    status: u16,
    problem: bool,
    /// The body of a success; problems are compared by status and media type
    /// (their wording may differ).
    body: Option<Value>,
}

async fn scenario(stack: &Stack, base: &str) -> Vec<Observed> {
    let steps: Vec<(Method, &str, Option<Value>)> = vec![
        (
            Method::PUT,
            "/api/v1/inventory/SKU-C1",
            Some(json!({"nm": "Contract widget", "px": 1250, "cur": "EUR"})),
        ),
        (
            Method::POST,
            "/api/v1/inventory/SKU-C1/adjust",
            Some(json!({"dq": 10, "rsn": "restock"})),
        ),
        (Method::GET, "/api/v1/inventory/SKU-C1", None),
        (
            Method::PUT,
            "/api/v1/inventory/SKU-C1",
            Some(json!({"nm": "Contract widget v2", "px": 1300, "cur": "EUR"})),
        ),
        (
            Method::POST,
            "/api/v1/inventory/SKU-C1/adjust",
            Some(json!({"dq": -4, "rsn": "damaged"})),
        ),
        (
            Method::POST,
            "/api/v1/inventory/SKU-C1/adjust",
            Some(json!({"dq": -100, "rsn": "too many"})),
        ),
        (
            Method::PUT,
            "/api/v1/inventory/SKU-JPY",
            Some(json!({"nm": "Yen item", "px": 500, "cur": "JPY"})),
        ),
        (Method::GET, "/api/v1/inventory/SKU-JPY", None),
        (Method::GET, "/api/v1/inventory/NO-SUCH-SKU", None),
        (
            Method::PUT,
            "/api/v1/inventory/SKU-C2",
            Some(json!({"nm": "Bad currency", "px": 100, "cur": "XYZ"})),
        ),
        (
            Method::PUT,
            "/api/v1/inventory/SKU-C2",
            Some(json!({"nm": "Negative", "px": -1, "cur": "EUR"})),
        ),
        (
            Method::POST,
            "/api/v1/inventory/NO-SUCH-SKU/adjust",
            Some(json!({"dq": 1, "rsn": "x"})),
        ),
    ];
    let mut seen = Vec::new();
    for (method, path, body) in steps {
        let mut req = stack.client.request(method, format!("{base}{path}"));
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let problem = res
            .headers()
            .get("content-type")
            .is_some_and(|v| v == "application/problem+json");
        let body: Value = res.json().await.unwrap_or(Value::Null);
        seen.push(Observed {
            status,
            problem,
            body: (!problem).then_some(body),
        });
    }
    seen
}

async fn inventory_answers_alike_on_both_sides(backend: TestBackend) {
    let stack = Stack::start(backend).await;
    let on_monolith = scenario(&stack, &stack.monolith).await;
    assert_eq!(
        on_monolith[2].body.as_ref().unwrap()["avl"],
        10,
        "the scenario itself works"
    );

    stack.enable("inventory.new");
    stack
        .wait_for_backend(None, "/api/v1/inventory/ANY", "new")
        .await;
    let through_acl = scenario(&stack, &stack.proxy).await;
    for (i, (legacy, new)) in on_monolith.iter().zip(&through_acl).enumerate() {
        assert_eq!(
            legacy, new,
            "step {i} differs between the monolith and the new side"
        );
    }
}
