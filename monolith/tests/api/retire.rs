//! `monolith retire payments --archive FILE`, the real binary against a real
//! database: refused while the monolith owns payments by its settings, then
//! while a payment change waits in its outbox; then every row archived as
//! JSON lines and the tables dropped; a second run does nothing. A monolith
//! with `payments.owner = "service"` answers its payments paths `410 Gone`.

use crate::helpers::TestApp;
use diesel::RunQueryDsl;
use monolith::settings::{PaymentsOwner, Settings};
use monolith::startup::Application;
use platform::db::Db;
use platform::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Runs the binary on the app's database; its exit status and its output
/// (stdout, or stderr when it failed).
fn retire(app: &TestApp, owner: &str, archive: &std::path::Path) -> (bool, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_monolith"))
        .args(["retire", "payments", "--archive"])
        .arg(archive)
        .env("MONOLITH__DATABASE__URL", app.database.url.as_str())
        .env("MONOLITH__PAYMENTS__OWNER", owner)
        .output()
        .unwrap();
    let text = if out.status.success() {
        out.stdout
    } else {
        out.stderr
    };
    (out.status.success(), String::from_utf8(text).unwrap())
}

async fn payments_are_archived_then_dropped_once_nothing_is_pending(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let cust = app.create_customer("Ada").await;
    app.stock("SKU-R", 1500, 5).await;
    let order = app
        .card_order(cust, json!([{"sku": "SKU-R", "qty": 2}]))
        .await;
    let pay = order["pay"].as_i64().unwrap();
    let refund = app
        .post(
            &format!("/api/v1/payments/{pay}/refunds"),
            json!({"amt": 500, "rsn": "dent"}),
        )
        .await;
    app.expect(refund, StatusCode::CREATED).await;
    let archive = std::env::temp_dir().join(format!(
        "payments-archive-{}.jsonl",
        uuid::Uuid::new_v4().simple()
    ));

    let (ok, said) = retire(&app, "flags", &archive);
    assert!(
        !ok && said.contains("still owns payments by its settings (payments.owner = \"flags\")"),
        "{said}"
    );
    let (ok, said) = retire(&app, "service", &archive);
    assert!(
        !ok && said.contains("payment changes are still waiting in the outbox"),
        "{said}"
    );
    assert!(!archive.exists(), "nothing written while refused");

    let db = Db::connect(&app.database, monolith::migrations()).unwrap();
    db.write(|c| {
        diesel::sql_query("UPDATE outbox SET delivered_at = CURRENT_TIMESTAMP")
            .execute(c)
            .map_err(platform::Problem::from)
    })
    .await
    .unwrap();
    let (ok, said) = retire(&app, "service", &archive);
    assert!(ok, "{said}");
    assert!(
        said.contains("retired payments: archived 1 payments, 1 refunds and 1 invoices to ")
            && said
                .trim_end()
                .ends_with("dropped tables refunds, payments, invoices"),
        "{said}"
    );
    let lines: Vec<Value> = std::fs::read_to_string(&archive)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let tables: Vec<&str> = lines.iter().map(|l| l["table"].as_str().unwrap()).collect();
    assert_eq!(tables, ["payments", "refunds", "invoices"]);
    assert_eq!(lines[0]["row"]["id"], json!(pay));
    assert_eq!(lines[0]["row"]["captured"], json!(3000));
    assert_eq!(lines[0]["row"]["refunded"], json!(500));
    assert_eq!(lines[1]["row"]["reason"], json!("dent"));
    assert_eq!(lines[2]["row"]["amount"], json!(3000));

    let (ok, said) = retire(&app, "service", &archive);
    assert!(ok && said.contains("already retired"), "{said}");
    let res = app.get(&format!("/api/v1/payments/{pay}")).await;
    assert!(res.status().is_server_error(), "the table is gone");
    std::fs::remove_file(&archive).unwrap();
}

async fn a_monolith_owning_no_payment_answers_its_payments_paths_gone(backend: TestBackend) {
    let db = platform::testing::TestDatabase::create(backend);
    let mut settings = Settings::load(None).unwrap();
    settings.server.port = 0;
    settings.database = db.settings.clone();
    settings.payments.owner = PaymentsOwner::Service;
    let app = Application::build(&settings).await.unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    for path in [
        "/api/v1/payments/1",
        "/api/v1/payments/1/refunds",
        "/api/v1/invoices/1",
        "/api/v1/orders/1/payments",
        "/api/v1/export/payments",
    ] {
        let res = reqwest::get(format!("{base}{path}")).await.unwrap();
        assert_eq!(res.status(), StatusCode::GONE, "{path}");
        let problem: Value = res.json().await.unwrap();
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("payments.owner = \"service\""),
            "{problem}"
        );
    }
    let orders = reqwest::get(format!("{base}/api/v1/orders/1"))
        .await
        .unwrap();
    assert_eq!(
        orders.status(),
        StatusCode::NOT_FOUND,
        "orders are still served here"
    );
}

platform::both_backends!(
    payments_are_archived_then_dropped_once_nothing_is_pending,
    a_monolith_owning_no_payment_answers_its_payments_paths_gone
);
