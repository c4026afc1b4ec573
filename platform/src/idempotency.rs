//! Idempotent creates: a client sends `Idempotency-Key: <key>` with a create;
//! repeating it (a timeout, a retry, a proxy fallback) is then safe.
//!
//! - same key, same request → the first response (status and body) is
//!   replayed, with `Idempotent-Replayed: true`; no second effect;
//! - same key, different request (method, path or body) → 422 problem;
//! - concurrent duplicates → exactly one effect.
//!
//! How: [`once`] runs inside the caller's write transaction. It first inserts
//! the key row (`ON CONFLICT DO NOTHING`) with a SHA-256 [`Fingerprint`] of
//! method + path + body, then runs the effect and stores its response in the
//! same row before the transaction commits. A second request with the key
//! finds the row and replays it. On PostgreSQL a concurrent insert of the
//! same key waits for the first transaction: if it commits, the insert does
//! nothing and the stored response is read; if it rolls back, the second
//! request runs the effect. On SQLite writers are serialised anyway. An
//! effect that fails (a 409, a 404…) rolls back with its key, so the request
//! can be retried after the state changes; a committed outcome that is a
//! client-visible failure (a declined card recorded as failed) is returned
//! by the effect as a [`StoredResponse`] and replayed like any other.
//! A dry run (see [`crate::dry_run`]) rolls back its key with everything else.
//!
//! Creates take [`IdempotencyKey`] (required: a missing key is a 400); other
//! writes may take [`OptionalIdempotencyKey`] with [`maybe_once`], so a
//! client that retries a state change (a proxy falling back after a timeout)
//! gets the first answer instead of a 409.
//!
//! The body is fingerprinted as the handler parsed and re-serialised it, so
//! whitespace or key order do not make two requests differ.
//!
//! Each service adds this table to its own migrations (same DDL on SQLite
//! and PostgreSQL; [`DDL`] holds it):
//!
//! ```sql
//! CREATE TABLE idempotency_keys (
//!     idempotency_key TEXT PRIMARY KEY,
//!     request_hash TEXT NOT NULL,
//!     response_status INTEGER NOT NULL,
//!     response_content_type TEXT NOT NULL,
//!     response_body TEXT NOT NULL,
//!     created_at TIMESTAMP NOT NULL
//! );
//! ```

use crate::db::AnyConnection;
use crate::problem::Problem;
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use diesel::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::future::{Ready, ready};

/// The request header carrying the key.
pub const HEADER: &str = "Idempotency-Key";
/// The response header on a replayed response (value `true`).
pub const REPLAYED_HEADER: &str = "Idempotent-Replayed";
/// The longest key accepted.
pub const MAX_KEY_LEN: usize = 255;

/// The table's DDL, identical on SQLite and PostgreSQL.
pub const DDL: &str = "CREATE TABLE idempotency_keys (
    idempotency_key TEXT PRIMARY KEY,
    request_hash TEXT NOT NULL,
    response_status INTEGER NOT NULL,
    response_content_type TEXT NOT NULL,
    response_body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);";

/// The diesel schema of the table in [`DDL`].
#[allow(missing_docs)]
pub mod schema {
    diesel::table! {
        idempotency_keys (idempotency_key) {
            idempotency_key -> Text,
            request_hash -> Text,
            response_status -> Integer,
            response_content_type -> Text,
            response_body -> Text,
            created_at -> Timestamp,
        }
    }
}

use schema::idempotency_keys;

/// A validated key: 1–255 visible ASCII characters. As an extractor it is
/// required: a missing or bad header is a 400 problem.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Checks the key's length and characters.
    pub fn parse(value: &str) -> Result<Self, Problem> {
        let ok = !value.is_empty()
            && value.len() <= MAX_KEY_LEN
            && value.bytes().all(|b| b.is_ascii_graphic());
        if ok {
            Ok(Self(value.to_owned()))
        } else {
            Err(Problem::bad_request(format!(
                "{HEADER} must be 1 to {MAX_KEY_LEN} visible ASCII characters (a UUID is a good choice)"
            ))
            .with("header", HEADER))
        }
    }

    /// The key as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromRequest for IdempotencyKey {
    type Error = Problem;
    type Future = Ready<Result<Self, Problem>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(match req.headers().get(HEADER).map(|v| v.to_str()) {
            None => Err(Problem::bad_request(format!(
                "this create needs an {HEADER} header so that retrying it is safe"
            ))
            .with("header", HEADER)),
            Some(Ok(v)) => Self::parse(v),
            Some(Err(_)) => Self::parse(""),
        })
    }
}

/// An idempotency key a write may carry but need not (state changes that
/// are not creates): absent is `None`, present but malformed is a 400.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OptionalIdempotencyKey(pub Option<IdempotencyKey>);

impl FromRequest for OptionalIdempotencyKey {
    type Error = Problem;
    type Future = Ready<Result<Self, Problem>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(match req.headers().get(HEADER).map(|v| v.to_str()) {
            None => Ok(Self(None)),
            Some(Ok(v)) => IdempotencyKey::parse(v).map(|k| Self(Some(k))),
            Some(Err(_)) => IdempotencyKey::parse("").map(|k| Self(Some(k))),
        })
    }
}

/// SHA-256 (hex) of method, path and the JSON body: what "the same request"
/// means for a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint(String);

impl Fingerprint {
    /// Fingerprints a request whose body the handler has parsed into `body`.
    pub fn of(method: &str, path: &str, body: &impl Serialize) -> Result<Self, Problem> {
        let json = serde_json::to_vec(body).map_err(|e| Problem::internal(&e))?;
        let mut hash = Sha256::new();
        hash.update(method.as_bytes());
        hash.update(b"\n");
        hash.update(path.as_bytes());
        hash.update(b"\n");
        hash.update(&json);
        Ok(Self(hex::encode(hash.finalize())))
    }

    /// Fingerprints the request `req` with the parsed `body`.
    pub fn of_request(req: &HttpRequest, body: &impl Serialize) -> Result<Self, Problem> {
        Self::of(req.method().as_str(), req.path(), body)
    }

    /// The hex digest.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A response as stored for replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type`.
    pub content_type: String,
    /// The body.
    pub body: String,
}

impl StoredResponse {
    /// A JSON response.
    pub fn json(status: StatusCode, body: &impl Serialize) -> Result<Self, Problem> {
        Ok(Self {
            status: status.as_u16(),
            content_type: "application/json".into(),
            body: serde_json::to_string(body).map_err(|e| Problem::internal(&e))?,
        })
    }

    /// A problem+json response (a committed outcome that is still an error
    /// for the client, such as a declined card).
    pub fn problem(problem: &Problem) -> Self {
        Self {
            status: problem.status().as_u16(),
            content_type: crate::problem::MEDIA_TYPE.into(),
            body: problem.to_json().to_string(),
        }
    }

    /// The HTTP response; `replayed` adds `Idempotent-Replayed: true`.
    pub fn to_http(&self, replayed: bool) -> HttpResponse {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut builder = HttpResponse::build(status);
        builder.insert_header((CONTENT_TYPE, self.content_type.as_str()));
        if replayed {
            builder.insert_header((REPLAYED_HEADER, "true"));
        }
        builder.body(self.body.clone())
    }
}

/// What [`once`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The response to send.
    pub response: StoredResponse,
    /// True when it was replayed from an earlier request.
    pub replayed: bool,
}

impl Outcome {
    /// The HTTP response.
    pub fn to_http(&self) -> HttpResponse {
        self.response.to_http(self.replayed)
    }
}

/// Why a key could not be used.
#[derive(Debug, thiserror::Error)]
pub enum IdempotencyError {
    /// The key was used before for a different request.
    #[error("Idempotency-Key `{0}` was already used for a different request")]
    Mismatch(String),
    /// The store failed.
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

impl From<IdempotencyError> for Problem {
    fn from(e: IdempotencyError) -> Self {
        match e {
            IdempotencyError::Mismatch(_) => Problem::unprocessable(format!(
                "{e}: use a new key for a new request, or repeat the original request exactly"
            ))
            .with("header", HEADER),
            IdempotencyError::Query(q) => q.into(),
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = idempotency_keys)]
struct NewKey<'a> {
    idempotency_key: &'a str,
    request_hash: &'a str,
    response_status: i32,
    response_content_type: &'a str,
    response_body: &'a str,
    created_at: chrono::NaiveDateTime,
}

/// Runs `effect` at most once per key, inside the caller's transaction (call
/// it from `Db::write`/`Db::write_or_rollback`). See the module docs.
pub fn once<E, F>(
    conn: &mut AnyConnection,
    key: &IdempotencyKey,
    fingerprint: &Fingerprint,
    effect: F,
) -> Result<Outcome, E>
where
    E: From<IdempotencyError>,
    F: FnOnce(&mut AnyConnection) -> Result<StoredResponse, E>,
{
    if !claim(conn, key, fingerprint)? {
        return Ok(Outcome {
            response: stored(conn, key, fingerprint)?,
            replayed: true,
        });
    }
    let response = effect(conn)?;
    diesel::update(idempotency_keys::table.find(key.as_str()))
        .set((
            idempotency_keys::response_status.eq(i32::from(response.status)),
            idempotency_keys::response_content_type.eq(&response.content_type),
            idempotency_keys::response_body.eq(&response.body),
        ))
        .execute(conn)
        .map_err(IdempotencyError::from)?;
    Ok(Outcome {
        response,
        replayed: false,
    })
}

/// [`once`] when there is a key; otherwise just the effect (never replayed).
pub fn maybe_once<E, F>(
    conn: &mut AnyConnection,
    key: Option<&IdempotencyKey>,
    fingerprint: &Fingerprint,
    effect: F,
) -> Result<Outcome, E>
where
    E: From<IdempotencyError>,
    F: FnOnce(&mut AnyConnection) -> Result<StoredResponse, E>,
{
    match key {
        Some(key) => once(conn, key, fingerprint, effect),
        None => Ok(Outcome {
            response: effect(conn)?,
            replayed: false,
        }),
    }
}

/// Inserts the key row; false when it already existed. The upsert clause is
/// backend-specific in diesel, so the query is written once per backend.
fn claim(
    conn: &mut AnyConnection,
    key: &IdempotencyKey,
    fingerprint: &Fingerprint,
) -> Result<bool, IdempotencyError> {
    let row = NewKey {
        idempotency_key: key.as_str(),
        request_hash: fingerprint.as_str(),
        response_status: 0,
        response_content_type: "",
        response_body: "",
        created_at: chrono::Utc::now().naive_utc(),
    };
    let insert = diesel::insert_into(idempotency_keys::table).values(&row);
    let inserted = match conn {
        AnyConnection::Postgresql(c) => insert.on_conflict_do_nothing().execute(c)?,
        AnyConnection::Sqlite(c) => insert.on_conflict_do_nothing().execute(c)?,
    };
    Ok(inserted == 1)
}

fn stored(
    conn: &mut AnyConnection,
    key: &IdempotencyKey,
    fingerprint: &Fingerprint,
) -> Result<StoredResponse, IdempotencyError> {
    let (hash, status, content_type, body) = idempotency_keys::table
        .find(key.as_str())
        .select((
            idempotency_keys::request_hash,
            idempotency_keys::response_status,
            idempotency_keys::response_content_type,
            idempotency_keys::response_body,
        ))
        .first::<(String, i32, String, String)>(conn)?;
    if hash != fingerprint.as_str() {
        return Err(IdempotencyError::Mismatch(key.as_str().to_owned()));
    }
    Ok(StoredResponse {
        status: u16::try_from(status).unwrap_or(500),
        content_type,
        body,
    })
}

/// Deletes keys older than `cutoff` (a retention job); returns how many.
pub fn purge_older_than(
    conn: &mut AnyConnection,
    cutoff: chrono::NaiveDateTime,
) -> QueryResult<usize> {
    diesel::delete(idempotency_keys::table.filter(idempotency_keys::created_at.lt(cutoff)))
        .execute(conn)
}

#[cfg(all(test, feature = "testing"))]
#[path = "idempotency_tests.rs"]
mod tests;
