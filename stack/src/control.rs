//! Stopping and starting one part of a running stack from another terminal,
//! `stack stop payment` and `stack start payment`: how a drill makes a
//! service fail (the tutorial's rollback drill) without the supervisor
//! undoing it. A part the operator stopped stays stopped, where one that
//! crashed is restarted, until it is started again.
//!
//! The command and the running supervisor talk through one file per part,
//! `data/stack/control/<part>`. The command writes `stop` (or `start`); the
//! supervisor acts at its next look (every 200 ms) and answers by writing
//! `stopped` once the process has ended (or by removing the file once the
//! started part is healthy). The command waits for that answer, so the next
//! command of a script finds the part down (or up).

use crate::plan;
use anyhow::{Context, bail};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The parts a command may name.
pub const PARTS: [&str; 4] = ["monolith", "fulfillment", "payment", "proxy"];

/// What a control file says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// The operator asked to stop the part.
    Stop,
    /// The supervisor stopped it and holds it stopped.
    Stopped,
    /// The operator asked to start it again.
    Start,
}

impl Request {
    fn word(self) -> &'static str {
        match self {
            Request::Stop => "stop",
            Request::Stopped => "stopped",
            Request::Start => "start",
        }
    }
}

/// The folder of the control files of the stack run in `dir`.
pub fn folder(dir: &Path) -> PathBuf {
    plan::generated(dir).join("control")
}

/// What `part`'s control file says (`None`: no file, or nothing known in it).
pub fn read(folder: &Path, part: &str) -> Option<Request> {
    let text = std::fs::read_to_string(folder.join(part)).ok()?;
    [Request::Stop, Request::Stopped, Request::Start]
        .into_iter()
        .find(|r| r.word() == text.trim())
}

/// Writes `request` into `part`'s control file (whole: a temporary file, then
/// a rename, so the other side never reads half a word).
pub fn write(folder: &Path, part: &str, request: Request) -> std::io::Result<()> {
    std::fs::create_dir_all(folder)?;
    let temporary = folder.join(format!(".{part}.tmp"));
    std::fs::write(&temporary, format!("{}\n", request.word()))?;
    std::fs::rename(temporary, folder.join(part))
}

/// Removes `part`'s control file: the part runs as usual again.
pub fn clear(folder: &Path, part: &str) {
    let _ = std::fs::remove_file(folder.join(part));
}

/// How long a command waits for the supervisor (a stop includes the part's
/// own graceful shutdown; a start, its start-up and health check).
const ANSWER_LIMIT: Duration = Duration::from_secs(60);

/// `stack stop <part>`: asks the stack running in `dir` to stop the part and
/// keep it stopped; returns once it has.
pub fn stop(dir: &Path, part: &str) -> anyhow::Result<()> {
    ask_stop(dir, part)?;
    println!("{part} stopped; the stack keeps it stopped until `stack start {part}`");
    Ok(())
}

/// `stack start <part>`: asks the stack to start a part stopped by `stack
/// stop` again; returns once it is healthy.
pub fn start(dir: &Path, part: &str) -> anyhow::Result<()> {
    ask_start(dir, part)?;
    println!("{part} started and healthy");
    Ok(())
}

/// Stops the part and starts it again (so it reads its settings file
/// anew); returns once it is healthy.
pub fn restart(dir: &Path, part: &str) -> anyhow::Result<()> {
    ask_stop(dir, part)?;
    ask_start(dir, part)
}

fn ask_stop(dir: &Path, part: &str) -> anyhow::Result<()> {
    let folder = folder(dir);
    known(part)?;
    write(&folder, part, Request::Stop).context("cannot write the stop request")?;
    if !wait(|| read(&folder, part) == Some(Request::Stopped)) {
        clear(&folder, part);
        bail!(
            "the stack did not stop {part} within {ANSWER_LIMIT:?}: is `cargo run -p stack` \
             running with this folder ({})?",
            dir.display()
        );
    }
    Ok(())
}

fn ask_start(dir: &Path, part: &str) -> anyhow::Result<()> {
    let folder = folder(dir);
    known(part)?;
    if read(&folder, part) != Some(Request::Stopped) {
        bail!("{part} was not stopped with `stack stop {part}`: nothing to start");
    }
    write(&folder, part, Request::Start).context("cannot write the start request")?;
    if !wait(|| read(&folder, part).is_none()) {
        bail!("{part} is not healthy after {ANSWER_LIMIT:?}: see the stack's output");
    }
    Ok(())
}

fn known(part: &str) -> anyhow::Result<()> {
    if PARTS.contains(&part) {
        return Ok(());
    }
    bail!("no part named `{part}`: one of {}", PARTS.join(", "))
}

fn wait(done: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + ANSWER_LIMIT;
    while !done() {
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip_through_the_file() {
        let dir = std::env::temp_dir().join(format!("control-{}", uuid::Uuid::new_v4().simple()));
        let folder = folder(&dir);
        assert_eq!(read(&folder, "payment"), None);
        for request in [Request::Stop, Request::Stopped, Request::Start] {
            write(&folder, "payment", request).unwrap();
            assert_eq!(read(&folder, "payment"), Some(request));
        }
        clear(&folder, "payment");
        assert_eq!(read(&folder, "payment"), None);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn an_unknown_part_or_a_start_without_a_stop_is_refused() {
        let dir = std::env::temp_dir().join(format!("control-{}", uuid::Uuid::new_v4().simple()));
        let err = stop(&dir, "payments").unwrap_err().to_string();
        assert!(err.starts_with("no part named `payments`"), "{err}");
        let err = start(&dir, "payment").unwrap_err().to_string();
        assert!(
            err.contains("was not stopped with `stack stop payment`"),
            "{err}"
        );
    }
}
