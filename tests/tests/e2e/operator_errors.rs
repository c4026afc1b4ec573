//! Operators' mistakes get clear errors and never take the proxy down: a bad
//! route file or flags file keeps the last good state; the admin API wants its
//! token.

use crate::stack::{Stack, TOKEN};
use platform::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::Value;

platform::both_backends!(bad_files_keep_the_last_good_state);

async fn bad_files_keep_the_last_good_state(backend: TestBackend) {
    let stack = Stack::start(backend).await;
    let pay = stack.paid_order().await;
    let path = format!("/api/v1/payments/{pay}");

    // Admin without or with a wrong token: 401 problem.
    let res = stack
        .client
        .get(format!("{}/admin/routes", stack.admin))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let res = stack
        .client
        .get(format!("{}/admin/routes", stack.admin))
        .bearer_auth("not-the-token-at-all")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let health = stack
        .client
        .get(format!("{}/healthz", stack.admin))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK, "probes need no token");

    // A route file with an unknown translator: reload refused, old table kept.
    let good = std::fs::read_to_string(&stack.config_file).unwrap();
    std::fs::write(
        &stack.config_file,
        good.replace("translator = \"payments\"", "translator = \"paymints\""),
    )
    .unwrap();
    let res = stack
        .client
        .post(format!("{}/admin/reload", stack.admin))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = res.json().await.unwrap();
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains("route `payments`: unknown translator `paymints`"),
        "{detail}"
    );
    let status = stack.admin_get("/admin/status").await;
    assert!(
        status["reload"]["last_error"]
            .as_str()
            .unwrap()
            .contains("paymints")
    );
    assert_eq!(
        stack.get_as(None, &path).await.status(),
        StatusCode::OK,
        "still serving"
    );
    assert_eq!(
        stack.admin_get("/admin/routes").await[0]["name"],
        "payments"
    );
    std::fs::write(&stack.config_file, good).unwrap();

    // A flags file that is not JSON: last good flags kept, error reported.
    stack.flags.enable("payments.new");
    stack.wait_for_backend(None, &path, "new").await;
    std::fs::write(&stack.flags.0, "{ not json").unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let flags = stack.admin_get("/admin/flags").await;
        if flags["last_error"].is_string() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the bad flags file was never reported"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        stack.backend(None, &path).await,
        "new",
        "the last good flags stay in force"
    );
}
