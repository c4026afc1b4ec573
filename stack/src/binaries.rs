//! The four deployables' binaries, built by the cargo that runs the stack
//! (`$CARGO`, set by `cargo run`) from the workspace root, so the workspace's
//! own cargo settings apply and an up-to-date build costs about a second.
//! Where each binary landed is read from cargo's JSON messages, not guessed
//! from the target folder's layout.

use crate::output::say;
use anyhow::{Context, bail};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The packages built, and the binary each must produce.
const PACKAGES: [(&str, &str); 4] = [
    ("monolith", "monolith"),
    ("payment", "payment"),
    ("fulfillment", "fulfillment"),
    ("strangler-proxy", "strangler"),
];

/// Paths of the built executables.
#[derive(Debug, Clone)]
pub struct Binaries {
    /// `monolith`.
    pub monolith: PathBuf,
    /// `payment`.
    pub payment: PathBuf,
    /// `fulfillment`.
    pub fulfillment: PathBuf,
    /// `strangler` (the proxy and its CLI).
    pub strangler: PathBuf,
}

impl Binaries {
    /// The folder holding them (put on `PATH` by `data/stack.env`).
    pub fn dir(&self) -> &Path {
        self.strangler.parent().unwrap_or(Path::new("."))
    }
}

/// Runs `cargo build --bins` for the four packages in `workspace`; cargo's
/// own messages are shown with the `build` prefix.
pub fn build(workspace: &Path, release: bool) -> anyhow::Result<Binaries> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(&cargo);
    cmd.current_dir(workspace).args([
        "build",
        "--bins",
        "--message-format=json-render-diagnostics",
    ]);
    for (package, _) in PACKAGES {
        cmd.args(["-p", package]);
    }
    if release {
        cmd.arg("--release");
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {}", Path::new(&cargo).display()))?;
    let stderr = child.stderr.take().context("cargo's stderr")?;
    let relay = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            say("build", &line);
        }
    });
    let mut found = Vec::new();
    let stdout = child.stdout.take().context("cargo's stdout")?;
    for line in BufReader::new(stdout).lines().map_while(Result::ok) {
        if let Some(artifact) = executable(&line) {
            found.push(artifact);
        }
    }
    let status = child.wait().context("waiting for cargo")?;
    let _ = relay.join();
    if !status.success() {
        bail!("cargo build failed ({status}); see its messages above");
    }
    let path = |bin: &str| {
        found
            .iter()
            .find(|(name, _)| name == bin)
            .map(|(_, path)| path.clone())
            .with_context(|| format!("cargo built no `{bin}` binary"))
    };
    Ok(Binaries {
        monolith: path(PACKAGES[0].1)?,
        payment: path(PACKAGES[1].1)?,
        fulfillment: path(PACKAGES[2].1)?,
        strangler: path(PACKAGES[3].1)?,
    })
}

/// `(binary name, path)` of a `compiler-artifact` message for an executable.
fn executable(line: &str) -> Option<(String, PathBuf)> {
    let message: serde_json::Value = serde_json::from_str(line).ok()?;
    if message["reason"] != "compiler-artifact" {
        return None;
    }
    let path = message["executable"].as_str()?;
    let name = message["target"]["name"].as_str()?;
    Some((name.to_owned(), PathBuf::from(path)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_executables_are_taken_from_cargo_s_messages() {
        let bin = r#"{"reason":"compiler-artifact","target":{"name":"monolith","kind":["bin"]},"executable":"/t/debug/monolith"}"#;
        let lib = r#"{"reason":"compiler-artifact","target":{"name":"platform","kind":["lib"]},"executable":null}"#;
        let done = r#"{"reason":"build-finished","success":true}"#;
        assert_eq!(
            executable(bin),
            Some(("monolith".into(), PathBuf::from("/t/debug/monolith")))
        );
        assert_eq!(executable(lib), None);
        assert_eq!(executable(done), None);
        assert_eq!(executable("Compiling x"), None);
    }
}
