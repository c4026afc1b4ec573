//! The embedded default source: a local client-features file, re-read on every
//! tick and reloaded when its bytes change. Comparing bytes rather than mtimes
//! catches two quick edits within one timestamp tick (a `rollout 25` then
//! `rollout 50` leaves the size unchanged), and the files are small.

use super::FlagsError;
use super::document;
use super::source::{Memo, Outcome};
use std::path::{Path, PathBuf};

pub(crate) struct FileSource {
    path: PathBuf,
}

impl FileSource {
    pub(crate) fn new(path: PathBuf) -> Self {
        Self { path }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) async fn fetch(&self, memo: &mut Memo, force: bool) -> Result<Outcome, FlagsError> {
        let bytes = match read(self.path.clone()).await {
            Ok(bytes) => bytes,
            Err(err) => {
                // A later successful read must count as a change.
                memo.last_bytes = None;
                return Err(err);
            }
        };
        if !force && memo.last_bytes.as_deref() == Some(bytes.as_slice()) {
            return Ok(Outcome::Unchanged);
        }
        let parsed = document::parse_strict(&bytes, &self.path.display().to_string());
        memo.last_bytes = Some(bytes);
        parsed.map(|doc| Outcome::Changed(Box::new(doc)))
    }
}

async fn read(path: PathBuf) -> Result<Vec<u8>, FlagsError> {
    let task_path = path.clone();
    match tokio::task::spawn_blocking(move || std::fs::read(task_path)).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(source)) => Err(FlagsError::Io {
            path,
            action: "read",
            source,
        }),
        Err(join) => Err(FlagsError::Io {
            path,
            action: "read",
            source: std::io::Error::other(join.to_string()),
        }),
    }
}
