//! The payments port during a handover (`payments.sync = true`): a write it
//! would send to the payment service, owner of the payment, while this
//! side's outbox still holds a change of that payment the service has not
//! received, waits and is refused with `503 handover` and `Retry-After: 1`,
//! nothing written; once the change is delivered it goes through.

use crate::helpers::{TestApp, assert_problem};
use platform::db::Db;
use platform::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::json;

platform::both_backends!(a_write_waits_for_the_monolith_s_undelivered_change);

async fn a_write_waits_for_the_monolith_s_undelivered_change(backend: TestBackend) {
    let app = TestApp::spawn_synced(backend).await;
    let cust = app.create_customer("Ada").await;
    app.stock("T-30", 3000, 5).await;
    let order = app
        .card_order(cust, json!([{"sku": "T-30", "qty": 1}]))
        .await;
    let pay = order["pay"].as_i64().unwrap();

    // A change of the payment this side took, not delivered yet (no relay
    // subscriber here: it waits in the outbox).
    let db = Db::connect(&app.database, monolith::migrations()).unwrap();
    let key = pay.to_string();
    db.write(move |c| {
        platform::sync::publish(c, "legacy", "payment", &key, json!({"rfd": 1000}))
            .map_err(platform::Problem::from)
    })
    .await
    .unwrap();

    let path = format!("/api/v1/payments/{pay}/refunds");
    let body = json!({"amt": 500, "rsn": "dent"});
    let res = app.post(&path, body.clone()).await;
    assert_eq!(res.headers()["retry-after"], "1");
    let problem = assert_problem(res, StatusCode::SERVICE_UNAVAILABLE, "not reached it yet").await;
    assert_eq!(problem["type"], "urn:strangler-kit:problem:handover");
    let owner = app.owner_get(&format!("/api/v1/payments/{pay}")).await;
    assert_eq!(owner["rfd"], 0, "nothing was written");

    let key = pay.to_string();
    db.write(move |c| {
        let seqs: Vec<i64> = platform::outbox::for_aggregate(c, "payment", &key)?
            .iter()
            .map(|e| e.seq)
            .collect();
        platform::outbox::mark_delivered(c, &seqs, chrono::Utc::now())?;
        Ok::<_, platform::Problem>(())
    })
    .await
    .unwrap();
    let res = app.post(&path, body.clone()).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let owner = app.owner_get(&format!("/api/v1/payments/{pay}")).await;
    assert_eq!(owner["rfd"], 500);
}
