//! Reads of payments, refunds and invoices from the payment service when it
//! owns them, in the legacy shape the monolith's own reads give (translated
//! by the ACL's record translators), so one assertion checks both owners.

use acl::LegacyClock;
use acl::records::payments::{invoice_to_legacy, payment_to_legacy, refund_to_legacy};
use payment_api::{Invoice, Page, Payment, Refund, paths};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

async fn get<T: DeserializeOwned>(client: &reqwest::Client, base: &str, path: &str) -> T {
    let res = client.get(format!("{base}{path}")).send().await.unwrap();
    assert!(res.status().is_success(), "GET {path}: {}", res.status());
    res.json().await.unwrap()
}

/// A legacy page of `items`.
fn page(items: Vec<Value>) -> Value {
    json!({"total": items.len(), "items": items})
}

/// The legacy view of the `/api/v1` read `path`, from the service at `base`.
pub async fn read(client: &reqwest::Client, base: &str, path: &str) -> Value {
    let clock = LegacyClock::default();
    let segments: Vec<&str> = path.trim_start_matches("/api/v1/").split('/').collect();
    let id = |s: &str| s.parse::<i64>().unwrap();
    match segments.as_slice() {
        ["payments", pay] => {
            let p: Payment = get(client, base, &paths::payment_by_legacy_id(id(pay))).await;
            json!(payment_to_legacy(&p, &clock).unwrap())
        }
        ["payments", pay, "refunds"] => {
            let p: Payment = get(client, base, &paths::payment_by_legacy_id(id(pay))).await;
            let refunds: Page<Refund> = get(client, base, &paths::refunds_page(p.id, 100, 0)).await;
            page(
                refunds
                    .data
                    .iter()
                    .map(|r| json!(refund_to_legacy(r, &clock).unwrap()))
                    .collect(),
            )
        }
        ["invoices", inv] => {
            let i: Invoice = get(client, base, &paths::invoice_by_legacy_id(id(inv))).await;
            json!(invoice_to_legacy(&i, &clock).unwrap())
        }
        ["orders", order, "payments"] => {
            let list: Page<Payment> =
                get(client, base, &paths::payments_for_order(id(order), 100, 0)).await;
            page(
                list.data
                    .iter()
                    .map(|p| json!(payment_to_legacy(p, &clock).unwrap()))
                    .collect(),
            )
        }
        ["orders", order, "invoices"] => {
            let list: Page<Invoice> =
                get(client, base, &paths::invoices_for_order(id(order), 100, 0)).await;
            page(
                list.data
                    .iter()
                    .map(|i| json!(invoice_to_legacy(i, &clock).unwrap()))
                    .collect(),
            )
        }
        _ => panic!("no owner read for {path}"),
    }
}
