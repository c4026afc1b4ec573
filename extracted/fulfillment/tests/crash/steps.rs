//! Crash proof at each point of a saga where a crash can cut it, chosen
//! rather than random: an [`Interposer`] between the orchestrator and the
//! payment service stops one call of the saga (before the payment service
//! sees it, while it works on it, or after it answered), and the test
//! SIGKILLs the orchestrator or the payment service right there, starts it
//! again, and lets recovery finish. A local step (reserve, confirm, release)
//! commits with the saga's move in one transaction, so the points that
//! matter are the remote ones around it: killed at the charge's call, the
//! reservation is already committed; killed after its answer, the
//! confirmation is not.
//!
//! Each case then checks the saga's end, the order's state and, with the
//! invariant checker, that no money is taken twice or kept for an order that
//! does not stand, and no stock is leaked.

use super::customers::Customers;
use super::interposer::{Interposer, Moment, Trap};
use super::processes::Service;
use super::{
    databases, fulfillment_service, invariants, open, payment_service, stock_up,
    wait_until_every_saga_ended,
};
use platform::testing::TestBackend;
use serde_json::{Value, json};
use std::time::Duration;

/// Which process dies at the trap.
#[derive(Debug, Clone, Copy)]
enum Victim {
    Orchestrator,
    PaymentService,
}

/// An order placed before the trapped saga starts (nothing trapped in it).
#[derive(Debug, Clone, Copy)]
enum Prior {
    Nothing,
    CardOrder,
    InvoiceOrder,
}

struct Case {
    prior: Prior,
    /// The trapped saga's request; `{order}` is the order placed before.
    saga: fn(&str) -> Value,
    trap: Trap,
    victim: Victim,
    /// The trapped saga's end and its order's state after it.
    status: &'static str,
    order_state: &'static str,
    /// While the call is trapped, an older version of the orchestrator
    /// already issued the invoice, open, under the saga's key.
    earlier_invoice: bool,
}

fn place(method: &str, token: Option<&str>) -> Value {
    let mut body = json!({"kind": "place_order", "customer_legacy_id": 7, "method": method,
        "lines": [{"sku": "W-1", "quantity": 2}]});
    if let Some(token) = token {
        body["card_token"] = token.into();
    }
    body
}

const CHARGE: &str = "/v2/payments";
const LIST: &str = "&limit=100&offset=0";

fn trap(method: &'static str, path_end: &'static str, moment: Moment) -> Trap {
    Trap {
        method,
        path_end,
        moment,
    }
}

/// POSTs the saga request with `key` until some answer comes (a killed
/// orchestrator refuses connections), as a careful client does.
async fn start_saga(url: &str, key: &str, body: &Value) -> Value {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    for _ in 0..300 {
        let res = client
            .post(format!("{url}/v2/sagas"))
            .header("Idempotency-Key", key)
            .json(body)
            .send()
            .await;
        if let Ok(res) = res
            && res.status().as_u16() < 500
        {
            return res.json().await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no answer to {body}");
}

/// The saga an answer is about: a saga, or the problem a compensated one
/// ended with (which names it).
fn saga_id(answer: &Value) -> String {
    let id = answer.get("id").or_else(|| answer.get("saga_id"));
    id.and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no saga in {answer}"))
        .to_owned()
}

/// Issues the running saga's invoice as the orchestrator did before it
/// issued a card's paid in one call: open, under the step's key (so the
/// saga's own call, with its body, finds the key used for another body).
async fn issue_as_an_earlier_version(fulfillment: &str, payment: &str) {
    let running = get(&format!("{fulfillment}/v2/sagas?status=running")).await;
    let saga = &running[0];
    let order = &saga["order"];
    let body = json!({"order_id": order["id"], "order_legacy_id": order["legacy_id"],
        "customer_legacy_id": order["customer_legacy_id"], "payment_id": saga["payment_id"],
        "amount": order["total"], "billing": {"name": "Ada Lovelace",
        "line1": "12 St James's Square", "city": "London", "postal_code": "SW1Y 4JH",
        "country": "GB"}});
    let key = format!("saga-{}-issue_invoice", saga["id"].as_str().unwrap());
    let res = reqwest::Client::new()
        .post(format!("{payment}/v2/invoices"))
        .header("Idempotency-Key", key)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
}

async fn get(url: &str) -> Value {
    let res = reqwest::get(url).await.unwrap();
    assert!(res.status().is_success(), "{url}: {}", res.status());
    res.json().await.unwrap()
}

async fn run(backend: TestBackend, case: Case) {
    platform::telemetry::init_for_tests();
    let (fdb, pdb) = databases(backend).await;
    let mut payment = payment_service(pdb.url());
    payment.start().await;
    let interposer = Interposer::start(payment.url(), case.trap);
    let customers = Customers::spawn().await;
    let mut fulfillment: Service =
        fulfillment_service(fdb.url(), &interposer.url, &customers.url());
    fulfillment.start().await;
    let url = fulfillment.url();
    stock_up(&url, 10).await;

    let order = match case.prior {
        Prior::Nothing => String::new(),
        Prior::CardOrder | Prior::InvoiceOrder => {
            let body = match case.prior {
                Prior::CardOrder => place("card", Some("tok_ok")),
                _ => place("invoice", None),
            };
            let placed = start_saga(&url, "before", &body).await;
            assert_eq!(placed["status"], "completed", "{placed}");
            placed["order_id"].as_str().unwrap().to_owned()
        }
    };
    let body = (case.saga)(&order);
    let first = tokio::spawn({
        let (url, body) = (url.clone(), body.clone());
        async move { start_saga(&url, "trapped", &body).await }
    });
    interposer.sprung().await;
    if case.earlier_invoice {
        issue_as_an_earlier_version(&url, &payment.url()).await;
    }
    match case.victim {
        Victim::Orchestrator => {
            fulfillment.kill9();
            fulfillment.start().await;
        }
        Victim::PaymentService => {
            payment.kill9();
            payment.start().await;
        }
    }
    // The client's first try may have died with the orchestrator; it asks
    // again with the same key and gets the same saga.
    let started = saga_id(&first.await.unwrap());
    let again = saga_id(&start_saga(&url, "trapped", &body).await);
    assert_eq!(started, again, "one saga per key");

    let db = open(&fdb).await;
    wait_until_every_saga_ended(&db).await;
    let saga = get(&format!("{url}/v2/sagas/{again}")).await;
    assert_eq!(saga["status"], case.status, "{saga}");
    assert_eq!(saga["order"]["state"], case.order_state, "{saga}");
    let bad = invariants::violations(&db, &payment.url()).await;
    assert!(
        bad.is_empty(),
        "{} violation(s):\n{}",
        bad.len(),
        bad.join("\n")
    );
}

/// Killed with the charge in flight: the stock is reserved, the payment
/// service never saw the charge; recovery charges once and confirms.
async fn orchestrator_killed_before_the_charge_arrives(backend: TestBackend) {
    let case = Case {
        prior: Prior::Nothing,
        saga: |_| place("card", Some("tok_ok")),
        trap: trap("POST", CHARGE, Moment::Before),
        victim: Victim::Orchestrator,
        status: "completed",
        order_state: "confirmed",
        earlier_invoice: false,
    };
    run(backend, case).await
}

/// Killed after the payment service charged, before the answer arrived:
/// recovery repeats the call with the same key and the service answers
/// with the same payment, not a second one.
async fn orchestrator_killed_after_the_charge_was_taken(backend: TestBackend) {
    let case = Case {
        prior: Prior::Nothing,
        saga: |_| place("card", Some("tok_ok")),
        trap: trap("POST", CHARGE, Moment::Answered),
        victim: Victim::Orchestrator,
        status: "completed",
        order_state: "confirmed",
        earlier_invoice: false,
    };
    run(backend, case).await
}

/// The payment service dies while it works on the charge: whatever it had
/// committed, the retried call finds it.
async fn payment_service_killed_during_the_charge(backend: TestBackend) {
    let case = Case {
        prior: Prior::Nothing,
        saga: |_| place("card", Some("tok_ok")),
        trap: trap("POST", CHARGE, Moment::Inside),
        victim: Victim::PaymentService,
        status: "completed",
        order_state: "confirmed",
        earlier_invoice: false,
    };
    run(backend, case).await
}

/// A declined card, killed while compensating (listing the order's
/// payments to settle them): the stock comes back once, no money is kept.
async fn orchestrator_killed_while_compensating_a_decline(backend: TestBackend) {
    let case = Case {
        prior: Prior::Nothing,
        saga: |_| place("card", Some("tok_declined")),
        trap: trap("GET", LIST, Moment::Answered),
        victim: Victim::Orchestrator,
        status: "compensated",
        order_state: "cancelled",
        earlier_invoice: false,
    };
    run(backend, case).await
}

/// A card order, killed after its invoice was issued paid, before the
/// answer was recorded: recovery repeats the call with the same key and the
/// service answers with the same invoice; no second one.
async fn orchestrator_killed_after_the_invoice_was_issued(backend: TestBackend) {
    let case = Case {
        prior: Prior::Nothing,
        saga: |_| place("card", Some("tok_ok")),
        trap: trap("POST", "/v2/invoices", Moment::Answered),
        victim: Victim::Orchestrator,
        status: "completed",
        order_state: "confirmed",
        earlier_invoice: false,
    };
    run(backend, case).await
}

/// A card order whose invoice an older orchestrator issued open under the
/// step's key, killed with its own call in flight: the resumed step's call
/// is refused (the key went with another body), so it finds that invoice,
/// pays it and confirms; no second invoice.
async fn orchestrator_killed_with_an_earlier_versions_invoice(backend: TestBackend) {
    let case = Case {
        prior: Prior::Nothing,
        saga: |_| place("card", Some("tok_ok")),
        trap: trap("POST", "/v2/invoices", Moment::Before),
        victim: Victim::Orchestrator,
        status: "completed",
        order_state: "confirmed",
        earlier_invoice: true,
    };
    run(backend, case).await
}

/// The payment service dies while it issues an invoice order's invoice:
/// whatever it had committed, the retried step finds or issues it once.
async fn payment_service_killed_while_issuing_the_invoice(backend: TestBackend) {
    let case = Case {
        prior: Prior::Nothing,
        saga: |_| place("invoice", None),
        trap: trap("POST", "/v2/invoices", Moment::Inside),
        victim: Victim::PaymentService,
        status: "completed",
        order_state: "pending",
        earlier_invoice: false,
    };
    run(backend, case).await
}

/// An invoice order's capture, killed after the service captured.
async fn orchestrator_killed_after_the_capture(backend: TestBackend) {
    let case = Case {
        prior: Prior::InvoiceOrder,
        saga: |order| json!({"kind": "capture_order", "order_id": order}),
        trap: trap("POST", "/capture", Moment::Answered),
        victim: Victim::Orchestrator,
        status: "completed",
        order_state: "confirmed",
        earlier_invoice: false,
    };
    run(backend, case).await
}

/// Cancelling a paid order, killed with the refund in flight and after it
/// was taken: the money comes back exactly once.
async fn orchestrator_killed_before_the_refund_arrives(backend: TestBackend) {
    let case = Case {
        prior: Prior::CardOrder,
        saga: |order| json!({"kind": "cancel_order", "order_id": order}),
        trap: trap("POST", "/refunds", Moment::Before),
        victim: Victim::Orchestrator,
        status: "completed",
        order_state: "cancelled",
        earlier_invoice: false,
    };
    run(backend, case).await
}

async fn orchestrator_killed_after_the_refund_was_taken(backend: TestBackend) {
    let case = Case {
        prior: Prior::CardOrder,
        saga: |order| json!({"kind": "cancel_order", "order_id": order}),
        trap: trap("POST", "/refunds", Moment::Answered),
        victim: Victim::Orchestrator,
        status: "completed",
        order_state: "cancelled",
        earlier_invoice: false,
    };
    run(backend, case).await
}

/// Cancelling an invoice order (authorised, not captured), killed after
/// the void: the authorisation is released once.
async fn orchestrator_killed_after_the_void(backend: TestBackend) {
    let case = Case {
        prior: Prior::InvoiceOrder,
        saga: |order| json!({"kind": "cancel_order", "order_id": order}),
        trap: trap("POST", "/void", Moment::Answered),
        victim: Victim::Orchestrator,
        status: "completed",
        order_state: "cancelled",
        earlier_invoice: false,
    };
    run(backend, case).await
}

platform::both_backends!(
    orchestrator_killed_before_the_charge_arrives,
    orchestrator_killed_after_the_charge_was_taken,
    payment_service_killed_during_the_charge,
    orchestrator_killed_while_compensating_a_decline,
    orchestrator_killed_after_the_invoice_was_issued,
    orchestrator_killed_with_an_earlier_versions_invoice,
    payment_service_killed_while_issuing_the_invoice,
    orchestrator_killed_after_the_capture,
    orchestrator_killed_before_the_refund_arrives,
    orchestrator_killed_after_the_refund_was_taken,
    orchestrator_killed_after_the_void,
);
