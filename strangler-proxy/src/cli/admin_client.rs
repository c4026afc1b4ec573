//! CLI commands that ask the running proxy's admin API.

use super::output;
use crate::admin::views::{RouteView, StatusView};
use crate::settings::Settings;
use anyhow::{Context, bail};

fn call(
    settings: &Settings,
    method: reqwest::Method,
    path: &str,
) -> anyhow::Result<serde_json::Value> {
    let url = format!("http://{}/admin/{path}", settings.admin.listen);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let res = reqwest::Client::new()
            .request(method, &url)
            .bearer_auth(&settings.admin.token)
            .send()
            .await
            .with_context(|| {
                format!(
                    "the proxy's admin API does not answer at {url}; is `strangler serve` running?"
                )
            })?;
        let status = res.status();
        let body: serde_json::Value = res.json().await.unwrap_or(serde_json::Value::Null);
        if !status.is_success() {
            bail!(
                "the admin API answered {status}: {}",
                body["detail"].as_str().unwrap_or("no detail")
            );
        }
        Ok(body)
    })
}

/// `strangler routes`.
pub fn routes(settings: &Settings) -> anyhow::Result<()> {
    let routes: Vec<RouteView> =
        serde_json::from_value(call(settings, reqwest::Method::GET, "routes")?)?;
    print!("{}", output::routes_table(&routes));
    Ok(())
}

/// `strangler status`.
pub fn status(settings: &Settings) -> anyhow::Result<()> {
    let status: StatusView =
        serde_json::from_value(call(settings, reqwest::Method::GET, "status")?)?;
    print!("{}", output::status(&status));
    Ok(())
}

/// `strangler reload`.
pub fn reload(settings: &Settings) -> anyhow::Result<()> {
    let answer = call(settings, reqwest::Method::POST, "reload")?;
    println!("reloaded: {} routes in force", answer["routes"]);
    if let Some(e) = answer["flags_error"].as_str() {
        println!("flags: {e}");
    }
    Ok(())
}
