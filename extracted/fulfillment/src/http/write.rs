//! How every `/v2` write runs: one transaction (rolled back for a dry run),
//! wrapped in `platform::idempotency::once` when the request carries an
//! `Idempotency-Key` (required on creates, optional on every other write), so
//! a retried write replays its first answer instead of acting twice.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use platform::Problem;
use platform::db::{AnyConnection, Db};
use platform::dry_run::DryRun;
use platform::idempotency::{self, Fingerprint, IdempotencyKey, Outcome, StoredResponse};
use serde::Serialize;

/// The idempotency key of a request and the fingerprint it is bound to.
pub(crate) struct Keyed(IdempotencyKey, Fingerprint);

impl Keyed {
    /// For a create: the key is required (see the extractor).
    pub(crate) fn required(
        req: &HttpRequest,
        key: IdempotencyKey,
        body: &impl Serialize,
    ) -> Result<Self, Problem> {
        Ok(Self(key, Fingerprint::of_request(req, body)?))
    }

    /// For other writes: used when the header is present (and then checked).
    pub(crate) fn optional(
        req: &HttpRequest,
        body: &impl Serialize,
    ) -> Result<Option<Self>, Problem> {
        match req.headers().get(idempotency::HEADER) {
            None => Ok(None),
            Some(value) => {
                let key = IdempotencyKey::parse(value.to_str().unwrap_or_default())?;
                Ok(Some(Self(key, Fingerprint::of_request(req, body)?)))
            }
        }
    }
}

/// Runs `command` as described above and answers with its JSON and status.
pub(crate) async fn run<T, F>(
    db: &Db,
    dry_run: DryRun,
    keyed: Option<Keyed>,
    command: F,
) -> Result<HttpResponse, Problem>
where
    T: Serialize,
    F: FnOnce(&mut AnyConnection) -> Result<(StatusCode, T), Problem> + Send + 'static,
{
    let outcome = db
        .write_or_rollback(dry_run.enabled(), move |conn| {
            let effect = |conn: &mut AnyConnection| {
                let (status, value) = command(conn)?;
                StoredResponse::json(status, &value)
            };
            match keyed {
                Some(Keyed(key, fingerprint)) => {
                    idempotency::once(conn, &key, &fingerprint, effect)
                }
                None => effect(conn).map(|response| Outcome {
                    response,
                    replayed: false,
                }),
            }
        })
        .await?;
    Ok(dry_run.mark(outcome.to_http()))
}
