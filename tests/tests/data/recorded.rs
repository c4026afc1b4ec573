//! `strangler verify fulfillment` records its result with a real running
//! proxy (`POST /admin/verify-runs`); `strangler status` and the promotion
//! gate of a route that declares `data = "fulfillment"` then see it.

use crate::resume::strangler;
use crate::support::{Sides, start_fulfillment};
use platform::testing::TestBackend;
use serde_json::Value;
use std::process::Command;
use strangler_data::backfill;
use strangler_data::source::api::ApiSource;
use strangler_data::target::Service;
use strangler_proxy::app::Application;
use strangler_proxy::settings::Settings;

platform::both_backends!(a_verify_run_reaches_status_and_the_gate);

const TOKEN: &str = "data-verify-admin-token-0123456789";

async fn gate(admin: &str) -> Value {
    let res = reqwest::Client::new()
        .get(format!("{admin}/admin/routes/inventory/gate?to=new"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn a_verify_run_reaches_status_and_the_gate(backend: TestBackend) {
    let sides = Sides::start(backend).await;
    sides.generate(4).await;
    sides.generate_fulfillment().await;
    let (service, service_db) = start_fulfillment(backend).await;
    let to = Service::new(&service).unwrap();
    let api = ApiSource::new(&sides.monolith).unwrap();
    backfill::fulfillment(&api, &to, &sides.options())
        .await
        .unwrap();

    let flags = sides.dir.join("flags.json");
    std::fs::write(&flags, r#"{"version": 2, "features": []}"#).unwrap();
    let config = sides.dir.join("strangler.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[proxy]
listen = "127.0.0.1:0"
legacy = "{monolith}"
[admin]
listen = "127.0.0.1:0"
token = "{TOKEN}"
[flags]
file = "{flags}"
[shadow]
database_url = "sqlite://{shadow}"
[[routes]]
name = "inventory"
patterns = ["/api/v1/inventory/{{sku}}"]
new = "{service}"
translator = "inventory"
data = "fulfillment"
[routes.flags]
new = "inventory.new"
"#,
            monolith = sides.monolith,
            flags = flags.display(),
            shadow = sides.dir.join("shadow.db").display(),
        ),
    )
    .unwrap();
    let settings = Settings::load(Some(&config)).unwrap();
    let proxy = Application::start(settings, Some(config.clone()))
        .await
        .unwrap();
    let admin = format!("http://{}", proxy.admin_addr());
    // The CLI reads the admin address from its settings: the bound one.
    let listen = proxy.admin_addr().to_string();

    let never = gate(&admin).await;
    assert_eq!(never["verify"]["last_run"], Value::Null, "{never}");
    assert!(
        never["why"]
            .as_str()
            .unwrap()
            .contains("`fulfillment` has never been verified; run `strangler verify fulfillment`"),
        "{never}"
    );

    let bin = strangler();
    let verify = || {
        Command::new(&bin)
            .env("STRANGLER__ADMIN__LISTEN", &listen)
            .args([
                "--config",
                config.to_str().unwrap(),
                "verify",
                "fulfillment",
            ])
            .args(["--from-api", &sides.monolith, "--to", &service])
            .output()
            .unwrap()
    };
    let status = || {
        let out = Command::new(&bin)
            .env("STRANGLER__ADMIN__LISTEN", &listen)
            .args(["--config", config.to_str().unwrap(), "status"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    };

    let clean = verify();
    assert!(
        clean.status.success(),
        "{}",
        String::from_utf8_lossy(&clean.stderr)
    );
    assert!(
        !String::from_utf8_lossy(&clean.stderr).contains("not recorded"),
        "{}",
        String::from_utf8_lossy(&clean.stderr)
    );
    let shown = status();
    let row = shown
        .lines()
        .find(|l| l.starts_with("fulfillment"))
        .unwrap_or_else(|| panic!("no verify row in:\n{shown}"));
    assert!(row.contains("passed"), "{shown}");
    let passed = gate(&admin).await;
    assert_eq!(passed["verify"]["passed"], true, "{passed}");
    assert!(
        !passed["why"].as_str().unwrap_or("").contains("verify"),
        "{passed}"
    );

    sides
        .sql(
            &service_db,
            "UPDATE stock_items SET name = 'Renamed' WHERE sku = 'W-2'",
            fulfillment::migrations(),
        )
        .await;
    let found = verify();
    assert_eq!(found.status.code(), Some(1));
    let shown = status();
    assert!(shown.contains("FAILED"), "{shown}");
    assert!(
        shown.contains("fulfillment: stock item W-2 $.nm"),
        "{shown}"
    );
    let failed = gate(&admin).await;
    assert_eq!(failed["verify"]["passed"], false, "{failed}");
    assert!(
        failed["why"]
            .as_str()
            .unwrap()
            .contains("1 differing records"),
        "{failed}"
    );
    proxy.stop().await;
}
