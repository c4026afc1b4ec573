//! An upstream base URL (`http://127.0.0.1:8080`), checked once so forwarding
//! only joins it with the request's path and query.

use http::HeaderValue;
use http::uri::{Authority, Parts, PathAndQuery, Scheme, Uri};

/// Where a backend listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    authority: Authority,
    /// `authority` as a `Host` value, made once rather than per request.
    host: HeaderValue,
}

impl Upstream {
    /// Accepts `http://host:port` (no path beyond `/`, no query); says what is wrong otherwise.
    pub fn parse(url: &str) -> Result<Self, String> {
        let uri: Uri = url
            .parse()
            .map_err(|e| format!("`{url}` is not a URL: {e}"))?;
        if uri.scheme_str() != Some("http") {
            return Err(format!(
                "`{url}` must start with http:// (TLS to upstreams is terminated elsewhere)"
            ));
        }
        let authority = uri
            .authority()
            .cloned()
            .ok_or_else(|| format!("`{url}` has no host"))?;
        if authority.port_u16().is_none() {
            return Err(format!("`{url}` must name its port"));
        }
        if uri.path_and_query().is_some_and(|p| p.as_str() != "/") {
            return Err(format!(
                "`{url}` must not have a path or query: the request's path is kept"
            ));
        }
        let host = HeaderValue::from_str(authority.as_str())
            .map_err(|e| format!("`{url}` has no usable host: {e}"))?;
        Ok(Self { authority, host })
    }

    /// The `host:port`.
    pub fn authority(&self) -> &Authority {
        &self.authority
    }

    /// The `Host` header value naming this upstream.
    pub fn host(&self) -> &HeaderValue {
        &self.host
    }

    /// The absolute URI of `path_and_query` on this upstream (the parts are
    /// shared, not parsed again).
    pub fn uri(&self, path_and_query: Option<&PathAndQuery>) -> Result<Uri, http::Error> {
        let mut parts = Parts::default();
        parts.scheme = Some(Scheme::HTTP);
        parts.authority = Some(self.authority.clone());
        parts.path_and_query = Some(
            path_and_query
                .cloned()
                .unwrap_or_else(|| PathAndQuery::from_static("/")),
        );
        Ok(Uri::from_parts(parts)?)
    }
}

impl std::fmt::Display for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "http://{}", self.authority)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let u = Upstream::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!(
            u.uri(Some(&"/a?b=1".parse().unwrap())).unwrap().to_string(),
            "http://127.0.0.1:8080/a?b=1"
        );
        assert_eq!(u.to_string(), "http://127.0.0.1:8080");
        for (bad, why) in [
            ("127.0.0.1:8080", "http://"),
            ("https://x:1", "http://"),
            ("http://x", "port"),
            ("http://x:1/base", "path"),
            ("not a url", "not a URL"),
        ] {
            let err = Upstream::parse(bad).unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }
}
