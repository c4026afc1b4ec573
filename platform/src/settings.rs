//! Typed settings, loaded with the `config` crate from three layers, later
//! winning: the deployable's embedded defaults (a TOML string compiled in, so the
//! binary runs with no file at all), an optional TOML file, then environment
//! variables `PREFIX__SECTION__KEY` (e.g. `MONOLITH__DATABASE__URL`).
//!
//! Unknown keys are refused (`deny_unknown_fields` on every section), and
//! [`Validate`] runs before anything starts, so a bad value stops the process with
//! one line naming the key.

pub use crate::secret::{DatabaseUrl, Secret};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::path::Path;

/// A setting that was read but is not acceptable.
#[derive(Debug, thiserror::Error)]
#[error("invalid setting `{key}`: {reason}")]
pub struct InvalidSetting {
    /// Dotted key, as written in the file (`server.port`).
    pub key: String,
    /// What is wrong and what would be right.
    pub reason: String,
}

impl InvalidSetting {
    /// An invalid value for `key`.
    pub fn new(key: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            reason: reason.into(),
        }
    }
}

/// Why settings could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// A layer could not be read or a value has the wrong type or name; `config`'s
    /// message names the key.
    #[error("cannot load settings: {0}")]
    Load(#[from] config::ConfigError),
    /// Every value parsed, but one breaks a rule.
    #[error(transparent)]
    Invalid(#[from] InvalidSetting),
}

/// Checks beyond what the types say.
pub trait Validate {
    /// `Err` names the first key whose value is not acceptable.
    fn validate(&self) -> Result<(), InvalidSetting>;
}

/// Loads `T` from `defaults` (TOML text), the optional `file`, then variables
/// starting with `env_prefix` + `__`, and validates it.
pub fn load<T>(defaults: &str, file: Option<&Path>, env_prefix: &str) -> Result<T, SettingsError>
where
    T: DeserializeOwned + Validate,
{
    let mut builder = config::Config::builder()
        .add_source(config::File::from_str(defaults, config::FileFormat::Toml));
    if let Some(path) = file {
        builder = builder.add_source(
            config::File::from(path)
                .format(config::FileFormat::Toml)
                .required(true),
        );
    }
    let settings: T = builder
        .add_source(
            config::Environment::with_prefix(env_prefix)
                .prefix_separator("__")
                .separator("__")
                .try_parsing(true),
        )
        .build()?
        .try_deserialize()?;
    settings.validate()?;
    Ok(settings)
}

/// Reads a setting that names one of an enum's unit variants (`#[serde(
/// deserialize_with = "named")]`): an unknown name is refused with the names
/// allowed (for example: unknown variant `nope`, expected `own` or `hyper`),
/// where the `config` crate's own enum reading lists none.
pub fn named<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: DeserializeOwned,
{
    let name = String::deserialize(deserializer)?;
    T::deserialize(serde::de::value::StrDeserializer::<serde::de::value::Error>::new(&name))
        .map_err(serde::de::Error::custom)
}

/// Where and how the HTTP server listens.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// Interface to bind (`127.0.0.1`, `0.0.0.0`).
    pub host: String,
    /// Port to bind; 0 picks a free one (tests).
    pub port: u16,
    /// Worker threads; 0 means one per core.
    pub workers: usize,
    /// Largest accepted request body, in bytes (larger: 413).
    pub max_body_bytes: usize,
    /// How long in-flight requests may finish after SIGTERM/Ctrl-C, in seconds.
    pub shutdown_timeout_secs: u64,
}

impl Validate for ServerSettings {
    fn validate(&self) -> Result<(), InvalidSetting> {
        if self.host.parse::<std::net::IpAddr>().is_err() && self.host != "localhost" {
            return Err(InvalidSetting::new(
                "server.host",
                format!("`{}` is not an IP address", self.host),
            ));
        }
        if self.max_body_bytes == 0 {
            return Err(InvalidSetting::new(
                "server.max_body_bytes",
                "must be greater than 0",
            ));
        }
        Ok(())
    }
}

/// Which database and how many connections. Its `Debug` hides the URL's
/// password ([`DatabaseUrl`]), so printing settings never leaks it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `sqlite://path/to/file.db` (created with its folder on first start) or
    /// `postgres://user@host:port/db`.
    pub url: DatabaseUrl,
    /// Largest number of pooled connections.
    pub pool_size: u32,
}

impl Validate for DatabaseSettings {
    fn validate(&self) -> Result<(), InvalidSetting> {
        crate::db::Target::parse(&self.url)
            .map_err(|reason| InvalidSetting::new("database.url", reason))?;
        if self.pool_size == 0 {
            return Err(InvalidSetting::new(
                "database.pool_size",
                "must be at least 1",
            ));
        }
        Ok(())
    }
}

/// How log lines look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines (the default).
    Human,
    /// One JSON object per line, for log shippers.
    Json,
}

/// Logging settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelemetrySettings {
    /// `human` or `json`.
    #[serde(deserialize_with = "named")]
    pub format: LogFormat,
    /// An `EnvFilter` directive such as `info,monolith=debug`; `RUST_LOG` wins when set.
    pub filter: String,
    /// OTLP/HTTP collector base URL (`http://collector:4318`; spans go to
    /// `/v1/traces` as JSON; plain HTTP only). Empty: spans are not exported.
    pub otlp_endpoint: String,
    /// The `service.name` exported spans carry.
    pub service_name: String,
}

impl Validate for TelemetrySettings {
    fn validate(&self) -> Result<(), InvalidSetting> {
        tracing_subscriber::EnvFilter::try_new(&self.filter)
            .map_err(|e| InvalidSetting::new("telemetry.filter", e.to_string()))?;
        let endpoint = self.otlp_endpoint.trim();
        if !endpoint.is_empty() {
            let uri = endpoint.parse::<http::Uri>().map_err(|e| {
                InvalidSetting::new("telemetry.otlp_endpoint", format!("`{endpoint}`: {e}"))
            })?;
            // The exporter speaks plain HTTP: to a collector or agent next to
            // the process, which forwards (over TLS where needed).
            if uri.scheme_str() == Some("https") {
                return Err(InvalidSetting::new(
                    "telemetry.otlp_endpoint",
                    format!(
                        "`{endpoint}`: https is not supported; export over http to a local \
                         OpenTelemetry Collector or agent, e.g. http://127.0.0.1:4318"
                    ),
                ));
            }
            if uri.scheme_str() != Some("http") || uri.host().is_none() {
                return Err(InvalidSetting::new(
                    "telemetry.otlp_endpoint",
                    format!("`{endpoint}` is not an http URL such as http://collector:4318"),
                ));
            }
        }
        if self.service_name.trim().is_empty() {
            return Err(InvalidSetting::new(
                "telemetry.service_name",
                "must not be empty",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Sample {
        server: ServerSettings,
        database: DatabaseSettings,
    }

    impl Validate for Sample {
        fn validate(&self) -> Result<(), InvalidSetting> {
            self.server.validate()?;
            self.database.validate()
        }
    }

    const DEFAULTS: &str = r#"
        [server]
        host = "127.0.0.1"
        port = 8080
        workers = 0
        max_body_bytes = 65536
        shutdown_timeout_secs = 10
        [database]
        url = "sqlite://data/x.db"
        pool_size = 4
    "#;

    #[test]
    fn defaults_load_and_validate() {
        let s: Sample = load(DEFAULTS, None, "PLATFORM_TEST_NONE").unwrap();
        assert_eq!(s.server.port, 8080);
    }

    #[test]
    fn a_bad_value_names_its_key() {
        let bad = DEFAULTS.replace("pool_size = 4", "pool_size = 0");
        let err = load::<Sample>(&bad, None, "PLATFORM_TEST_NONE").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid setting `database.pool_size`: must be at least 1"
        );

        let bad = DEFAULTS.replace("port = 8080", "port = \"eighty\"");
        let err = load::<Sample>(&bad, None, "PLATFORM_TEST_NONE")
            .unwrap_err()
            .to_string();
        assert!(err.contains("server.port"), "{err}");

        let bad = DEFAULTS.replace("url = \"sqlite://data/x.db\"", "url = \"mysql://x\"");
        let err = load::<Sample>(&bad, None, "PLATFORM_TEST_NONE")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("invalid setting `database.url`"), "{err}");
    }

    #[test]
    fn printed_database_settings_hide_the_password() {
        let db = DatabaseSettings {
            url: "postgres://app:hunter2@db/shop".into(),
            pool_size: 2,
        };
        let shown = format!("{db:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("postgres://app:***@db/shop"), "{shown}");
    }

    #[test]
    fn an_unknown_name_lists_the_names_allowed() {
        #[derive(Debug, Deserialize)]
        struct Logging {
            telemetry: TelemetrySettings,
        }
        impl Validate for Logging {
            fn validate(&self) -> Result<(), InvalidSetting> {
                Ok(())
            }
        }
        let file = |format: &str| {
            format!(
                "[telemetry]\nformat = \"{format}\"\nfilter = \"info\"\n\
                 otlp_endpoint = \"\"\nservice_name = \"x\"\n"
            )
        };
        let read = load::<Logging>(&file("json"), None, "PLATFORM_TEST_NONE").unwrap();
        assert_eq!(read.telemetry.format, LogFormat::Json);
        let err = load::<Logging>(&file("yaml"), None, "PLATFORM_TEST_NONE")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("unknown variant `yaml`, expected `human` or `json`")
                && err.contains("telemetry.format"),
            "{err}"
        );
    }

    #[test]
    fn unknown_keys_are_refused() {
        let bad = format!("{DEFAULTS}\n[extra]\nx = 1\n");
        let err = load::<Sample>(&bad, None, "PLATFORM_TEST_NONE")
            .unwrap_err()
            .to_string();
        assert!(err.contains("extra"), "{err}");
    }
}
