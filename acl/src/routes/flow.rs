//! The shapes of exchange every route group uses: one call answered by one
//! record, one call answered by a page, and a lookup by legacy id followed by
//! a second call that needs the record's UUID.

use crate::error::TranslateError;
use crate::exchange::{Exchange, Step};
use crate::http::{Request, Response};
use crate::paging::PageRequest;
use crate::reply::{Outcome, Renames, json, read};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// How the legacy status follows from the v2 success status.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Status {
    /// The same status (a `PUT` that creates answers 201, else 200).
    Same,
    /// Always this status.
    Fixed(u16),
}

/// One call; a success body `V` becomes the legacy record `L`.
pub(crate) fn one<V, L, F>(
    endpoint: &'static str,
    call: Request,
    ok: &'static [u16],
    status: Status,
    renames: Renames,
    map: F,
) -> Exchange
where
    V: DeserializeOwned,
    L: Serialize,
    F: FnOnce(&V) -> Result<L, TranslateError> + Send + Sync + 'static,
{
    Exchange::new(endpoint, call, move |resp| {
        Ok(Step::Reply(match read::<V>(endpoint, resp, ok, renames)? {
            Outcome::Ok(got, v) => {
                let code = match status {
                    Status::Same => got,
                    Status::Fixed(code) => code,
                };
                json(code, &map(&v)?, resp)?
            }
            Outcome::Failed(answer) => answer,
        }))
    })
}

/// One call answered by a v2 page; the legacy envelope keeps `page`.
pub(crate) fn page<V, L, F>(
    endpoint: &'static str,
    call: Request,
    page: PageRequest,
    renames: Renames,
    mut map: F,
) -> Exchange
where
    V: DeserializeOwned,
    L: Serialize,
    F: FnMut(&V) -> Result<L, TranslateError> + Send + Sync + 'static,
{
    Exchange::new(endpoint, call, move |resp| {
        Ok(Step::Reply(
            match read::<v2_common::Page<V>>(endpoint, resp, &[200], renames)? {
                Outcome::Ok(_, v) => json(200, &page.envelope(&v, &mut map)?, resp)?,
                Outcome::Failed(answer) => answer,
            },
        ))
    })
}

/// A lookup (`GET …/by-legacy-id/{id}`) whose record `V` decides the next
/// call; a lookup failure (404 …) is answered to the legacy client as is.
pub(crate) fn lookup_then<V, F>(
    endpoint: &'static str,
    lookup: Request,
    renames: Renames,
    next: F,
) -> Exchange
where
    V: DeserializeOwned,
    F: FnOnce(&V) -> Result<Exchange, TranslateError> + Send + Sync + 'static,
{
    Exchange::new(endpoint, lookup, move |resp: &Response| {
        Ok(match read::<V>(endpoint, resp, &[200], renames)? {
            Outcome::Ok(_, v) => Step::Call(next(&v)?),
            Outcome::Failed(answer) => Step::Reply(answer),
        })
    })
}
