//! Where the flags come from, as a deployable's settings say (`[flags]` in
//! the proxy, `[payments.flags]` in the monolith): one shape, one check and
//! one way to open them, so every reader of a route's flags reads the same.

use super::{Flags, FlagsError};
use platform::settings::{self, InvalidSetting, Secret};
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

/// Which flag source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FlagSource {
    /// A local Unleash client-features file.
    File,
    /// A real Unleash server, polled.
    Server,
}

/// The flags' source and how to reach it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlagsSettings {
    /// `file` or `server`.
    #[serde(deserialize_with = "settings::named")]
    pub source: FlagSource,
    /// The client-features file (source `file`).
    pub file: PathBuf,
    /// Unleash API base URL (source `server`).
    pub server_url: String,
    /// Unleash client API token (source `server`); `Debug` hides it.
    pub api_token: Secret,
    /// Name reported to Unleash (seen by `appName` constraints).
    pub app_name: String,
    /// Poll interval (source `server`), in ms.
    pub poll_interval_ms: u64,
}

impl FlagsSettings {
    /// Checks the values; `section` prefixes the key an error names (`flags`).
    pub fn check(&self, section: &str) -> Result<(), InvalidSetting> {
        if self.source == FlagSource::Server
            && (self.server_url.is_empty() || self.api_token.is_empty())
        {
            return Err(InvalidSetting::new(
                format!("{section}.server_url"),
                "source = \"server\" needs server_url and api_token",
            ));
        }
        if self.poll_interval_ms == 0 {
            return Err(InvalidSetting::new(
                format!("{section}.poll_interval_ms"),
                "must be greater than 0",
            ));
        }
        Ok(())
    }

    /// Opens the source: loads the file (and watches it) or starts polling
    /// the server.
    pub async fn open(&self) -> Result<Flags, FlagsError> {
        match self.source {
            FlagSource::File => Flags::from_file(self.file.clone()).await,
            FlagSource::Server => {
                Flags::from_server(
                    &self.server_url,
                    self.api_token.expose(),
                    &self.app_name,
                    Duration::from_millis(self.poll_interval_ms),
                )
                .await
            }
        }
    }

    /// What failed when [`FlagsSettings::open`] fails, naming the file or
    /// the server (`cannot load the flags file flags.json`).
    pub fn open_failed(&self) -> String {
        match self.source {
            FlagSource::File => format!("cannot load the flags file {}", self.file.display()),
            FlagSource::Server => format!("cannot reach the Unleash server at {}", self.server_url),
        }
    }
}
