//! Databases by name on one PostgreSQL server: the local stack gives each
//! deployable its own database on the server it is pointed at (created on
//! first start), and the tests create a fresh one per test. Both derive the
//! database's URL from the server's the same way, here.

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

/// Why a database could not be made ready.
#[derive(Debug, thiserror::Error)]
pub enum PgServerError {
    /// The URL does not end in `/<database>` (optionally followed by `?query`).
    #[error("`{0}` is not a PostgreSQL URL ending in /<database>")]
    NotADatabaseUrl(String),
    /// The name is not a plain identifier.
    #[error("`{0}` is not a database name (letters, digits and _ only)")]
    BadName(String),
    /// The server refused the connection.
    #[error("cannot reach PostgreSQL at {url}: {source}")]
    Connect {
        /// The server URL, password hidden.
        url: String,
        /// The driver's reason.
        source: diesel::ConnectionError,
    },
    /// A statement failed.
    #[error("cannot create database `{name}`: {source}")]
    Create {
        /// The database.
        name: String,
        /// The server's reason.
        source: diesel::result::Error,
    },
}

/// `server_url` with its database replaced by `name`, query kept:
/// `postgres://u@h:5432/postgres?sslmode=disable` → `postgres://u@h:5432/<name>?sslmode=disable`.
pub fn database_url(server_url: &str, name: &str) -> Result<String, PgServerError> {
    let bad = || PgServerError::NotADatabaseUrl(crate::db::redacted(server_url));
    let (server, rest) = server_url.rsplit_once('/').ok_or_else(bad)?;
    if !server.contains("://") || server.ends_with('/') {
        return Err(bad());
    }
    Ok(match rest.split_once('?') {
        Some((_, query)) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
    })
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Creates database `name` on the server of `server_url` unless it exists, and
/// returns its URL. Idempotent: a second start finds it and keeps its data.
pub fn ensure_database(server_url: &str, name: &str) -> Result<String, PgServerError> {
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(PgServerError::BadName(name.to_owned()));
    }
    let url = database_url(server_url, name)?;
    let mut admin =
        PgConnection::establish(server_url).map_err(|source| PgServerError::Connect {
            url: crate::db::redacted(server_url),
            source,
        })?;
    let create = |source| PgServerError::Create {
        name: name.to_owned(),
        source,
    };
    let found = diesel::sql_query("SELECT count(*) AS n FROM pg_database WHERE datname = $1")
        .bind::<diesel::sql_types::Text, _>(name)
        .get_result::<Count>(&mut admin)
        .map_err(create)?;
    if found.n == 0 {
        // The name was checked above: quoting it cannot be escaped.
        admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .map_err(create)?;
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_is_replaced_and_the_query_kept() {
        assert_eq!(
            database_url(
                "postgres://p@127.0.0.1:5432/postgres?sslmode=disable",
                "x_1"
            )
            .unwrap(),
            "postgres://p@127.0.0.1:5432/x_1?sslmode=disable"
        );
        assert_eq!(
            database_url("postgres://p@h/postgres", "y").unwrap(),
            "postgres://p@h/y"
        );
        assert!(database_url("postgres:", "y").is_err());
    }

    #[test]
    fn a_name_that_would_need_quoting_is_refused() {
        let err = ensure_database("postgres://p@h/postgres", "a\"b").unwrap_err();
        assert!(matches!(err, PgServerError::BadName(_)), "{err}");
    }
}
