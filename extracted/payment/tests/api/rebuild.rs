//! Rebuilding the projections from the events gives exactly the live rows,
//! and repairs a damaged projection.

use crate::helpers::{TestApp, card, expect, spawn_app};
use diesel::prelude::*;
use payment::ledger::projection::{PaymentRow, RefundRow};
use payment::schema::{payments, refunds};
use payment::startup::rebuild_projections;
use platform::Problem;
use platform::testing::TestBackend;
use reqwest::StatusCode;

async fn snapshot(app: &TestApp) -> (Vec<PaymentRow>, Vec<RefundRow>) {
    app.db
        .read(|c| {
            let p = payments::table
                .order(payments::id)
                .select(PaymentRow::as_select())
                .load(c)?;
            let r = refunds::table
                .order(refunds::id)
                .select(RefundRow::as_select())
                .load(c)?;
            Ok::<_, Problem>((p, r))
        })
        .await
        .unwrap()
}

async fn rebuilt_projections_equal_live_ones(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let a = app.captured_payment(1, "40.00").await;
    expect(app.refund(&a, "15.00").await, StatusCode::CREATED).await;
    expect(app.refund(&a, "5.00").await, StatusCode::CREATED).await;
    let b = app.create_payment(&card(2, "7.00")).await;
    let bid = b["id"].as_str().unwrap();
    expect(
        app.post_empty(&format!("/v2/payments/{bid}/void"), false)
            .await,
        StatusCode::OK,
    )
    .await;
    app.create_payment(&card(3, "1.00")).await;
    let mut declined = card(3, "2.00");
    declined["card_token"] = serde_json::json!("tok_declined");
    app.post(
        "/v2/payments",
        &declined,
        Some(&crate::helpers::key()),
        false,
    )
    .await;
    let live = snapshot(&app).await;
    assert_eq!(live.0.len(), 4);
    assert_eq!(live.1.len(), 2);

    // Damage the read side: a lost refund row and a wrong status.
    app.db
        .write(|c| {
            diesel::delete(refunds::table.filter(refunds::amount_minor.eq(500))).execute(c)?;
            diesel::update(payments::table)
                .set(payments::status.eq("voided"))
                .execute(c)?;
            Ok::<_, Problem>(())
        })
        .await
        .unwrap();
    assert_ne!(snapshot(&app).await, live);

    let rebuilt = rebuild_projections(&app.settings).await.unwrap();
    assert_eq!((rebuilt.payments, rebuilt.refunds), (4, 2));
    assert_eq!(snapshot(&app).await, live);
    // And the API reads the same as before.
    let aid = a["id"].as_str().unwrap();
    let read = expect(
        app.get(&format!("/v2/payments/{aid}")).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(read["refunded"]["amount"], "20.00");
    assert_eq!(read["status"], "partially_refunded");
}

/// The `payment rebuild-projections` command does the same from the shell.
async fn the_cli_rebuilds_too(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let a = app.captured_payment(1, "40.00").await;
    expect(app.refund(&a, "15.00").await, StatusCode::CREATED).await;
    let live = snapshot(&app).await;
    app.db
        .write(|c| {
            diesel::delete(refunds::table)
                .execute(c)
                .map_err(Problem::from)
        })
        .await
        .unwrap();
    let url = app.settings.database.url.as_str().to_owned();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_payment"))
            .arg("rebuild-projections")
            .env("PAYMENT__DATABASE__URL", url)
            .env("PAYMENT__TELEMETRY__FILTER", "warn")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("rebuilt 1 payments and 1 refunds"),
        "{stdout}"
    );
    assert_eq!(snapshot(&app).await, live);
}

platform::both_backends!(rebuilt_projections_equal_live_ones, the_cli_rebuilds_too);
