//! What can go wrong with flags: reading, parsing, fetching, editing. Each message
//! says what was wrong and what to do about it.

use std::path::PathBuf;

/// An error from the flags subsystem.
#[derive(Debug, thiserror::Error)]
pub enum FlagsError {
    /// The flags file could not be read or written.
    #[error("flags file {path}: {action} failed: {source}")]
    Io {
        /// The file (or its folder, for a write).
        path: PathBuf,
        /// What was being done ("read", "write", "rename", …).
        action: &'static str,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The document is not a valid client-features document.
    #[error("{origin}: invalid client-features document: {reason}")]
    Invalid {
        /// Where the document came from (a file path or a server URL).
        origin: String,
        /// What is wrong, with the JSON path where known.
        reason: String,
    },
    /// The Unleash server could not be reached or refused the request.
    #[error("Unleash server {url}: {reason}")]
    Server {
        /// The features endpoint (never includes the token).
        url: String,
        /// What happened.
        reason: String,
        /// Whether polling again may help (network trouble, 5xx), as opposed to a
        /// configuration mistake (bad URL, token refused).
        retryable: bool,
    },
    /// A setting given to the flags subsystem is unusable.
    #[error("flags configuration: {0}")]
    Config(String),
    /// An edit named a flag that the file does not have.
    #[error("unknown flag {flag:?}; known flags: {}", known_list(.known))]
    UnknownFlag {
        /// The name given.
        flag: String,
        /// The flags the file has.
        known: Vec<String>,
    },
    /// A rollout percentage outside 0..=100 (or not a whole number).
    #[error("invalid rollout percentage {given:?}: give a whole number from 0 to 100")]
    BadPercent {
        /// What was given.
        given: String,
    },
    /// The Unleash client refused the document.
    #[error("the Unleash client refused the document: {0}")]
    Client(String),
}

fn known_list(known: &[String]) -> String {
    if known.is_empty() {
        "(none: the file has no flags)".to_owned()
    } else {
        known.join(", ")
    }
}

impl FlagsError {
    /// Whether retrying later may help (only server trouble can heal by itself).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Server {
                retryable: true,
                ..
            }
        )
    }
}
