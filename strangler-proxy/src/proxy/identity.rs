//! The Unleash context of a request: `userId` is the client's identity (the
//! configured identity header, set by the client or an auth gateway in front,
//! else the route's customer path parameter), `sessionId` the session header,
//! `remoteAddress` the peer, and the route's name as the `route` property.
//! Shadow sampling and canary cohorts are both keyed on `userId`, so the
//! customers shadowed first are the ones canaried first.

use crate::flags::FlagContext;
use crate::routes::trie::Params;
use http::HeaderMap;
use std::collections::HashMap;
use std::net::IpAddr;

/// Longest header value taken as an identity.
const MAX_ID: usize = 128;

/// Names of the headers to read.
#[derive(Debug, Clone)]
pub struct IdentityHeaders {
    /// Carries the client's identity.
    pub user: http::HeaderName,
    /// Carries the session.
    pub session: http::HeaderName,
}

/// Builds the context for one request.
pub fn context(
    headers: &HeaderMap,
    names: &IdentityHeaders,
    route: &str,
    customer_param: Option<&str>,
    params: &Params<'_>,
    peer: IpAddr,
) -> FlagContext {
    let header = |name: &http::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty() && v.len() <= MAX_ID)
            .map(str::to_owned)
    };
    let user_id = header(&names.user).or_else(|| {
        customer_param
            .and_then(|p| params.get(p))
            .map(str::to_owned)
    });
    FlagContext {
        user_id,
        session_id: header(&names.session),
        remote_address: Some(peer),
        properties: HashMap::from([("route".to_owned(), route.to_owned())]),
    }
}
