//! The local stack as a child process (`cargo run -p stack`), on free
//! ports in a temporary folder, and the `strangler` CLI of its
//! `data/stack.env`.

use anyhow::{Context, bail};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

/// A running stack.
pub struct Stack {
    child: Child,
    /// Its folder (`--dir`).
    pub dir: PathBuf,
    /// The proxy, where clients talk.
    pub proxy: String,
    _lines: Receiver<String>,
}

impl Stack {
    /// Builds and starts the stack; returns once it is ready.
    pub fn start(release: bool) -> anyhow::Result<Self> {
        let dir =
            std::env::temp_dir().join(format!("bench-migration-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir)?;
        let ports = stack::layout::find_free_base().context("no free ports")?;
        let base = ports.port(stack::layout::Part::Proxy);
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args(["run", "-q", "-p", "stack", "--"]);
        if release {
            cmd.arg("--release");
        }
        let mut child = cmd
            .args(["--base-port", &base.to_string(), "--dir"])
            .arg(&dir)
            .current_dir(&root)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .context("starting the stack")?;
        let out = child.stdout.take().context("the stack's output")?;
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(1800);
        loop {
            match lines.recv_timeout(Duration::from_secs(1)) {
                Ok(line) if line.contains("ready; Ctrl-C stops everything") => break,
                Ok(_) => {}
                Err(_) if Instant::now() > deadline => bail!("the stack is not ready"),
                Err(_) => {
                    if let Some(status) = child.try_wait()? {
                        bail!("the stack {status} before it was ready");
                    }
                }
            }
        }
        let mut stack = Self {
            child,
            dir,
            proxy: String::new(),
            _lines: lines,
        };
        stack.proxy = stack.cli("printf %s \"$PROXY\"")?;
        Ok(stack)
    }

    /// Runs `script` in bash in the stack's folder with `data/stack.env`
    /// sourced (the CLI on PATH, the admin token set); its output.
    pub fn cli(&self, script: &str) -> anyhow::Result<String> {
        let out = Command::new("bash")
            .args(["-c", &format!("set -e; source data/stack.env; {script}")])
            .current_dir(&self.dir)
            .output()
            .with_context(|| format!("running `{script}`"))?;
        if !out.status.success() {
            bail!(
                "`{script}` failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        // `cargo run` has become the stack: SIGTERM stops it and its parts.
        if let Some(pid) = rustix::process::Pid::from_raw(self.child.id() as i32) {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
