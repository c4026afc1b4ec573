//! Contract tests against the real processes: one scenario of legacy requests,
//! run directly on the monolith and through the proxy with the route on the
//! new service (fulfillment, through the ACL), gives the same legacy-shaped
//! answers. A change of either side's contract fails here.

use crate::stack::Stack;
use platform::testing::TestBackend;
use reqwest::Method;
use serde_json::{Value, json};

platform::both_backends!(
    inventory_answers_alike_on_both_sides,
    orders_answer_alike_through_the_saga
);

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
        let (observed, _) = observe(req.send().await.unwrap(), Value::clone).await;
        seen.push(observed);
    }
    seen
}

/// What a legacy client observes of `res` (a success body seen through
/// `view`), and the body.
async fn observe(res: reqwest::Response, view: fn(&Value) -> Value) -> (Observed, Value) {
    let status = res.status().as_u16();
    let problem = res
        .headers()
        .get("content-type")
        .is_some_and(|v| v == "application/problem+json");
    let body: Value = res.json().await.unwrap_or(Value::Null);
    let observed = Observed {
        status,
        problem,
        body: (!problem).then(|| view(&body)),
    };
    (observed, body)
}

async fn inventory_answers_alike_on_both_sides(backend: TestBackend) {
    let stack = Stack::start(backend).await;
    let on_monolith = scenario(&stack, &stack.monolith).await;
    assert_eq!(
        on_monolith[2].body.as_ref().unwrap()["avl"],
        10,
        "the scenario itself works"
    );

    stack.flags.enable("inventory.new");
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

/// What a legacy client can observe of an order answer. Ids and times differ
/// between two systems by nature; whether a payment and an invoice are
/// recorded (`pay`, `inv`) does not: the saga issues the invoice as the
/// monolith does.
fn order_view(body: &Value) -> Value {
    json!({"cust": body["cust"], "st": body["st"], "cur": body["cur"], "tot": body["tot"],
        "lines": body["lines"], "paid": !body["pay"].is_null(),
        "invoiced": !body["inv"].is_null()})
}

/// A legacy client of `base` (as customer `who`, if given) keeping what it
/// saw of each order answer.
struct OrderClient<'a> {
    stack: &'a Stack,
    base: &'a str,
    who: Option<&'a str>,
    seen: Vec<Observed>,
}

impl OrderClient<'_> {
    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let req = self
            .stack
            .client
            .request(method, format!("{}{path}", self.base));
        match self.who {
            Some(c) => req.header("x-customer-id", c),
            None => req,
        }
    }

    async fn post(&mut self, path: &str, body: Option<Value>) -> Value {
        let mut req = self.request(Method::POST, path);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let (observed, body) = observe(req.send().await.unwrap(), order_view).await;
        self.seen.push(observed);
        body
    }

    /// Stocks `sku` with exactly 3 units available (a side may keep what an
    /// earlier run left).
    async fn stock_three(&self, sku: &str) {
        let path = format!("/api/v1/inventory/{sku}");
        let put = json!({"nm": "Saga widget", "px": 1250, "cur": "EUR"});
        let res = self.request(Method::PUT, &path).json(&put).send().await;
        let item: Value = res.unwrap().json().await.unwrap();
        let missing = 3 - item["avl"].as_i64().unwrap();
        if missing != 0 {
            let restock = json!({"dq": missing, "rsn": "contract run"});
            let res = self
                .request(Method::POST, &format!("{path}/adjust"))
                .json(&restock);
            assert!(res.send().await.unwrap().status().is_success());
        }
    }
}

/// Places, captures, cancels and ships orders at `base` (after stocking the
/// item there); every order answer as a legacy client sees it.
async fn order_scenario(
    stack: &Stack,
    base: &str,
    who: Option<&str>,
    customer: i64,
) -> Vec<Observed> {
    let mut c = OrderClient {
        stack,
        base,
        who,
        seen: Vec::new(),
    };
    c.stock_three("SKU-O1").await;
    let order = |qty: i64, pm: &str, tok: Option<&str>| {
        Some(
            json!({"cust": customer, "lines": [{"sku": "SKU-O1", "qty": qty}], "pm": pm, "tok": tok}),
        )
    };
    let path = |id: &Value, action: &str| format!("/api/v1/orders/{id}/{action}");
    let orders = "/api/v1/orders";
    let card = c.post(orders, order(2, "card", Some("tok_visa"))).await;
    c.post(orders, order(5, "card", Some("tok_visa"))).await; // no stock
    c.post(orders, order(1, "card", Some("tok_declined"))).await;
    c.post(orders, order(0, "card", Some("tok_visa"))).await; // bad line
    let bad_sku = json!({"cust": customer, "lines": [{"sku": "a b", "qty": 1}], "pm": "card"});
    c.post(orders, Some(bad_sku)).await;
    let stranger = json!({"cust": 999_999, "lines": [{"sku": "SKU-O1", "qty": 1}], "pm": "card", "tok": "tok_visa"});
    let refused = c.post(orders, Some(stranger)).await;
    // The one problem whose wording is compared: the legacy client's own.
    assert_eq!(refused["detail"], "cust 999999 does not exist", "at {base}");
    let invoice = c.post(orders, order(1, "invoice", None)).await;
    c.post(&path(&invoice["id"], "capture"), None).await;
    c.post(&path(&invoice["id"], "capture"), None).await; // already confirmed
    let carrier = json!({"carr": "DHL"});
    c.post(&path(&invoice["id"], "shipments"), Some(carrier))
        .await;
    c.post(&path(&invoice["id"], "cancel"), None).await; // shipped: refused
    c.post(&path(&card["id"], "cancel"), None).await;
    c.post(&path(&card["id"], "cancel"), None).await; // already cancelled
    c.post(&path(&json!(999_999_999), "capture"), None).await;
    c.seen
}

async fn orders_answer_alike_through_the_saga(backend: TestBackend) {
    let stack = Stack::start(backend).await;
    let customer = json!({"nm": "Ada", "eml": "ada@example.com",
        "bill": {"nm": "Ada", "ln1": "1 Lane", "city": "London", "zip": "N1", "ctry": "GB"}});
    let res = stack
        .post(&stack.monolith, "/api/v1/customers", customer)
        .await;
    let customer = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let on_monolith = order_scenario(&stack, &stack.monolith, None, customer).await;
    assert_eq!(on_monolith[0].status, 201, "the scenario itself works");

    for flag in ["inventory.new", "shipments.new"] {
        stack.flags.enable(flag);
    }
    stack
        .wait_for_backend(None, "/api/v1/shipments/1", "new")
        .await;
    stack
        .wait_for_backend(None, "/api/v1/inventory/ANY", "new")
        .await;

    // canary, with this customer in the cohort; then new, for everyone
    let who = Some("customer-7");
    stack.flags.rollout("orders.canary", 100);
    stack.flags.enable("orders.canary");
    stack.wait_for_backend(who, "/api/v1/orders/1", "new").await;
    let in_canary = order_scenario(&stack, &stack.proxy, who, customer).await;
    stack.flags.enable("orders.new");
    stack.flags.disable("orders.canary");
    stack
        .wait_for_backend(None, "/api/v1/orders/1", "new")
        .await;
    let in_new = order_scenario(&stack, &stack.proxy, None, customer).await;

    for (mode, through_saga) in [("canary", in_canary), ("new", in_new)] {
        assert_eq!(on_monolith.len(), through_saga.len());
        for (i, (legacy, new)) in on_monolith.iter().zip(&through_saga).enumerate() {
            assert_eq!(
                legacy, new,
                "order step {i} differs between the monolith and {mode}"
            );
        }
    }
}
