//! Log output kept in memory, for tests that check what was (and was not)
//! logged: hand `move || logs.clone()` to
//! [`crate::telemetry::init_with_writer`] (or a fmt layer's `with_writer`)
//! and read it back with [`CapturedLogs::text`].

use std::io::Write;
use std::sync::{Arc, Mutex};

/// A shared, growing buffer of log output; clones write to the same buffer.
#[derive(Clone, Default)]
pub struct CapturedLogs(Arc<Mutex<Vec<u8>>>);

impl CapturedLogs {
    /// Everything written so far (invalid UTF-8 is replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }
}

impl Write for CapturedLogs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
