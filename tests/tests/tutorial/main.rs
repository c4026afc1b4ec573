//! Runs docs/tutorial.md as a reader would: starts the stack with the doc's
//! own command (on free ports, in a temporary folder), then runs every marked
//! command block in order in one shell in that folder, and checks each
//! expected output. It fails naming the block and the line the moment the doc
//! and the kit disagree. The marking is described in `doc.rs` and at the top
//! of the tutorial.
//!
//! The doc's dashboard pictures are taken during the run, in headless
//! Chromium, of the run's own stack; `TUTORIAL_SCREENSHOTS=1` writes them
//! into `docs/` (otherwise they go to the target folder and the doc's copy
//! must exist).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod doc;
mod session;

use doc::{Block, Kind};
use session::{Outcome, Session};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const DOC: &str = "docs/tutorial.md";
/// Starting may include building the deployables.
const START_LIMIT: Duration = Duration::from_secs(900);
const BLOCK_LIMIT: Duration = Duration::from_secs(120);

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The stack, started with the doc's command plus `--dir` and `--base-port`.
struct Stack {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Stack {
    fn start(block: &Block, dir: &Path, base: u16) -> Self {
        let words: Vec<&str> = block.text.split_whitespace().collect();
        assert!(
            words.len() >= 4 && words[..4] == ["cargo", "run", "-p", "stack"],
            "{DOC}:{}: the stack block must be `cargo run -p stack [-- ARGS]`",
            block.line
        );
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args(&words[1..]);
        if !words.contains(&"--") {
            cmd.arg("--");
        }
        let mut child = cmd
            .args(["--base-port", &base.to_string(), "--dir"])
            .arg(dir)
            .current_dir(workspace())
            .env_remove("STRANGLER__ADMIN__TOKEN")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        Self { child, lines }
    }

    fn output(&self) -> String {
        self.lines.lock().unwrap().join("\n")
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + START_LIMIT;
        while !self.output().contains("ready; Ctrl-C stops everything") {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("the stack {status} before it was ready:\n{}", self.output());
            }
            assert!(
                Instant::now() < deadline,
                "the stack is not ready:\n{}",
                self.output()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        // `cargo run` has become the stack: SIGTERM stops it and its parts.
        let pid = rustix::process::Pid::from_raw(self.child.id() as i32).unwrap();
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.child.try_wait().unwrap().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn fail(block: &Block, what: &str, output: &str) -> ! {
    panic!(
        "{DOC}:{}: {what}\n--- the block ---\n{}\n--- its output ---\n{output}",
        block.line, block.text
    )
}

/// Takes the picture a screenshot marker asks for, signed in to the run's
/// dashboard as the tutorial shows (the session knows the address and token).
fn screenshot(shell: &mut Session, block: &Block) {
    let (file, path) = block.text.split_once(' ').unwrap();
    let login = format!(
        "printf '%s\\n' \"$ADMIN/dashboard/login?token=$STRANGLER__ADMIN__TOKEN&next={path}\""
    );
    let url = match shell.run(&login, BLOCK_LIMIT) {
        Outcome::Done(output) => output.trim().to_owned(),
        _ => fail(block, "cannot expand the page's address", ""),
    };
    let shot = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(file.replace('/', "-"));
    platform::testing::chromium::screenshot(&url, &shot, 1280, 1200);
    let in_docs = workspace().join("docs").join(file);
    if std::env::var_os("TUTORIAL_SCREENSHOTS").is_some() {
        std::fs::create_dir_all(in_docs.parent().unwrap()).unwrap();
        std::fs::copy(&shot, &in_docs).unwrap();
    } else {
        assert!(
            in_docs.exists(),
            "{DOC}:{}: docs/{file} is missing (TUTORIAL_SCREENSHOTS=1 writes it)",
            block.line
        );
    }
}

#[test]
fn the_tutorial_runs_as_written() {
    let text = std::fs::read_to_string(workspace().join(DOC)).unwrap();
    let blocks = doc::blocks(&text).unwrap_or_else(|e| panic!("{DOC}: {e}"));
    let (first, rest) = blocks
        .split_first()
        .expect("the tutorial has no marked block");
    assert_eq!(
        first.kind,
        Kind::Stack,
        "{DOC}: the first marked block must start the stack"
    );
    assert!(
        rest.iter().all(|b| b.kind != Kind::Stack),
        "{DOC}: one stack block only"
    );

    let dir = std::env::temp_dir().join(format!("tutorial-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let ports = stack::layout::find_free_base().expect("no free ports");
    let base = ports.port(stack::layout::Part::Proxy);
    let rewrite = |line: &str| doc::on_base(line, base);

    let mut stack = Stack::start(first, &dir, base);
    stack.wait_ready();
    if let Err(e) = doc::check(&first.expect, &stack.output(), rewrite) {
        fail(first, &e, &stack.output());
    }
    let mut shell = Session::start(&dir);
    for block in rest {
        if block.kind == Kind::Screenshot {
            screenshot(&mut shell, block);
            continue;
        }
        match shell.run(&block.text, BLOCK_LIMIT) {
            Outcome::Done(output) => {
                if let Err(e) = doc::check(&block.expect, &output, rewrite) {
                    fail(block, &e, &output);
                }
            }
            Outcome::Failed(output, status) => fail(block, &format!("failed ({status})"), &output),
            Outcome::TimedOut(output) => fail(
                block,
                &format!("did not finish in {BLOCK_LIMIT:?}"),
                &output,
            ),
        }
    }
    drop(shell);
    drop(stack);
    let _ = std::fs::remove_dir_all(&dir);
}
