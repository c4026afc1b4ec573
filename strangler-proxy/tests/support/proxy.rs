//! The one way a test starts a proxy: [`TestProxy::builder`] writes the
//! settings file (shadow database, `[proxy]`, `[admin]`, `[flags]`, then the
//! test's own sections and routes) and the flags file into a temporary folder
//! of the proxy's own, loads it, lets the test adjust the loaded settings,
//! and starts the [`Application`]. The handle derefs to the application and
//! keeps the folder (removed on drop) for the flags file and settings file a
//! test edits.

use super::unleash_files::{TempDir, document};
use reqwest::Method;
use serde_json::Value;
use std::fmt::Display;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use strangler_proxy::app::Application;
use strangler_proxy::settings::Settings;

/// The admin token a proxy gets unless a test sets its own.
pub const TOKEN: &str = "test-proxy-token-0123456789";

/// A change to the loaded settings before the proxy starts.
type Adjustment = Box<dyn FnOnce(&mut Settings)>;

/// What the settings file holds before [`Builder::spawn`] starts the proxy.
pub struct Builder {
    legacy: String,
    token: String,
    shadow_url: Option<String>,
    flags: Value,
    /// Lines added to the `[shadow]`, `[proxy]` and `[flags]` tables.
    shadow: String,
    proxy: String,
    flags_table: String,
    /// Further sections and `[[routes]]`, after the tables above.
    toml: String,
    adjust: Vec<Adjustment>,
}

/// The files written for a proxy: its folder, settings file and flags file.
pub struct Files {
    pub dir: TempDir,
    pub config: PathBuf,
    pub flags: PathBuf,
}

/// A started proxy; stopped with [`TestProxy::stop`], its folder removed on drop.
pub struct TestProxy {
    app: Application,
    token: String,
    client: reqwest::Client,
    files: Files,
}

impl TestProxy {
    /// A proxy before a monolith nobody answers on, an empty flags file, a
    /// SQLite shadow database in its folder and the admin token [`TOKEN`].
    pub fn builder() -> Builder {
        Builder {
            legacy: "http://127.0.0.1:9".into(),
            token: TOKEN.into(),
            shadow_url: None,
            flags: document(vec![]),
            shadow: String::new(),
            proxy: String::new(),
            flags_table: String::new(),
            toml: String::new(),
            adjust: Vec::new(),
        }
    }

    /// `http://<proxy address><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.app.proxy_addr())
    }

    /// `http://<admin address><path>`.
    pub fn admin_url(&self, path: &str) -> String {
        format!("http://{}{path}", self.app.admin_addr())
    }

    /// `method` on the admin listener with the token (and `body` as JSON):
    /// the status and the JSON answer (`Null` when the body is not JSON).
    pub async fn admin(&self, method: Method, path: &str, body: Option<&Value>) -> (u16, Value) {
        let mut req = self
            .client
            .request(method, self.admin_url(path))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            req = req.json(body);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// `GET path` on the admin listener with the token: the JSON answer
    /// (panics when it is not JSON).
    pub async fn admin_get(&self, path: &str) -> Value {
        let req = self
            .client
            .get(self.admin_url(path))
            .bearer_auth(&self.token);
        req.send().await.unwrap().json().await.unwrap()
    }

    /// What `strangler <args>` prints against this proxy's admin listener
    /// (with the token); the command must succeed.
    pub async fn cli(&self, args: &[&str]) -> String {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_strangler"));
        command
            .args(args)
            .env(
                "STRANGLER__ADMIN__LISTEN",
                self.app.admin_addr().to_string(),
            )
            .env("STRANGLER__ADMIN__TOKEN", &self.token);
        let out = tokio::task::spawn_blocking(move || command.output().unwrap())
            .await
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "strangler {args:?}: {stderr}");
        String::from_utf8(out.stdout).unwrap()
    }

    /// The settings file the proxy was started from (to edit for a reload).
    pub fn config(&self) -> &Path {
        &self.files.config
    }

    /// The flags file the proxy watches.
    pub fn flags_file(&self) -> &Path {
        &self.files.flags
    }

    /// Stops the proxy, then removes its folder.
    pub async fn stop(self) {
        self.app.stop().await;
    }
}

impl std::ops::Deref for TestProxy {
    type Target = Application;

    fn deref(&self) -> &Application {
        &self.app
    }
}

impl Builder {
    /// The monolith at `http://{addr}`.
    pub fn legacy(self, addr: SocketAddr) -> Self {
        self.legacy_url(format!("http://{addr}"))
    }

    /// The monolith at `url`.
    pub fn legacy_url(mut self, url: impl Display) -> Self {
        self.legacy = url.to_string();
        self
    }

    /// The admin token.
    pub fn token(mut self, token: &str) -> Self {
        self.token = token.into();
        self
    }

    /// The shadow database at `url` (a test database) instead of SQLite in the folder.
    pub fn shadow_database(mut self, url: &str) -> Self {
        self.shadow_url = Some(url.into());
        self
    }

    /// The flags file's document (see `unleash_files::document`).
    pub fn flags(mut self, doc: Value) -> Self {
        self.flags = doc;
        self
    }

    /// Lines added to the `[shadow]` table.
    pub fn shadow_toml(mut self, lines: &str) -> Self {
        self.shadow = format!("{}{lines}\n", self.shadow);
        self
    }

    /// Lines added to the `[proxy]` table.
    pub fn proxy_toml(mut self, lines: &str) -> Self {
        self.proxy = format!("{}{lines}\n", self.proxy);
        self
    }

    /// Lines added to the `[flags]` table.
    pub fn flags_toml(mut self, lines: &str) -> Self {
        self.flags_table = format!("{}{lines}\n", self.flags_table);
        self
    }

    /// Further sections (`[resilience]`, `[watchdog]`, `[gate]`, `[sync]`,
    /// ...) and `[[routes]]`, written after the tables above.
    pub fn toml(mut self, text: &str) -> Self {
        self.toml = format!("{}{text}\n", self.toml);
        self
    }

    /// A change to the loaded settings, before the proxy starts.
    pub fn adjust(mut self, change: impl FnOnce(&mut Settings) + 'static) -> Self {
        self.adjust.push(Box::new(change));
        self
    }

    /// Writes the settings file and the flags file into a new folder (for a
    /// test that starts the `strangler` binary on them itself).
    pub fn write(&self) -> Files {
        let dir = TempDir::new();
        let flags = dir.write_json("flags.json", &self.flags);
        let shadow_url = match &self.shadow_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", dir.path().join("shadow.db").display()),
        };
        let config = dir.path().join("strangler.toml");
        let text = format!(
            "[shadow]\ndatabase_url = \"{shadow_url}\"\n{shadow}\
             [proxy]\nlisten = \"127.0.0.1:0\"\nlegacy = \"{legacy}\"\n{proxy}\
             [admin]\nlisten = \"127.0.0.1:0\"\ntoken = \"{token}\"\n\
             [flags]\nfile = \"{flags}\"\n{flags_table}\
             {toml}",
            shadow = self.shadow,
            legacy = self.legacy,
            proxy = self.proxy,
            token = self.token,
            flags = flags.display(),
            flags_table = self.flags_table,
            toml = self.toml,
        );
        std::fs::write(&config, text).unwrap();
        Files { dir, config, flags }
    }

    /// Writes the files, loads the settings, applies the adjustments and
    /// starts the proxy.
    pub async fn spawn(self) -> TestProxy {
        let files = self.write();
        let mut settings = Settings::load(Some(&files.config)).unwrap();
        for change in self.adjust {
            change(&mut settings);
        }
        let app = Application::start(settings, Some(files.config.clone()))
            .await
            .unwrap();
        TestProxy {
            app,
            token: self.token,
            client: reqwest::Client::new(),
            files,
        }
    }
}
