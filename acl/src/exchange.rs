//! The contract between the proxy and a translator: an [`Exchange`] is one
//! legacy request being served by v2, possibly in several calls (a refund
//! first resolves the payment's UUID from its legacy id, then posts).
//!
//! The proxy's loop (`send` is the proxy's own I/O):
//!
//! ```
//! use acl::{LegacyClock, Method, Registry, Request, Response, Step};
//!
//! fn serve(registry: &Registry, group: &str, legacy: &Request) -> Response {
//!     let Some(translator) = registry.get(group) else {
//!         return Response::new(404);
//!     };
//!     let mut exchange = match translator.start(legacy) {
//!         Ok(exchange) => exchange,
//!         // The client's mistake, answered as the monolith would.
//!         Err(err) => return acl::error_to_legacy(&err, legacy),
//!     };
//!     loop {
//!         let v2 = send(exchange.request());
//!         match exchange.respond(&v2) {
//!             Ok(Step::Call(next)) => exchange = next,
//!             Ok(Step::Reply(answer)) => return answer,
//!             // The v2 answer has no legacy shape: not the client's fault.
//!             Err(_) => return Response::new(502),
//!         }
//!     }
//! }
//! # fn send(_: &Request) -> Response { Response::new(503) }
//!
//! let registry = Registry::standard(LegacyClock::default());
//! let answer = serve(&registry, "payments", &Request::new(Method::Get, "/api/v1/payments/abc"));
//! assert_eq!(answer.status, 404);
//! let answer = serve(&registry, "payments", &Request::new(Method::Get, "/api/v1/payments/7"));
//! assert_eq!(answer.status, 503); // a v2 error status is passed on as a legacy problem
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

    /// The upstream the group's v2 calls go to (`payment`, `fulfillment`):
    /// the proxy maps this name to a base URL.
    fn service(&self) -> &str;

    /// Whether this group translates `method path` (the proxy uses it to
    /// check its route table against the translators at start-up).
    fn handles(&self, method: crate::Method, path: &str) -> bool;

    /// Starts serving a legacy request: its first v2 call. An error here is
    /// the client's (see [`TranslateError::legacy_status`]) or a route the
    /// group does not translate.
    fn start(&self, request: &Request) -> Result<Exchange, TranslateError>;
}
