//! The stack's one output stream: every line, its own and its children's,
//! prefixed with the name of the process it came from, written whole under
//! the stdout lock so lines of different processes never interleave.

use std::io::Write;

/// Width of the name column (`fulfillment` is the longest name).
const WIDTH: usize = 11;

/// Prints `line` as coming from `name`.
pub fn say(name: &str, line: &str) {
    let mut out = std::io::stdout().lock();
    // A closed stdout (the terminal went away) must not stop the supervisor.
    let _ = writeln!(out, "{}", prefixed(name, line));
}

fn prefixed(name: &str, line: &str) -> String {
    format!("{name:>WIDTH$} | {}", line.trim_end_matches('\r'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_aligned() {
        assert_eq!(prefixed("stack", "ready"), "      stack | ready");
        assert_eq!(prefixed("fulfillment", "x\r"), "fulfillment | x");
    }
}
