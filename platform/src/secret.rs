//! Settings values that must not reach a log or an error message when
//! settings are printed: [`Secret`] (a token: shown as `***`) and
//! [`DatabaseUrl`] (shown with its password replaced, see
//! [`crate::db::redacted`]). Both read from a plain string, so settings files
//! and environment variables are unchanged; code that needs the value asks
//! for it by name.

use serde::Deserialize;
use std::fmt;

/// A token or password. `Debug` shows `***`; there is no `Display`, so it
/// cannot end up in a formatted message by accident: [`Secret::expose`] says
/// where it is read.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// The value, for the one place that sends or checks it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when nothing was configured.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() { "\"\"" } else { "***" })
    }
}

/// A database URL (`sqlite://…`, `postgres://user:password@host/db`). `Debug`
/// and `Display` hide the password; the URL itself is read through `Deref`
/// (it is mostly not secret: host and database name belong in logs).
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// The whole URL, password included, to connect with.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for DatabaseUrl {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl From<String> for DatabaseUrl {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for DatabaseUrl {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&crate::db::redacted(&self.0), f)
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::db::redacted(&self.0))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Settings {
        token: Secret,
        url: DatabaseUrl,
    }

    #[test]
    fn printing_settings_shows_neither_token_nor_password() {
        let s: Settings = serde_json::from_str(
            r#"{"token": "s3cr3t-t0ken-value", "url": "postgres://app:hunter2@db:5432/shadow"}"#,
        )
        .unwrap();
        let shown = format!("{s:?} {}", s.url);
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("***"), "{shown}");
        assert!(shown.contains("db:5432/shadow"), "{shown}");
        assert_eq!(s.token.expose(), "s3cr3t-t0ken-value");
        assert_eq!(s.url.as_str(), "postgres://app:hunter2@db:5432/shadow");
    }

    #[test]
    fn an_empty_secret_says_so() {
        assert_eq!(format!("{:?}", Secret::default()), "\"\"");
        assert!(Secret::default().is_empty());
    }
}
