//! The contract between the proxy and a translator: an [`Exchange`] is one
//! legacy request being served by v2, possibly in several calls (a refund
//! first resolves the payment's UUID from its legacy id, then posts).
//!
//! The proxy's loop:
//!
//! ```no_run
//! # use acl::{Registry, Request, Response, Step, Method};
//! # fn send(_: &Request) -> Response { Response::new(200) }
//! # fn run(registry: &Registry, legacy: Request) -> Result<Response, acl::TranslateError> {
//! let translator = registry.get("payments").ok_or_else(|| unreachable!())?;
//! let mut exchange = translator.start(&legacy)?;      // legacy → first v2 call
//! let legacy_response = loop {
//!     let v2_response = send(exchange.request());       // the proxy's I/O
//!     match exchange.respond(&v2_response)? {            // v2 → next call or answer
//!         Step::Call(next) => exchange = next,
//!         Step::Reply(answer) => break answer,
//!     }
//! };
//! # Ok(legacy_response) }
//! ```

use crate::error::TranslateError;
use crate::http::{Request, Response};
use std::fmt;

/// What to do after a v2 response.
#[derive(Debug)]
pub enum Step {
    /// Send another v2 request (and feed its response to the new exchange).
    Call(Exchange),
    /// Done: answer the legacy client with this response.
    Reply(Response),
}

type Continuation = Box<dyn FnOnce(&Response) -> Result<Step, TranslateError> + Send + Sync>;

/// One pending v2 call and what to do with its answer.
pub struct Exchange {
    endpoint: &'static str,
    request: Request,
    then: Continuation,
}

impl Exchange {
    /// A call to send, and the function that reads its response. `endpoint`
    /// names the legacy endpoint for logs and metrics (e.g. `payments.get`).
    pub fn new<F>(endpoint: &'static str, request: Request, then: F) -> Self
    where
        F: FnOnce(&Response) -> Result<Step, TranslateError> + Send + Sync + 'static,
    {
        Self {
            endpoint,
            request,
            then: Box::new(then),
        }
    }

    /// The legacy endpoint this exchange serves.
    pub fn endpoint(&self) -> &'static str {
        self.endpoint
    }

    /// The v2 request to send now. The proxy may add transport headers (a
    /// dry-run flag, tracing) but must not change method, path or body.
    pub fn request(&self) -> &Request {
        &self.request
    }

    /// Feeds the v2 response to the exchange.
    pub fn respond(self, response: &Response) -> Result<Step, TranslateError> {
        (self.then)(response)
    }
}

impl fmt::Debug for Exchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Exchange")
            .field("endpoint", &self.endpoint)
            .field("request", &self.request)
            .finish_non_exhaustive()
    }
}

/// A translator for one route group (`payments`, `orders`, …). Implement it
/// to teach the proxy a group of your own monolith; register it in a
/// [`crate::Registry`].
pub trait RouteTranslator: Send + Sync + fmt::Debug {
    /// The route group's name, the registry key.
    fn group(&self) -> &str;

    /// Whether this group translates `method path` (the proxy uses it to
    /// check its route table against the translators at start-up).
    fn handles(&self, method: crate::Method, path: &str) -> bool;

    /// Starts serving a legacy request: its first v2 call. An error here is
    /// the client's (see [`TranslateError::legacy_status`]) or a route the
    /// group does not translate.
    fn start(&self, request: &Request) -> Result<Exchange, TranslateError>;
}
