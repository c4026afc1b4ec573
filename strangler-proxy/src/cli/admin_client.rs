//! CLI commands that ask the running proxy's admin API.

use super::output;
use crate::admin::views::{RouteView, StatusView};
use crate::gate::SyncCheck;
use crate::settings::Settings;
use anyhow::{Context, bail};
use serde_json::Value;

/// Calls the admin API; the body as text, or the problem's detail as the error.
pub(super) fn call(
    settings: &Settings,
    method: reqwest::Method,
    path: &str,
    query: &[(&str, &str)],
    body: Option<Value>,
) -> anyhow::Result<String> {
    let url = format!("http://{}/admin/{path}", settings.admin.listen);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let mut req = reqwest::Client::new()
            .request(method, &url)
            .query(query)
            .bearer_auth(settings.admin.token.expose());
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.with_context(|| {
            format!("the proxy's admin API does not answer at {url}; is `strangler serve` running?")
        })?;
        let status = res.status();
        let text = res.text().await?;
        if !status.is_success() {
            let problem: Value = serde_json::from_str(&text).unwrap_or_default();
            bail!(
                "the admin API answered {status}: {}",
                problem["detail"].as_str().unwrap_or("no detail")
            );
        }
        Ok(text)
    })
}

fn call_json<T: serde::de::DeserializeOwned>(
    settings: &Settings,
    method: reqwest::Method,
    path: &str,
) -> anyhow::Result<T> {
    Ok(serde_json::from_str(&call(
        settings,
        method,
        path,
        &[],
        None,
    )?)?)
}

/// `strangler routes`.
pub fn routes(settings: &Settings) -> anyhow::Result<()> {
    let routes: Vec<RouteView> = call_json(settings, reqwest::Method::GET, "routes")?;
    print!("{}", output::routes_table(&routes));
    Ok(())
}

/// `strangler status`.
pub fn status(settings: &Settings) -> anyhow::Result<()> {
    let status: StatusView = call_json(settings, reqwest::Method::GET, "status")?;
    print!("{}", output::status(&status));
    Ok(())
}

/// `strangler reload`.
pub fn reload(settings: &Settings) -> anyhow::Result<()> {
    let answer: Value = call_json(settings, reqwest::Method::POST, "reload")?;
    println!("reloaded: {} routes in force", answer["routes"]);
    if let Some(e) = answer["flags_error"].as_str() {
        println!("flags: {e}");
    }
    Ok(())
}

/// `strangler shadow report`.
pub fn shadow_report(settings: &Settings, route: Option<&str>, since: &str) -> anyhow::Result<()> {
    let mut query = vec![("since", since), ("format", "table")];
    if let Some(route) = route {
        query.push(("route", route));
    }
    print!(
        "{}",
        call(
            settings,
            reqwest::Method::GET,
            "shadow/report",
            &query,
            None
        )?
    );
    Ok(())
}

/// `strangler shadow epoch`.
pub fn shadow_epoch(
    settings: &Settings,
    route: &str,
    reason: &str,
    by: Option<&str>,
) -> anyhow::Result<()> {
    let by = by
        .filter(|b| !b.trim().is_empty())
        .context("say who starts the epoch with --by (USER is not set)")?;
    let text = call(
        settings,
        reqwest::Method::POST,
        &format!("routes/{route}/epoch"),
        &[],
        Some(serde_json::json!({ "reason": reason, "by": by })),
    )?;
    let epoch: crate::shadow::store::Epoch = serde_json::from_str(&text)?;
    println!(
        "{}: shadow results count afresh from {} (epoch {} by {}: {})",
        epoch.route,
        epoch.started_at.format("%Y-%m-%d %H:%M:%S UTC"),
        epoch.id,
        epoch.by,
        epoch.reason
    );
    Ok(())
}

/// `strangler retire ROUTE`: one line, what was judged.
pub fn retire(settings: &Settings, route: &str) -> anyhow::Result<()> {
    let text = call(
        settings,
        reqwest::Method::POST,
        &format!("routes/{route}/retire"),
        &[],
        None,
    )?;
    let answer: Value = serde_json::from_str(&text)?;
    if answer["outcome"] == "unchanged" {
        println!("{route}: already retired; nothing changed");
        return Ok(());
    }
    let verify = answer["verify"]["context"]
        .as_str()
        .map(|context| format!("; the last verify of {context} passed"))
        .unwrap_or_default();
    // Granted, so every direction judged was drained.
    let synced = !serde_json::from_value::<Vec<SyncCheck>>(answer["sync"].clone())
        .unwrap_or_default()
        .is_empty();
    println!(
        "{route}: {} -> retired{verify}{}; the legacy side is no longer a target",
        answer["from"].as_str().unwrap_or("?"),
        if synced {
            "; sync drained both ways"
        } else {
            ""
        },
    );
    Ok(())
}

/// `strangler promote`.
pub fn promote(
    settings: &Settings,
    route: &str,
    to: &str,
    force: bool,
    reason: Option<&str>,
) -> anyhow::Result<()> {
    let body = serde_json::json!({ "to": to, "force": force, "reason": reason });
    let text = call(
        settings,
        reqwest::Method::POST,
        &format!("routes/{route}/promote"),
        &[],
        Some(body),
    )?;
    let answer: Value = serde_json::from_str(&text)?;
    let gate = &answer["gate"];
    // A synced route's grant also says what the sync lag was judged at.
    let sync: Vec<String> = serde_json::from_value::<Vec<SyncCheck>>(gate["sync"].clone())
        .unwrap_or_default()
        .iter()
        .filter_map(|c| c.reading.as_ref())
        .map(|r| format!("; sync {} {}", r.direction.arrow(), r.lag_text()))
        .collect();
    println!(
        "{route}: {} -> {} ({}); shadow match rate {} over {} samples in the last {}{}",
        answer["from"].as_str().unwrap_or("?"),
        answer["to"].as_str().unwrap_or("?"),
        answer["outcome"].as_str().unwrap_or("?"),
        gate["match_rate"]
            .as_f64()
            .map_or("n/a".into(), |r| format!("{:.2} %", r * 100.0)),
        gate["samples"],
        gate["window"].as_str().unwrap_or("?"),
        sync.concat(),
    );
    Ok(())
}
