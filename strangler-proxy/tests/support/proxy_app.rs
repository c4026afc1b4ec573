//! A proxy started for a test: its settings file (the test's TOML plus a
//! shadow database) and an empty flags file in a folder of its own, then
//! whatever the test changes in the loaded settings.

use std::path::PathBuf;
use strangler_proxy::app::Application;
use strangler_proxy::settings::Settings;

/// Starts a proxy named `name` (its folder's name) from `toml`, after
/// `adjust` has had its say on the loaded settings.
pub async fn start(name: &str, toml: &str, adjust: impl FnOnce(&mut Settings)) -> Application {
    let dir = folder(name);
    let config = dir.join("strangler.toml");
    let shadow = format!(
        "[shadow]\ndatabase_url = \"sqlite://{}\"\n",
        dir.join("shadow.db").display()
    );
    std::fs::write(&config, format!("{shadow}{toml}")).unwrap();
    let flags = dir.join("flags.json");
    std::fs::write(&flags, r#"{"version": 2, "features": []}"#).unwrap();
    let mut settings = Settings::load(Some(&config)).unwrap();
    settings.flags.file = flags;
    adjust(&mut settings);
    Application::start(settings, Some(config)).await.unwrap()
}

fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("strangler-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
