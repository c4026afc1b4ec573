//! The report window, as operators type it: `30s`, `15m`, `1h`, `7d`.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// The longest window accepted: results older than this are pruned anyway.
pub const MAX_WINDOW: Duration = Duration::from_secs(366 * 86_400);

/// A validated, positive look-back window of at most [`MAX_WINDOW`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window(Duration);

/// Why a window was refused; the message says what is accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{input}` is not a window: {reason}; use a whole number and a unit s, m, h or d, like 30s, 15m, 1h or 7d"
)]
pub struct WindowError {
    /// What was given.
    pub input: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl Window {
    /// Parses `<number><unit>` with unit `s`, `m`, `h` or `d`.
    pub fn parse(input: &str) -> Result<Self, WindowError> {
        let fail = |reason| WindowError {
            input: input.to_owned(),
            reason,
        };
        let text = input.trim();
        let split = text
            .find(|c: char| !c.is_ascii_digit())
            .ok_or_else(|| fail("the unit is missing"))?;
        let (digits, unit) = text.split_at(split);
        if digits.is_empty() {
            return Err(fail("it must start with a number"));
        }
        let seconds_per_unit = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3_600,
            "d" => 86_400,
            _ => return Err(fail("the unit must be s, m, h or d")),
        };
        let count: u64 = digits
            .parse()
            .map_err(|_| fail("the number is too large"))?;
        let seconds = count
            .checked_mul(seconds_per_unit)
            .ok_or_else(|| fail("the number is too large"))?;
        if seconds == 0 {
            return Err(fail("it must be longer than zero"));
        }
        let duration = Duration::from_secs(seconds);
        if duration > MAX_WINDOW {
            return Err(fail("it must be at most 366d"));
        }
        Ok(Self(duration))
    }

    /// The window's length.
    pub fn duration(self) -> Duration {
        self.0
    }
}

impl FromStr for Window {
    type Err = WindowError;
    fn from_str(s: &str) -> Result<Self, WindowError> {
        Self::parse(s)
    }
}

impl fmt::Display for Window {
    /// The largest whole unit, e.g. `90m` → `90m`, `120m` → `2h`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0.as_secs();
        match [(86_400, 'd'), (3_600, 'h'), (60, 'm')]
            .into_iter()
            .find(|(unit, _)| s.is_multiple_of(*unit))
        {
            Some((unit, name)) => write!(f, "{}{name}", s / unit),
            None => write!(f, "{s}s"),
        }
    }
}

impl From<WindowError> for platform::problem::Problem {
    fn from(e: WindowError) -> Self {
        Self::bad_request(e.to_string()).with("since", e.input)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_each_unit_and_prints_back() {
        for (text, secs) in [("30s", 30), ("15m", 900), ("1h", 3_600), ("7d", 604_800)] {
            let w = Window::parse(text).unwrap();
            assert_eq!(w.duration(), Duration::from_secs(secs));
            assert_eq!(w.to_string(), text);
        }
        assert_eq!(Window::parse("120m").unwrap().to_string(), "2h");
        assert_eq!(Window::parse("366d").unwrap().duration(), MAX_WINDOW);
    }
}
