//! Test helpers for the flags file: a temporary folder removed on drop, a
//! client-features document builder, and a bounded wait.

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// A temporary folder, removed with its contents on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir = std::env::temp_dir().join(format!(
            "strangler-flags-{}-{nanos}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Writes `doc` to `name` in this folder and returns the file's path.
    pub fn write_json(&self, name: &str, doc: &Value) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, serde_json::to_vec_pretty(doc).unwrap()).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A flag with one `flexibleRollout` strategy (userId stickiness).
pub fn rollout_flag(name: &str, enabled: bool, percent: u8, group: &str) -> Value {
    json!({
        "name": name,
        "enabled": enabled,
        "strategies": [{
            "name": "flexibleRollout",
            "constraints": [],
            "parameters": { "rollout": percent.to_string(), "stickiness": "userId", "groupId": group }
        }]
    })
}

/// A flag with the `default` strategy (on for everyone when enabled).
pub fn simple_flag(name: &str, enabled: bool) -> Value {
    json!({ "name": name, "enabled": enabled, "strategies": [{ "name": "default" }] })
}

/// A client-features document holding `features`.
pub fn document(features: Vec<Value>) -> Value {
    json!({ "version": 2, "features": features })
}

/// Polls `condition` until it holds or `limit` passes; returns whether it held.
pub async fn eventually(limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
