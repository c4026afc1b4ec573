//! Editing the flags file for the `strangler flags list | create | enable |
//! disable | rollout` CLI. Every edit reads the file, refuses to touch an invalid one,
//! changes one flag, checks the result loads, and replaces the file atomically
//! (a temporary file in the same folder, synced, then renamed over it), so a
//! running proxy never sees a half-written file. Fields the edit does not touch
//! (descriptions, constraints, variants, other strategies) are kept.
//!
//! Two concurrent edits of the same file do not tear it, but the later one wins.

use super::snapshot::{self, FlagSummary};
use super::{FlagsError, document};
use serde_json::{Map, Value, json};
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// A rollout percentage, 0..=100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Percent(u8);

impl Percent {
    /// Checks `value` is within 0..=100.
    pub fn new(value: u32) -> Result<Self, FlagsError> {
        match u8::try_from(value) {
            Ok(v) if v <= 100 => Ok(Self(v)),
            _ => Err(FlagsError::BadPercent {
                given: value.to_string(),
            }),
        }
    }

    /// The percentage.
    pub fn get(self) -> u8 {
        self.0
    }
}

impl FromStr for Percent {
    type Err = FlagsError;

    /// Accepts `25` or `25%`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let trimmed = s.trim();
        let digits = trimmed.strip_suffix('%').unwrap_or(trimmed);
        digits
            .parse::<u32>()
            .map_err(|_| FlagsError::BadPercent {
                given: s.to_owned(),
            })
            .and_then(|v| {
                Self::new(v).map_err(|_| FlagsError::BadPercent {
                    given: s.to_owned(),
                })
            })
    }
}

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}%", self.0)
    }
}

/// Every flag in the file, sorted by name.
pub fn list(path: impl AsRef<Path>) -> Result<Vec<FlagSummary>, FlagsError> {
    let path = path.as_ref();
    let bytes = read(path)?;
    let doc = document::parse_strict(&bytes, &origin(path))?;
    Ok(snapshot::summarize(&doc))
}

/// Adds `flag`, switched off, to the file (a missing file is started): with
/// a `flexibleRollout` of `percent` (`stickiness: userId`, `groupId: <flag>`)
/// when given, else a `default` strategy (everyone once enabled). An
/// existing name is refused: `enable`, `disable` and `rollout` change it.
pub fn create(
    path: impl AsRef<Path>,
    flag: &str,
    percent: Option<Percent>,
) -> Result<FlagSummary, FlagsError> {
    let path = path.as_ref();
    if flag.trim().is_empty() || flag.trim() != flag {
        return Err(FlagsError::Config(format!(
            "invalid flag name {flag:?}: give a name without surrounding spaces, like payments.canary"
        )));
    }
    if !path.exists() {
        write_atomic(path, b"{\n  \"version\": 2,\n  \"features\": []\n}\n")?;
    }
    edit_document(path, |features, known| {
        if known.iter().any(|k| k == flag) {
            return Err(FlagsError::Config(format!(
                "flag {flag:?} exists already; change it with enable, disable or rollout"
            )));
        }
        let mut feature = Map::new();
        feature.insert("name".into(), Value::String(flag.to_owned()));
        feature.insert("enabled".into(), Value::Bool(false));
        feature.insert(
            "strategies".into(),
            json!([{ "name": "default", "constraints": [] }]),
        );
        if let Some(percent) = percent {
            set_rollout(&mut feature, flag, percent)?;
        }
        features.push(Value::Object(feature));
        Ok(())
    })?;
    find(path, flag)
}

/// Turns `flag` on (its strategies then decide for whom).
pub fn enable(path: impl AsRef<Path>, flag: &str) -> Result<FlagSummary, FlagsError> {
    edit(path.as_ref(), flag, |feature| {
        feature.insert("enabled".into(), Value::Bool(true));
        Ok(())
    })
}

/// Turns `flag` off for everyone.
pub fn disable(path: impl AsRef<Path>, flag: &str) -> Result<FlagSummary, FlagsError> {
    edit(path.as_ref(), flag, |feature| {
        feature.insert("enabled".into(), Value::Bool(false));
        Ok(())
    })
}

/// Sets the percentage of `flag`'s `flexibleRollout` strategy. A flag without one
/// gets `flexibleRollout` with `stickiness: userId` and `groupId: <flag>`, and loses
/// its unconstrained `default` strategies (they would enable everyone, making the
/// percentage meaningless). Does not change `enabled`.
pub fn rollout(
    path: impl AsRef<Path>,
    flag: &str,
    percent: Percent,
) -> Result<FlagSummary, FlagsError> {
    edit(path.as_ref(), flag, |feature| {
        set_rollout(feature, flag, percent)
    })
}

fn set_rollout(
    feature: &mut Map<String, Value>,
    flag: &str,
    percent: Percent,
) -> Result<(), FlagsError> {
    let strategies = feature
        .entry("strategies")
        .or_insert_with(|| Value::Array(Vec::new()));
    if strategies.is_null() {
        *strategies = Value::Array(Vec::new());
    }
    let Some(strategies) = strategies.as_array_mut() else {
        return Err(shape(flag, "\"strategies\" is not a list"));
    };
    let is_flexible = |s: &Value| s.get("name").and_then(Value::as_str) == Some("flexibleRollout");
    let rollout = Value::String(percent.get().to_string());
    match strategies.iter().filter(|s| is_flexible(s)).count() {
        0 => {
            strategies.retain(|s| !is_unconstrained_default(s));
            strategies.push(json!({
                "name": "flexibleRollout",
                "constraints": [],
                "parameters": { "rollout": rollout, "stickiness": "userId", "groupId": flag },
            }));
        }
        1 => {
            let Some(Value::Object(strategy)) = strategies.iter_mut().find(|s| is_flexible(s))
            else {
                return Err(shape(flag, "its flexibleRollout strategy is not an object"));
            };
            let params = strategy
                .entry("parameters")
                .or_insert_with(|| Value::Object(Map::new()));
            match params.as_object_mut() {
                Some(params) => {
                    params.insert("rollout".into(), rollout);
                }
                None => {
                    return Err(shape(
                        flag,
                        "its flexibleRollout parameters are not an object",
                    ));
                }
            }
        }
        n => {
            return Err(shape(
                flag,
                &format!(
                    "it has {n} flexibleRollout strategies; keep one or edit the file by hand"
                ),
            ));
        }
    }
    Ok(())
}

fn is_unconstrained_default(strategy: &Value) -> bool {
    strategy.get("name").and_then(Value::as_str) == Some("default")
        && strategy
            .get("constraints")
            .and_then(Value::as_array)
            .is_none_or(Vec::is_empty)
        && strategy
            .get("segments")
            .and_then(Value::as_array)
            .is_none_or(Vec::is_empty)
}

fn shape(flag: &str, what: &str) -> FlagsError {
    FlagsError::Config(format!("cannot change flag {flag:?}: {what}"))
}

fn edit(
    path: &Path,
    flag: &str,
    change: impl FnOnce(&mut Map<String, Value>) -> Result<(), FlagsError>,
) -> Result<FlagSummary, FlagsError> {
    edit_document(path, |features, known| {
        let feature = features
            .iter_mut()
            .find(|f| f.get("name").and_then(Value::as_str) == Some(flag))
            .and_then(Value::as_object_mut)
            .ok_or_else(|| FlagsError::UnknownFlag {
                flag: flag.to_owned(),
                known: sorted(known),
            })?;
        change(feature)
    })?;
    find(path, flag)
}

/// The summary of `flag` as the file now has it.
fn find(path: &Path, flag: &str) -> Result<FlagSummary, FlagsError> {
    let doc = document::parse_strict(&read(path)?, &origin(path))?;
    doc.features
        .iter()
        .find(|f| f.name == flag)
        .map(snapshot::summarize_one)
        .ok_or_else(|| FlagsError::UnknownFlag {
            flag: flag.to_owned(),
            known: Vec::new(),
        })
}

/// Reads the file (refusing an invalid one), lets `change` edit its features
/// (given the names it has), checks the result loads and writes it atomically.
fn edit_document(
    path: &Path,
    change: impl FnOnce(&mut Vec<Value>, Vec<String>) -> Result<(), FlagsError>,
) -> Result<(), FlagsError> {
    let origin = origin(path);
    let bytes = read(path)?;
    document::parse_strict(&bytes, &origin)?;
    let mut value: Value = serde_json::from_slice(&bytes).map_err(|err| FlagsError::Invalid {
        origin: origin.clone(),
        reason: err.to_string(),
    })?;
    let features = value
        .get_mut("features")
        .and_then(Value::as_array_mut)
        .ok_or_else(|| FlagsError::Invalid {
            origin: origin.clone(),
            reason: "\"features\" is not a list".into(),
        })?;
    let name_of = |f: &Value| f.get("name").and_then(Value::as_str).map(str::to_owned);
    let known: Vec<String> = features.iter().filter_map(name_of).collect();
    change(features, known)?;
    let mut out = serde_json::to_vec_pretty(&value).map_err(|err| FlagsError::Invalid {
        origin: origin.clone(),
        reason: err.to_string(),
    })?;
    out.push(b'\n');
    // Never write what the proxy would refuse to load.
    document::parse_strict(&out, &origin)?;
    write_atomic(path, &out)
}

fn sorted(mut names: Vec<String>) -> Vec<String> {
    names.sort();
    names
}

fn origin(path: &Path) -> String {
    path.display().to_string()
}

fn read(path: &Path) -> Result<Vec<u8>, FlagsError> {
    std::fs::read(path).map_err(|source| FlagsError::Io {
        path: path.to_owned(),
        action: "read",
        source,
    })
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), FlagsError> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map_or_else(|| "flags.json".into(), |n| n.to_string_lossy().into_owned());
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let tmp = dir.join(format!(".{name}.{}.{nanos}.tmp", std::process::id()));
    let io = |action: &'static str, at: &Path| {
        let at = at.to_owned();
        move |source| FlagsError::Io {
            path: at,
            action,
            source,
        }
    };
    let written = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(io("create temporary file", &tmp))?;
        file.write_all(bytes).map_err(io("write", &tmp))?;
        if let Ok(meta) = std::fs::metadata(path) {
            // Keep the original's permissions; failing to is not worth refusing the edit.
            let _ = std::fs::set_permissions(&tmp, meta.permissions());
        }
        file.sync_all().map_err(io("sync", &tmp))?;
        std::fs::rename(&tmp, path).map_err(io("rename", path))
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written?;
    // Make the rename itself durable where the platform allows it.
    if let Ok(dir) = std::fs::File::open(&dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}
