//! Small things about one child process: how it ended, in words; a signal
//! to it by pid (SIGTERM has no `std` API); its output relayed line by line
//! under its name.

use crate::output::say;
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;

/// How a process ended, in words.
pub fn describe(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with status {code}"),
        (None, Some(signal)) => format!("was killed by signal {signal}"),
        (None, None) => "ended".to_owned(),
    }
}

/// Sends `signal` to `pid`.
pub fn signal(pid: u32, signal: rustix::process::Signal) {
    let pid = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw);
    if let Some(pid) = pid {
        // It may have ended already: then there is nothing to stop.
        let _ = rustix::process::kill_process(pid, signal);
    }
}

/// Relays each line of `pipe` under `name`, on a thread of its own.
pub fn relay(name: &'static str, pipe: impl std::io::Read + Send + 'static) {
    use std::io::BufRead;
    std::thread::spawn(move || {
        let lines = std::io::BufReader::new(pipe).split(b'\n');
        for line in lines.map_while(Result::ok) {
            say(name, &String::from_utf8_lossy(&line));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn an_ending_is_described() {
        let status = Command::new("sh").args(["-c", "exit 3"]).status().unwrap();
        assert_eq!(describe(status), "exited with status 3");
        let status = Command::new("sh")
            .args(["-c", "kill -9 $$"])
            .status()
            .unwrap();
        assert_eq!(describe(status), "was killed by signal 9");
    }
}
