//! Headless Chromium (Debian's `chromium`, installed by `scripts/test`) for
//! tests that look at a page as a person would: its DOM after scripts and
//! redirects, or a screenshot. Used by the dashboard's browser test and the
//! tutorial's screenshots, so both see the page the same way.

use std::path::Path;
use std::process::{Command, Output};

/// Runs headless Chromium on `url` with `args` (e.g. `--dump-dom`, or
/// `--window-size=…` and `--screenshot=…`) in a throw-away profile.
pub fn headless(args: &[&str], url: &str) -> Output {
    let profile = std::env::temp_dir().join(format!(
        "strangler-chromium-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
        ])
        .args([
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url)
        .output()
        .unwrap_or_else(|e| panic!("chromium is not installed (scripts/test installs it): {e}"));
    let _ = std::fs::remove_dir_all(profile);
    out
}

/// A `width`×`height` PNG of `url` at `file`; panics with Chromium's own
/// words when no picture came out.
pub fn screenshot(url: &str, file: &Path, width: u32, height: u32) {
    let out = headless(
        &[
            &format!("--window-size={width},{height}"),
            &format!("--screenshot={}", file.display()),
        ],
        url,
    );
    // A blank or error page is a few kilobytes; a rendered dashboard more.
    assert!(
        file.metadata().is_ok_and(|m| m.len() > 10_000),
        "no screenshot of {url}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
