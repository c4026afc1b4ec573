//! Where the client-features document comes from, and what one fetch found.

use super::FlagsError;
use super::file_source::FileSource;
use super::server_source::ServerSource;
use super::snapshot::SourceInfo;
use unleash_types::client_features::ClientFeatures;

/// What a fetch found.
pub(crate) enum Outcome {
    /// Same input as the last attempt: leave the state and any error as they are.
    Unchanged,
    /// The source confirmed the current state is up to date (HTTP 304).
    Confirmed,
    /// A new, valid document.
    Changed(Box<ClientFeatures>),
}

/// What a source remembers between fetches.
#[derive(Default)]
pub(crate) struct Memo {
    /// The file's bytes at the last attempt (good or bad).
    pub(crate) last_bytes: Option<Vec<u8>>,
    /// The server's ETag of the last good document.
    pub(crate) etag: Option<String>,
}

pub(crate) enum Source {
    File(FileSource),
    Server(ServerSource),
}

impl Source {
    pub(crate) async fn fetch(&self, memo: &mut Memo, force: bool) -> Result<Outcome, FlagsError> {
        match self {
            Self::File(file) => file.fetch(memo, force).await,
            Self::Server(server) => server.fetch(memo, force).await,
        }
    }

    pub(crate) fn info(&self) -> SourceInfo {
        match self {
            Self::File(file) => SourceInfo::File {
                path: file.path().display().to_string(),
            },
            Self::Server(server) => SourceInfo::Server {
                url: server.api_url().to_owned(),
                interval_ms: u64::try_from(server.interval().as_millis()).unwrap_or(u64::MAX),
            },
        }
    }
}
