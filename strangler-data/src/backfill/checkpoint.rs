//! Where a backfill stands, written after every batch, and its dead letters.
//!
//! The checkpoint is replaced atomically (written to a temporary file,
//! flushed, renamed over the old one), so a run killed at any instant leaves
//! either the previous checkpoint or the new one, never half of one. A batch
//! imported but not yet checkpointed is read again on resume and the service
//! reports its records as already imported: every record lands exactly once.

use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use v2_common::LegacyKey;

/// The saved position of each entity of a context's backfill.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The context (`payments`).
    pub context: String,
    /// Per entity, the last legacy key handled (the next read's `after`):
    /// an id, or a stock item's SKU.
    pub after: BTreeMap<String, LegacyKey>,
}

impl Checkpoint {
    /// The checkpoint at `path`, or an empty one when there is none.
    pub fn load(path: &Path, context: &str) -> anyhow::Result<Self> {
        match std::fs::read(path) {
            Ok(bytes) => {
                let cp: Self = serde_json::from_slice(&bytes)
                    .with_context(|| format!("{} is not a backfill checkpoint", path.display()))?;
                anyhow::ensure!(
                    cp.context == context,
                    "{} is the checkpoint of `{}`, not `{context}`",
                    path.display(),
                    cp.context
                );
                Ok(cp)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self {
                context: context.to_owned(),
                after: BTreeMap::new(),
            }),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    /// Replaces the file at `path` atomically.
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        let tmp = path.with_extension("tmp");
        let mut file =
            std::fs::File::create(&tmp).with_context(|| format!("writing {}", tmp.display()))?;
        file.write_all(&serde_json::to_vec_pretty(self)?)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path).with_context(|| format!("replacing {}", path.display()))?;
        Ok(())
    }
}

/// The files of one context's backfill, in its state folder.
#[derive(Debug, Clone)]
pub struct StateFiles {
    /// `<context>.checkpoint.json`.
    pub checkpoint: PathBuf,
    /// `<context>.dead-letters.jsonl`, next to it.
    pub dead_letters: PathBuf,
}

impl StateFiles {
    /// The files of `context` in `dir` (created if missing).
    pub fn in_dir(dir: &Path, context: &str) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(Self {
            checkpoint: dir.join(format!("{context}.checkpoint.json")),
            dead_letters: dir.join(format!("{context}.dead-letters.jsonl")),
        })
    }
}

/// A record the run could not move, with why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetter {
    /// `payment`, `invoice`, …
    pub entity: String,
    /// Its legacy key (a stock item's: its SKU).
    pub legacy_id: LegacyKey,
    /// Why: the ACL's or the service's reason.
    pub reason: String,
}

/// Appends dead letters to the JSONL file, one line each.
pub fn append_dead_letters(path: &Path, letters: &[DeadLetter]) -> anyhow::Result<()> {
    if letters.is_empty() {
        return Ok(());
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))?;
    let mut out = Vec::new();
    for letter in letters {
        serde_json::to_writer(&mut out, letter)?;
        out.push(b'\n');
    }
    file.write_all(&out)?;
    file.sync_data()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_checkpoint_loads_back_and_names_its_context() {
        let dir = std::env::temp_dir().join(format!("cp-{}", uuid::Uuid::new_v4()));
        let files = StateFiles::in_dir(&dir, "payments").unwrap();
        let mut cp = Checkpoint::load(&files.checkpoint, "payments").unwrap();
        assert!(cp.after.is_empty());
        cp.after.insert("payment".into(), LegacyKey::Id(42));
        cp.after.insert("stock item".into(), LegacyKey::from("W-1"));
        cp.save(&files.checkpoint).unwrap();
        assert_eq!(Checkpoint::load(&files.checkpoint, "payments").unwrap(), cp);
        assert!(Checkpoint::load(&files.checkpoint, "fulfillment").is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
