//! The Unleash context of a request: `userId` is the record's key when the
//! matched pattern has the route's record parameter (so every writer of a
//! record, whoever calls, reaches the one side that owns it; the monolith's
//! payments port asks the same flags with the same key), else the client's
//! identity (the configured identity header, set by the client or an auth
//! gateway in front, else the route's customer path parameter), `sessionId`
//! the session header,
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
    record_param: Option<&str>,
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
    let param = |name: Option<&str>| name.and_then(|p| params.get(p)).map(str::to_owned);
    let user_id = param(record_param)
        .or_else(|| header(&names.user))
        .or_else(|| param(customer_param));
    FlagContext {
        user_id,
        session_id: header(&names.session),
        remote_address: Some(peer),
        properties: HashMap::from([("route".to_owned(), route.to_owned())]),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::routes::trie::Trie;

    fn names() -> IdentityHeaders {
        IdentityHeaders {
            user: http::HeaderName::from_static("x-customer-id"),
            session: http::HeaderName::from_static("x-session-id"),
        }
    }

    fn user_of(path: &str, caller: Option<&str>, record_param: Option<&str>) -> Option<String> {
        let mut trie = Trie::default();
        for pattern in [
            "/api/v1/payments/{id}/refunds",
            "/api/v1/orders/{order}/payments",
        ] {
            let pattern = crate::routes::pattern::Pattern::parse(pattern).unwrap();
            trie.insert(0, &pattern, crate::routes::methods::Methods::ALL, 0)
                .unwrap();
        }
        let found = trie.find(&http::Method::POST, path).unwrap();
        let mut headers = HeaderMap::new();
        if let Some(caller) = caller {
            headers.insert("x-customer-id", caller.parse().unwrap());
        }
        let peer = IpAddr::from([127, 0, 0, 1]);
        context(
            &headers,
            &names(),
            "payments",
            Some("order"),
            record_param,
            &found.params,
            peer,
        )
        .user_id
    }

    #[test]
    fn a_record_key_in_the_path_decides_whoever_calls() {
        let refund = "/api/v1/payments/17/refunds";
        assert_eq!(
            user_of(refund, Some("ada"), Some("id")).as_deref(),
            Some("17")
        );
        assert_eq!(user_of(refund, None, Some("id")).as_deref(), Some("17"));
        assert_eq!(user_of(refund, Some("ada"), None).as_deref(), Some("ada"));
        // A pattern without the record parameter follows the caller as before.
        let list = "/api/v1/orders/5/payments";
        assert_eq!(
            user_of(list, Some("ada"), Some("id")).as_deref(),
            Some("ada")
        );
        assert_eq!(user_of(list, None, Some("id")).as_deref(), Some("5"));
    }
}
