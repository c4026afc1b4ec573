//! Runs the stack's processes. Each starts in order and must answer its
//! health endpoint before the next starts (the later parts need the earlier:
//! payment relays events to fulfillment, the proxy forwards to all). Their
//! output is relayed line by line under their name. One that dies is started
//! again after a pause that doubles while it keeps dying (a part that crashes
//! at once must not spin), and the supervisor says so. On SIGINT or SIGTERM
//! the parts stop in reverse order: SIGTERM, a grace period, then SIGKILL.
//!
//! A part stopped with `stack stop` is held stopped, not restarted, until
//! `stack start` (see [`crate::control`]).
//!
//! Children run in their own process group, so a Ctrl-C in the terminal
//! reaches the supervisor alone and the order of the stop is its own. Each
//! child is waited for on a thread of its own (`std::process`): tokio's
//! `process` feature would change tokio's features for every crate of the
//! workspace built alongside, and rebuild them all.

use crate::child::{describe, relay, signal};
use crate::control::{self, Request};
use crate::output::say;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};

/// One process of the stack.
#[derive(Debug, Clone)]
pub struct Component {
    /// Its name in the output.
    pub name: &'static str,
    /// The executable.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
    /// Variables added to the supervisor's environment.
    pub env: Vec<(String, String)>,
    /// Its working folder (where its `data/` is).
    pub cwd: PathBuf,
    /// A URL that answers 2xx once it serves.
    pub health: String,
    /// How long it may take to become healthy.
    pub start_limit: Duration,
}

/// Why the stack could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The program could not be run.
    #[error("cannot start {name} ({program}): {source}")]
    Spawn {
        /// The part.
        name: &'static str,
        /// Its executable.
        program: String,
        /// Why.
        source: std::io::Error,
    },
    /// It exited before it answered its health check.
    #[error("{name} {status} before it was healthy; its last lines are above")]
    Exited {
        /// The part.
        name: &'static str,
        /// How it ended.
        status: String,
    },
    /// It runs but never answered its health check.
    #[error("{name} did not answer {health} within {limit:?}")]
    Unhealthy {
        /// The part.
        name: &'static str,
        /// The health URL.
        health: String,
        /// The limit.
        limit: Duration,
    },
    /// SIGINT or SIGTERM arrived while starting.
    #[error("stopped while starting")]
    Stopped,
}

/// How long a stopping part may take before it is killed.
const GRACE: Duration = Duration::from_secs(15);
/// Restart pauses double from this …
const FIRST_PAUSE: Duration = Duration::from_millis(500);
/// … up to this.
const MAX_PAUSE: Duration = Duration::from_secs(30);
/// A part that ran this long before it died is restarted after the first pause again.
const STABLE: Duration = Duration::from_secs(60);

/// The pause before restart number `n` (0-based) of a run of quick crashes.
pub fn backoff(n: u32) -> Duration {
    FIRST_PAUSE
        .saturating_mul(1u32.checked_shl(n).unwrap_or(u32::MAX))
        .min(MAX_PAUSE)
}

enum State {
    Running {
        pid: u32,
        since: Instant,
        healthy: bool,
    },
    Waiting {
        due: Instant,
    },
    /// Stopped by `stack stop`: not restarted until `stack start`.
    Held,
    Stopped,
}

struct Slot {
    component: Component,
    state: State,
    generation: u64,
    quick_crashes: u32,
    restarts: u32,
    /// `stack stop` asked for it and SIGTERM was sent.
    stopping: bool,
}

struct Exit {
    index: usize,
    generation: u64,
    status: ExitStatus,
}

/// The running parts.
pub struct Supervisor {
    slots: Vec<Slot>,
    exits_tx: mpsc::UnboundedSender<Exit>,
    exits_rx: mpsc::UnboundedReceiver<Exit>,
    http: reqwest::Client,
    control: Option<PathBuf>,
}

impl Default for Supervisor {
    fn default() -> Self {
        Self::new()
    }
}

impl Supervisor {
    /// No parts yet.
    pub fn new() -> Self {
        let (exits_tx, exits_rx) = mpsc::unbounded_channel();
        Self {
            slots: Vec::new(),
            exits_tx,
            exits_rx,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(2))
                .build()
                .unwrap_or_default(),
            control: None,
        }
    }

    /// Also obeys `stack stop` and `stack start` through the control files
    /// in `folder`.
    pub fn with_control(folder: PathBuf) -> Self {
        Self {
            control: Some(folder),
            ..Self::new()
        }
    }

    /// Starts `component` and waits until it is healthy.
    pub async fn start(
        &mut self,
        component: Component,
        stop: &mut watch::Receiver<bool>,
    ) -> Result<(), StartError> {
        let index = self.slots.len();
        self.slots.push(Slot {
            component,
            state: State::Stopped,
            generation: 0,
            quick_crashes: 0,
            restarts: 0,
            stopping: false,
        });
        self.spawn(index)?;
        let slot = &self.slots[index];
        let (name, limit) = (slot.component.name, slot.component.start_limit);
        let deadline = Instant::now() + limit;
        loop {
            if self.healthy(index).await {
                if let State::Running { healthy, .. } = &mut self.slots[index].state {
                    *healthy = true;
                }
                say("stack", &format!("{name} is healthy"));
                return Ok(());
            }
            tokio::select! {
                Some(exit) = self.exits_rx.recv() => {
                    let name = self.slots[exit.index].component.name;
                    self.slots[exit.index].state = State::Stopped;
                    return Err(StartError::Exited { name, status: describe(exit.status) });
                }
                _ = stop.changed() => return Err(StartError::Stopped),
                _ = tokio::time::sleep(Duration::from_millis(100)) => {}
            }
            if Instant::now() > deadline {
                let health = self.slots[index].component.health.clone();
                return Err(StartError::Unhealthy {
                    name,
                    health,
                    limit,
                });
            }
        }
    }

    fn spawn(&mut self, index: usize) -> Result<(), StartError> {
        let slot = &mut self.slots[index];
        let c = &slot.component;
        let mut child = Command::new(&c.program)
            .args(&c.args)
            .envs(c.env.iter().map(|(k, v)| (k, v)))
            .current_dir(&c.cwd)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .map_err(|source| StartError::Spawn {
                name: c.name,
                program: c.program.display().to_string(),
                source,
            })?;
        let name = c.name;
        if let Some(out) = child.stdout.take() {
            relay(name, out);
        }
        if let Some(err) = child.stderr.take() {
            relay(name, err);
        }
        slot.generation += 1;
        let pid = child.id();
        say("stack", &format!("started {name} (pid {pid})"));
        slot.state = State::Running {
            pid,
            since: Instant::now(),
            healthy: false,
        };
        let (tx, generation) = (self.exits_tx.clone(), slot.generation);
        std::thread::spawn(move || {
            if let Ok(status) = child.wait() {
                let _ = tx.send(Exit {
                    index,
                    generation,
                    status,
                });
            }
        });
        Ok(())
    }

    async fn healthy(&self, index: usize) -> bool {
        let url = &self.slots[index].component.health;
        self.http
            .get(url)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
    }

    /// Keeps the parts running until `stop` turns true.
    pub async fn run(&mut self, stop: &mut watch::Receiver<bool>) {
        let mut tick = tokio::time::interval(Duration::from_millis(200));
        loop {
            tokio::select! {
                _ = stop.changed() => return,
                Some(exit) = self.exits_rx.recv() => self.exited(exit),
                _ = tick.tick() => self.tend().await,
            }
        }
    }

    fn exited(&mut self, exit: Exit) {
        let slot = &mut self.slots[exit.index];
        let State::Running { since, .. } = slot.state else {
            return;
        };
        if exit.generation != slot.generation {
            return;
        }
        if slot.stopping {
            slot.stopping = false;
            slot.state = State::Held;
            let name = slot.component.name;
            self.answer(name, Request::Stopped);
            say(
                "stack",
                &format!("{name} stopped on request; `stack start {name}` starts it again"),
            );
            return;
        }
        if since.elapsed() >= STABLE {
            slot.quick_crashes = 0;
        }
        let pause = backoff(slot.quick_crashes);
        slot.quick_crashes += 1;
        slot.restarts += 1;
        slot.state = State::Waiting {
            due: Instant::now() + pause,
        };
        say(
            "stack",
            &format!(
                "{} {}; restarting it in {pause:?} (restart {})",
                slot.component.name,
                describe(exit.status),
                slot.restarts
            ),
        );
    }

    /// Restarts the parts whose pause is over; reports the restarted ones
    /// that have become healthy.
    async fn tend(&mut self) {
        for index in 0..self.slots.len() {
            self.obey(index);
            match self.slots[index].state {
                State::Waiting { due } if Instant::now() >= due => {
                    if let Err(e) = self.spawn(index) {
                        say("stack", &format!("{e}; trying again"));
                        self.exited_to_start(index);
                    }
                }
                State::Running { healthy: false, .. } if self.healthy(index).await => {
                    if let State::Running { healthy, .. } = &mut self.slots[index].state {
                        *healthy = true;
                    }
                    let name = self.slots[index].component.name;
                    say("stack", &format!("{name} is healthy again"));
                    if let Some(folder) = &self.control
                        && control::read(folder, name) == Some(Request::Start)
                    {
                        control::clear(folder, name);
                    }
                }
                _ => {}
            }
        }
    }

    /// Acts on the part's control file: a stop request stops it (and the
    /// exit holds it), a start request starts a held part.
    fn obey(&mut self, index: usize) {
        let Some(folder) = &self.control else { return };
        let slot = &mut self.slots[index];
        let name = slot.component.name;
        match (control::read(folder, name), &slot.state) {
            (Some(Request::Stop), State::Running { pid, .. }) if !slot.stopping => {
                slot.stopping = true;
                say("stack", &format!("stopping {name} on request"));
                signal(*pid, rustix::process::Signal::TERM);
            }
            (Some(Request::Stop), State::Waiting { .. }) => {
                slot.state = State::Held;
                self.answer(name, Request::Stopped);
            }
            (Some(Request::Start), State::Held) => {
                if let Err(e) = self.spawn(index) {
                    say("stack", &format!("{e}; trying again"));
                    self.exited_to_start(index);
                }
            }
            _ => {}
        }
    }

    fn answer(&self, name: &str, request: Request) {
        if let Some(folder) = &self.control
            && let Err(e) = control::write(folder, name, request)
        {
            say("stack", &format!("cannot answer the control request: {e}"));
        }
    }

    fn exited_to_start(&mut self, index: usize) {
        let slot = &mut self.slots[index];
        let pause = backoff(slot.quick_crashes);
        slot.quick_crashes += 1;
        slot.state = State::Waiting {
            due: Instant::now() + pause,
        };
    }

    /// Stops every part, last started first: SIGTERM, then SIGKILL after
    /// the grace period.
    pub async fn shutdown(&mut self) {
        for index in (0..self.slots.len()).rev() {
            let State::Running { pid, .. } = self.slots[index].state else {
                self.slots[index].state = State::Stopped;
                continue;
            };
            let name = self.slots[index].component.name;
            say("stack", &format!("stopping {name}"));
            signal(pid, rustix::process::Signal::TERM);
            let status = match self.wait_for(index, GRACE).await {
                Some(status) => status,
                None => {
                    say(
                        "stack",
                        &format!("{name} still runs after {GRACE:?}: killing it"),
                    );
                    signal(pid, rustix::process::Signal::KILL);
                    match self.wait_for(index, Duration::from_secs(5)).await {
                        Some(status) => status,
                        None => continue,
                    }
                }
            };
            say("stack", &format!("{name} {}", describe(status)));
        }
    }

    /// Waits up to `limit` for the current process of slot `index` to end.
    async fn wait_for(&mut self, index: usize, limit: Duration) -> Option<ExitStatus> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let exit = tokio::time::timeout_at(deadline, self.exits_rx.recv())
                .await
                .ok()??;
            if exit.index == index && exit.generation == self.slots[index].generation {
                self.slots[index].state = State::Stopped;
                return Some(exit.status);
            }
            // Another part ended on its own meanwhile: it is not restarted.
            self.slots[exit.index].state = State::Stopped;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_double_up_to_the_limit() {
        assert_eq!(backoff(0), Duration::from_millis(500));
        assert_eq!(backoff(1), Duration::from_secs(1));
        assert_eq!(backoff(3), Duration::from_secs(4));
        assert_eq!(backoff(6), MAX_PAUSE);
        assert_eq!(backoff(40), MAX_PAUSE);
    }
}
