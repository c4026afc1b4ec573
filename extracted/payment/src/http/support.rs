//! What every handler shares: running a command with bounded retries on a
//! ledger conflict, inside a dry-run-aware transaction; list paging.

use crate::error::CommandError;
use actix_web::{HttpRequest, HttpResponse, web};
use platform::Problem;
use platform::db::{AnyConnection, Db};
use platform::dry_run::DryRun;
use platform::idempotency::{self, Fingerprint, IdempotencyKey, StoredResponse};
use v2_common::PageParams;

/// How many times a command is tried when another writer keeps appending to
/// the same payment first; then the client gets a 409.
pub const MAX_ATTEMPTS: u32 = 8;

/// Runs `command` in one write transaction (rolled back for a dry run),
/// retrying the whole transaction on [`CommandError::Conflict`].
pub async fn run_command<T, F>(db: &Db, dry_run: DryRun, command: F) -> Result<T, Problem>
where
    T: Send + 'static,
    F: Fn(&mut AnyConnection) -> Result<T, CommandError> + Clone + Send + 'static,
{
    let mut attempt = 1;
    loop {
        match db
            .write_or_rollback(dry_run.enabled(), command.clone())
            .await
        {
            Err(CommandError::Conflict(stream)) if attempt < MAX_ATTEMPTS => {
                tracing::debug!(%stream, attempt, "ledger append lost a race; retrying");
                attempt += 1;
            }
            other => return other.map_err(Problem::from),
        }
    }
}

/// Runs a read.
pub async fn read<T, F>(db: &Db, query: F) -> Result<T, Problem>
where
    T: Send + 'static,
    F: FnOnce(&mut AnyConnection) -> Result<T, CommandError> + Send + 'static,
{
    db.read(query).await.map_err(Problem::from)
}

/// `?limit=&offset=` checked: a bad limit is a 400 like any bad query.
pub fn page(limit: Option<u32>, offset: Option<u64>) -> Result<(u32, u64), Problem> {
    PageParams { limit, offset }
        .validate()
        .map_err(|e| Problem::bad_request(format!("bad query string: {e}")).with("field", "limit"))
}

/// An optional JSON body: none (or only whitespace) is `T::default()`;
/// otherwise it is read as every other body (400 malformed, 422 wrong
/// shape, naming the field).
pub fn optional_body<T: serde::de::DeserializeOwned + Default>(body: &[u8]) -> Result<T, Problem> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    platform::json::parse(body)
}

/// What a write handler needs besides its body: the database, whether it is
/// a dry run, and its idempotency key (required on creates, optional on
/// state changes) with the request's fingerprint.
pub struct Write {
    db: web::Data<Db>,
    dry: DryRun,
    key: Option<IdempotencyKey>,
    fingerprint: Fingerprint,
}

impl Write {
    /// Fingerprints `req` with its parsed `body`.
    pub fn new(
        req: &HttpRequest,
        db: web::Data<Db>,
        dry: DryRun,
        key: Option<IdempotencyKey>,
        body: &impl serde::Serialize,
    ) -> Result<Self, Problem> {
        Ok(Self {
            fingerprint: Fingerprint::of_request(req, body)?,
            db,
            dry,
            key,
        })
    }

    /// Runs `effect` once per key (see `platform::idempotency`), in a
    /// transaction rolled back for a dry run, retried on ledger conflicts;
    /// answers with the stored or replayed response.
    pub async fn respond<F>(self, effect: F) -> Result<HttpResponse, Problem>
    where
        F: Fn(&mut AnyConnection) -> Result<StoredResponse, CommandError> + Clone + Send + 'static,
    {
        let Self {
            db,
            dry,
            key,
            fingerprint,
        } = self;
        let outcome = run_command(&db, dry, move |conn| {
            idempotency::maybe_once(conn, key.as_ref(), &fingerprint, &effect)
        })
        .await?;
        Ok(dry.mark(outcome.to_http()))
    }
}
