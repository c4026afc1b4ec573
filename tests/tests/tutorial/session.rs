//! One bash session for the whole tutorial, as a reader's terminal: what a
//! block exports or sources holds for the next ones. Each block runs under
//! `set -eo pipefail`, so its first failing command ends the session and the
//! block is reported with its exit status and output.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

pub struct Session {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    marker: String,
}

/// How a block went.
pub enum Outcome {
    /// It ran to its end; its output.
    Done(String),
    /// A command failed (the session ended); the output so far and the status.
    Failed(String, String),
    /// It did not finish in time; the output so far.
    TimedOut(String),
}

impl Session {
    pub fn start(dir: &Path) -> Self {
        let mut child = Command::new("bash")
            .args(["--noprofile", "--norc"])
            .current_dir(dir)
            .env("NO_COLOR", "1")
            .env_remove("STRANGLER__ADMIN__TOKEN")
            .env_remove("STRANGLER_CONFIG")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("bash");
        let stdin = child.stdin.take().unwrap();
        let out = child.stdout.take().unwrap();
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut session = Self {
            child,
            stdin,
            lines,
            marker: format!("__tutorial_block_done_{}__", uuid::Uuid::new_v4().simple()),
        };
        session.send("exec 2>&1\nset -eo pipefail\n");
        session
    }

    fn send(&mut self, text: &str) {
        // A session that has ended shows as such when its output is read.
        let _ = self.stdin.write_all(text.as_bytes());
        let _ = self.stdin.flush();
    }

    /// Runs `block` and collects its output (stdout and stderr).
    pub fn run(&mut self, block: &str, limit: Duration) -> Outcome {
        let script = format!("{block}\nprintf '\\n%s\\n' {}\n", self.marker);
        self.send(&script);
        let deadline = Instant::now() + limit;
        let mut output = String::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line == self.marker => return Outcome::Done(output),
                Ok(line) => {
                    output.push_str(&line);
                    output.push('\n');
                }
                Err(RecvTimeoutError::Timeout) => return Outcome::TimedOut(output),
                Err(RecvTimeoutError::Disconnected) => {
                    let status = self.child.wait().map(|s| s.to_string());
                    return Outcome::Failed(output, status.unwrap_or_else(|e| e.to_string()));
                }
            }
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
