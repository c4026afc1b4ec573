//! A `stack` process under test: its output collected line by line, its
//! parts' pids read from what it prints, and everything it started killed
//! when the test ends, passed or not.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A base port whose whole layout is free right now.
pub fn free_base() -> u16 {
    stack::layout::find_free_base()
        .expect("no free base port")
        .port(stack::layout::Part::Proxy)
}

/// The stack command on `base`, in `dir`.
pub fn command(base: u16, dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_stack"));
    cmd.args(["--base-port", &base.to_string(), "--dir"])
        .arg(dir)
        .env_remove("STRANGLER__ADMIN__TOKEN")
        .stdin(Stdio::null());
    cmd
}

pub fn signal(pid: u32, signal: rustix::process::Signal) {
    let pid = rustix::process::Pid::from_raw(pid as i32).unwrap();
    let _ = rustix::process::kill_process(pid, signal);
}

pub fn alive(pid: u32) -> bool {
    let pid = rustix::process::Pid::from_raw(pid as i32).unwrap();
    rustix::process::test_kill_process(pid).is_ok()
}

pub struct RunningStack {
    child: Child,
    base: u16,
    dir: PathBuf,
    lines: Arc<Mutex<Vec<String>>>,
}

impl RunningStack {
    pub fn start(env: &[(&str, &str)]) -> Self {
        Self::start_with(&[], env)
    }

    /// With switches (`--postgres URL`, `--unleash`, …) besides the folder
    /// and ports.
    pub fn start_with(args: &[&str], env: &[(&str, &str)]) -> Self {
        let dir =
            std::env::temp_dir().join(format!("stack-test-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let base = free_base();
        let mut child = command(base, &dir)
            .args(args)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let out = child.stdout.take().unwrap();
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if std::env::var_os("TEST_LOG").is_some() {
                    println!("{line}");
                }
                sink.lock().unwrap().push(line);
            }
        });
        Self {
            child,
            base,
            dir,
            lines,
        }
    }

    /// `http://127.0.0.1:<base + offset>`.
    pub fn url(&self, offset: u16) -> String {
        format!("http://127.0.0.1:{}", self.base + offset)
    }

    /// Runs `stack <args> --dir <this stack's folder>`, as a second terminal
    /// would, and returns how it went.
    pub fn command(&self, args: &[&str]) -> std::process::Output {
        Command::new(env!("CARGO_BIN_EXE_stack"))
            .args(args)
            .arg("--dir")
            .arg(&self.dir)
            .output()
            .unwrap()
    }

    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    /// Waits until a line contains `needle`; fails with the output after `limit`.
    pub fn wait_for(&self, needle: &str, limit: Duration) {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if self.lines().iter().any(|l| l.contains(needle)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "no line with `{needle}` after {limit:?}:\n{}",
            self.lines().join("\n")
        );
    }

    /// Pids of every `started <name> (pid N)` line, in order.
    pub fn all_pids(&self) -> Vec<u32> {
        self.started().into_iter().map(|(_, pid)| pid).collect()
    }

    /// The pid of the latest start of `name`.
    pub fn pid_of(&self, name: &str) -> u32 {
        self.started()
            .into_iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, pid)| pid)
            .unwrap_or_else(|| panic!("{name} was never started"))
    }

    fn started(&self) -> Vec<(String, u32)> {
        self.lines()
            .iter()
            .filter_map(|l| l.split_once("stack | started "))
            .filter_map(|(_, rest)| {
                let (name, pid) = rest.split_once(" (pid ")?;
                Some((name.to_owned(), pid.trim_end_matches(')').parse().ok()?))
            })
            .collect()
    }

    /// Waits (bounded) for the stack to exit on its own.
    pub fn wait_exit(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Let the reader thread take the last lines.
                std::thread::sleep(Duration::from_millis(200));
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the stack still runs after {limit:?}:\n{}",
                self.lines().join("\n")
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// SIGTERM, then waits (bounded) for the stack to exit.
    pub fn terminate(&mut self, limit: Duration) -> ExitStatus {
        signal(self.child.id(), rustix::process::Signal::TERM);
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                std::thread::sleep(Duration::from_millis(200));
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the stack did not stop in {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for RunningStack {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        for pid in self.all_pids() {
            if alive(pid) {
                signal(pid, rustix::process::Signal::KILL);
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
