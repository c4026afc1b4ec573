//! Plain descriptions of HTTP messages, so the layer is independent of the
//! proxy's HTTP library: the proxy copies its request into a [`Request`],
//! sends the [`Request`]s the layer gives it, and copies the final
//! [`Response`] back out.

use std::borrow::Cow;
use std::fmt;

/// The request methods the legacy and v2 APIs use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `PATCH`
    Patch,
    /// `DELETE`
    Delete,
    /// `HEAD`
    Head,
    /// `OPTIONS`
    Options,
}

impl Method {
    /// Parses an upper-case method name; `None` for anything else.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "GET" => Self::Get,
            "POST" => Self::Post,
            "PUT" => Self::Put,
            "PATCH" => Self::Patch,
            "DELETE" => Self::Delete,
            "HEAD" => Self::Head,
            "OPTIONS" => Self::Options,
            _ => return None,
        })
    }

    /// The method name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Patch => "PATCH",
            Self::Delete => "DELETE",
            Self::Head => "HEAD",
            Self::Options => "OPTIONS",
        }
    }

    /// Whether repeating the request cannot change state (RFC 9110 safe).
    pub fn is_safe(self) -> bool {
        matches!(self, Self::Get | Self::Head | Self::Options)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Header fields in order; names compare case-insensitively. Names are
/// mostly the layer's own constants, kept without a copy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers(Vec<(Cow<'static, str>, String)>);

impl Headers {
    /// No headers.
    pub fn new() -> Self {
        Self::default()
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Replaces every value of `name` with `value`.
    pub fn set(&mut self, name: &'static str, value: impl Into<String>) {
        self.0.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.0.push((Cow::Borrowed(name), value.into()));
    }

    /// Builder form of [`Headers::set`].
    pub fn with(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.set(name, value);
        self
    }

    /// Every field, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_ref(), v.as_str()))
    }
}

impl<N: Into<Cow<'static, str>>, V: Into<String>> FromIterator<(N, V)> for Headers {
    fn from_iter<I: IntoIterator<Item = (N, V)>>(iter: I) -> Self {
        Self(
            iter.into_iter()
                .map(|(n, v)| (n.into(), v.into()))
                .collect(),
        )
    }
}

/// A request: what a legacy client sent, or what the layer wants sent to v2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The path, without the query (`/api/v1/payments/12`).
    pub path: String,
    /// The raw query string without `?` (`page=2&per_page=10`), empty if none.
    pub query: String,
    /// The header fields.
    pub headers: Headers,
    /// The body bytes (empty if none).
    pub body: Vec<u8>,
}

impl Request {
    /// A request with no query, headers or body.
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        Self {
            method,
            path: path.into(),
            query: String::new(),
            headers: Headers::new(),
            body: Vec::new(),
        }
    }

    /// Splits `path_and_query` at the first `?` (an owned target without a
    /// query becomes the path as it is).
    pub fn with_target(method: Method, path_and_query: impl Into<String>) -> Self {
        let mut path = path_and_query.into();
        let query = match path.find('?') {
            Some(at) => {
                let query = path[at + 1..].to_owned();
                path.truncate(at);
                query
            }
            None => String::new(),
        };
        let mut req = Self::new(method, path);
        req.query = query;
        req
    }

    /// Builder: sets the body.
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// Builder: sets a header.
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.set(name, value);
        self
    }

    /// `path?query`, or the path alone when there is no query.
    pub fn target(&self) -> String {
        if self.query.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{}", self.path, self.query)
        }
    }
}

/// A response: what v2 answered, or what the legacy client is to get.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The HTTP status.
    pub status: u16,
    /// The header fields.
    pub headers: Headers,
    /// The body bytes.
    pub body: Vec<u8>,
}

impl Response {
    /// A response with a status, no headers and an empty body.
    pub fn new(status: u16) -> Self {
        Self {
            status,
            headers: Headers::new(),
            body: Vec::new(),
        }
    }

    /// Builder: sets the body.
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// Builder: sets a header.
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.set(name, value);
        self
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_case_insensitive_and_set_replaces() {
        let mut h: Headers = [("X-Correlation-ID", "a"), ("x-correlation-id", "b")]
            .into_iter()
            .collect();
        assert_eq!(h.get("x-CORRELATION-id"), Some("a"));
        h.set("X-Correlation-Id", "c");
        assert_eq!(h.iter().count(), 1);
        assert_eq!(h.get("x-correlation-id"), Some("c"));
    }

    #[test]
    fn targets_split_and_join() {
        let r = Request::with_target(Method::Get, "/v2/payments?order_legacy_id=1&limit=20");
        assert_eq!(r.path, "/v2/payments");
        assert_eq!(r.query, "order_legacy_id=1&limit=20");
        assert_eq!(r.target(), "/v2/payments?order_legacy_id=1&limit=20");
        let owned = Request::with_target(Method::Get, String::from("/v2/payments/by-legacy-id/7"));
        assert_eq!(
            (owned.path.as_str(), owned.query.as_str()),
            ("/v2/payments/by-legacy-id/7", "")
        );
        assert_eq!(owned.target(), "/v2/payments/by-legacy-id/7");
        let empty_query = Request::with_target(Method::Get, "/v2/payments?");
        assert_eq!(
            (empty_query.path.as_str(), empty_query.query.as_str()),
            ("/v2/payments", "")
        );
        assert_eq!(Method::parse("get"), None);
        assert!(Method::Get.is_safe() && !Method::Post.is_safe());
    }
}
