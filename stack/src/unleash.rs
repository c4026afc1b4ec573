//! A real Unleash server, from the npm package pinned in `tools/unleash`
//! (installed by `scripts/setup-unleash`, which [`install`] runs): how to
//! install and start it, and its admin API to create and flip toggles. One
//! home for the local stack (`--unleash`) and the proxy's flags tests, which
//! start it the same way.

use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::Command;

/// The admin token the server is started with (`INIT_ADMIN_API_TOKENS`).
pub const ADMIN_TOKEN: &str = "*:*.strangler-admin-secret";
/// A client token for the `development` environment of the `default` project.
pub const CLIENT_TOKEN: &str = "default:development.strangler-client-secret";
/// The environment the client token reads.
pub const ENVIRONMENT: &str = "development";

/// `tools/unleash` in this checkout.
pub fn tools_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tools/unleash")
}

/// `node_modules/<package>` under `tools/unleash`, or what to run when it is
/// not installed.
pub fn npm_package(package: &str) -> Result<PathBuf, String> {
    let dir = tools_dir().join("node_modules").join(package);
    if dir.join("package.json").is_file() {
        Ok(dir)
    } else {
        Err(format!(
            "the npm package {package} is not installed in tools/unleash: run \
             scripts/setup-unleash first (it runs `npm ci` there; needs node 20 and npm)"
        ))
    }
}

/// Installs the pinned npm packages into `tools/unleash` unless they are
/// there and current, by running `scripts/setup-unleash` (the one place that
/// knows how: node version check, `npm ci`, a stamp so a second run does
/// nothing); returns the unleash-server package folder. Its progress lines go
/// to the stack's output.
pub fn install() -> Result<PathBuf, String> {
    let script = tools_dir().join("../../scripts/setup-unleash");
    let status = Command::new("bash")
        .arg(&script)
        .status()
        .map_err(|e| format!("cannot run scripts/setup-unleash: {e}"))?;
    if !status.success() {
        return Err(format!(
            "scripts/setup-unleash failed ({status}): see its message above"
        ));
    }
    npm_package("unleash-server")
}

/// The command that runs the server on 127.0.0.1:`port` against the
/// PostgreSQL database at `database_url` (Unleash keeps its toggles there).
/// It exits when the process that started it goes away.
pub fn command(database_url: &str, port: u16) -> Command {
    let mut cmd = Command::new("node");
    cmd.arg("start-unleash.js")
        .current_dir(tools_dir())
        .envs(environment(database_url, port));
    cmd
}

/// The variables `start-unleash.js` reads.
pub fn environment(database_url: &str, port: u16) -> Vec<(String, String)> {
    [
        ("DATABASE_URL", database_url.to_owned()),
        ("HTTP_HOST", "127.0.0.1".to_owned()),
        ("HTTP_PORT", port.to_string()),
        ("INIT_ADMIN_API_TOKENS", ADMIN_TOKEN.to_owned()),
        ("INIT_CLIENT_API_TOKENS", CLIENT_TOKEN.to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// A call to the admin API that did not succeed.
#[derive(Debug, thiserror::Error)]
#[error("Unleash admin API: {method} {url}: {reason}")]
pub struct AdminError {
    method: reqwest::Method,
    url: String,
    reason: String,
}

/// The admin API of the server at `base` (`http://127.0.0.1:<port>`).
#[derive(Debug, Clone)]
pub struct Admin {
    base: String,
    http: reqwest::Client,
}

impl Admin {
    /// A client for the server at `base`.
    pub fn new(base: impl Into<String>) -> Self {
        Self {
            base: base.into(),
            http: reqwest::Client::new(),
        }
    }

    /// The server's `/health`.
    pub fn health_url(&self) -> String {
        format!("{}/health", self.base)
    }

    /// The API root to give the proxy (`flags.server_url`).
    pub fn api_url(&self) -> String {
        format!("{}/api", self.base)
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<(reqwest::StatusCode, Value), AdminError> {
        let url = format!("{}/api/admin/projects/default/features{path}", self.base);
        let fail = |reason: String| AdminError {
            method: method.clone(),
            url: url.clone(),
            reason,
        };
        let mut request = self
            .http
            .request(method.clone(), &url)
            .header("Authorization", ADMIN_TOKEN);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.map_err(|e| fail(e.to_string()))?;
        let status = response.status();
        let text = response.text().await.map_err(|e| fail(e.to_string()))?;
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
    }

    async fn expect_success(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, AdminError> {
        let (status, value) = self.call(method.clone(), path, body).await?;
        if status.is_success() {
            Ok(value)
        } else {
            Err(AdminError {
                method,
                url: format!("{}/api/admin/projects/default/features{path}", self.base),
                reason: format!("answered {status}: {value}"),
            })
        }
    }

    /// Whether a toggle of that name exists.
    pub async fn has_toggle(&self, name: &str) -> Result<bool, AdminError> {
        let (status, _) = self
            .call(reqwest::Method::GET, &format!("/{name}"), None)
            .await?;
        Ok(status.is_success())
    }

    /// Creates a release toggle (off in every environment).
    pub async fn create_toggle(&self, name: &str) -> Result<(), AdminError> {
        let body = json!({ "name": name, "type": "release" });
        self.expect_success(reqwest::Method::POST, "", Some(body))
            .await
            .map(drop)
    }

    /// Adds a strategy (`{"name", "parameters", "constraints"}`) in the
    /// client token's environment; returns its id.
    pub async fn add_strategy(&self, name: &str, strategy: Value) -> Result<String, AdminError> {
        let path = format!("/{name}/environments/{ENVIRONMENT}/strategies");
        let created = self
            .expect_success(reqwest::Method::POST, &path, Some(strategy))
            .await?;
        Ok(created["id"].as_str().unwrap_or_default().to_owned())
    }

    /// Adds a flexibleRollout strategy (userId stickiness); returns its id.
    pub async fn add_flexible_rollout(
        &self,
        name: &str,
        percent: u8,
        group: &str,
    ) -> Result<String, AdminError> {
        self.add_strategy(name, rollout(percent, group)).await
    }

    /// Changes the percentage of an existing flexibleRollout strategy.
    pub async fn set_rollout(
        &self,
        name: &str,
        strategy_id: &str,
        percent: u8,
        group: &str,
    ) -> Result<(), AdminError> {
        let path = format!("/{name}/environments/{ENVIRONMENT}/strategies/{strategy_id}");
        self.expect_success(reqwest::Method::PUT, &path, Some(rollout(percent, group)))
            .await
            .map(drop)
    }

    /// Turns the toggle on or off in the client token's environment.
    pub async fn switch(&self, name: &str, on: bool) -> Result<(), AdminError> {
        let verb = if on { "on" } else { "off" };
        let path = format!("/{name}/environments/{ENVIRONMENT}/{verb}");
        self.expect_success(reqwest::Method::POST, &path, None)
            .await
            .map(drop)
    }

    /// Creates each of `names` that does not exist yet, with the strategies
    /// and state it has in `features` (Unleash client-features JSON, as in
    /// the local flags file); a name missing there gets the default
    /// strategy, off. Toggles that exist are left as they are: a restarted
    /// stack keeps what was changed in Unleash. Returns the names created.
    pub async fn ensure_toggles(
        &self,
        names: &[String],
        features: &Value,
    ) -> Result<Vec<String>, AdminError> {
        let mut created = Vec::new();
        for name in names {
            if self.has_toggle(name).await? {
                continue;
            }
            self.create_toggle(name).await?;
            let feature = features["features"]
                .as_array()
                .and_then(|all| all.iter().find(|f| f["name"] == name.as_str()));
            let default = vec![json!({ "name": "default" })];
            let strategies = feature
                .and_then(|f| f["strategies"].as_array())
                .unwrap_or(&default);
            for strategy in strategies {
                let body = json!({
                    "name": strategy["name"],
                    "constraints": strategy.get("constraints").cloned().unwrap_or(json!([])),
                    "parameters": strategy.get("parameters").cloned().unwrap_or(json!({})),
                });
                self.add_strategy(name, body).await?;
            }
            if feature.is_some_and(|f| f["enabled"] == true) {
                self.switch(name, true).await?;
            }
            created.push(name.clone());
        }
        Ok(created)
    }
}

/// A flexibleRollout strategy at `percent`, sticky by userId.
pub fn rollout(percent: u8, group: &str) -> Value {
    json!({
        "name": "flexibleRollout",
        "constraints": [],
        "parameters": { "rollout": percent.to_string(), "stickiness": "userId", "groupId": group }
    })
}
