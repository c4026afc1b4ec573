//! [`TranslateError`]: why a value, a body or a request has no translation.
//! Every variant names the field (as a JSON path such as `$.lines[2].px`) and
//! the value that could not be carried across, so a failed translation is
//! never a silent default and always tells the operator where to look.

use std::fmt;

mod path;
mod read;

pub use path::{FieldPath, Side};

/// The longest rendering of an offending value kept in an error; a client can
/// send megabytes, an error message should not echo them.
const MAX_VALUE_CHARS: usize = 80;

/// Why a translation failed. Each variant names the field and the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TranslateError {
    /// The value is valid on its own side but the other side has no
    /// counterpart (a v2 `failed` payment has no legacy letter; a legacy
    /// currency the v2 model does not know).
    #[error("{field}: {side} value `{value}` has no counterpart on the other side ({reason})")]
    NoCounterpart {
        /// Where the value sits.
        field: FieldPath,
        /// The side the value comes from.
        side: Side,
        /// The value, rendered.
        value: String,
        /// Why there is no counterpart.
        reason: String,
    },
    /// A v2 amount has more decimals than the currency's minor unit; the
    /// layer never rounds money.
    #[error(
        "{field}: amount `{value}` {currency} has more than {exponent} decimal places; \
         legacy amounts are integer minor units and this layer does not round"
    )]
    Precision {
        /// Where the amount sits.
        field: FieldPath,
        /// The amount, rendered.
        value: String,
        /// Its currency code.
        currency: String,
        /// The currency's minor-unit exponent.
        exponent: u32,
    },
    /// The value does not fit the range of the target representation.
    #[error("{field}: `{value}` does not fit {target}")]
    Overflow {
        /// Where the value sits.
        field: FieldPath,
        /// The value, rendered.
        value: String,
        /// The representation it must fit (e.g. `i64 minor units`).
        target: &'static str,
    },
    /// The value breaks the rules of its own side's contract.
    #[error("{field}: `{value}` is not {expected}")]
    Invalid {
        /// Where the value sits.
        field: FieldPath,
        /// The value, rendered.
        value: String,
        /// What a valid value looks like.
        expected: String,
    },
    /// A body is not JSON of the expected shape.
    #[error("{field}: {side} body does not have the expected shape: {message}")]
    Shape {
        /// Where reading stopped.
        field: FieldPath,
        /// Whose body it is.
        side: Side,
        /// What the reader said (names the offending value).
        message: String,
    },
    /// A body is not JSON at all.
    #[error("{side} body is not JSON: {message}")]
    NotJson {
        /// Whose body it is.
        side: Side,
        /// What the parser said.
        message: String,
    },
    /// A request body sent without a JSON media type (the monolith: 415).
    #[error("request body must be sent as application/json, not `{found}`")]
    MediaType {
        /// The `Content-Type` sent (empty if none).
        found: String,
    },
    /// The path is translated, but not for this method (the monolith: 405).
    #[error("{method} is not allowed on {path}")]
    MethodNotAllowed {
        /// The request method.
        method: String,
        /// The request path.
        path: String,
    },
    /// A path segment names nothing the legacy API could have (`/payments/abc`).
    #[error("{field}: `{value}` names no record")]
    NotFound {
        /// The path parameter.
        field: FieldPath,
        /// The segment, rendered.
        value: String,
    },
    /// A query string that cannot be read: an unknown or repeated
    /// parameter, a value that is not an integer (the monolith: 400).
    #[error("query parameter `{name}`: `{value}` is not {expected}")]
    Query {
        /// The parameter name.
        name: String,
        /// The value, rendered.
        value: String,
        /// What a valid value looks like.
        expected: &'static str,
    },
    /// A query parameter that reads but is out of range (`per_page=0`; the
    /// monolith: 422).
    #[error("query parameter `{name}`: `{value}` is not {expected}")]
    QueryValue {
        /// The parameter name.
        name: String,
        /// The value, rendered.
        value: String,
        /// What a valid value looks like.
        expected: &'static str,
    },
    /// No route of this translator matches the request.
    #[error("route group `{group}` has no translation for {method} {path}")]
    NoRoute {
        /// The route group asked.
        group: String,
        /// The request method.
        method: String,
        /// The request path.
        path: String,
    },
    /// The v2 answer is not one this exchange can produce a legacy answer from
    /// (e.g. a 201 where a 200 list was expected).
    #[error("v2 status {status} has no legacy translation for {endpoint}")]
    UnexpectedStatus {
        /// The endpoint the exchange was for.
        endpoint: &'static str,
        /// The v2 status.
        status: u16,
    },
}

impl TranslateError {
    /// A value with no counterpart on the other side.
    pub fn no_counterpart(
        field: FieldPath,
        side: Side,
        value: impl fmt::Display,
        reason: impl Into<String>,
    ) -> Self {
        Self::NoCounterpart {
            field,
            side,
            value: clip(value),
            reason: reason.into(),
        }
    }

    /// A value that breaks its own side's rules.
    pub fn invalid(
        field: FieldPath,
        value: impl fmt::Display,
        expected: impl Into<String>,
    ) -> Self {
        Self::Invalid {
            field,
            value: clip(value),
            expected: expected.into(),
        }
    }

    /// A value out of the target's range.
    pub fn overflow(field: FieldPath, value: impl fmt::Display, target: &'static str) -> Self {
        Self::Overflow {
            field,
            value: clip(value),
            target,
        }
    }

    /// A query parameter that cannot be read.
    pub fn query(name: &str, value: &str, expected: &'static str) -> Self {
        Self::Query {
            name: clip(name),
            value: clip(value),
            expected,
        }
    }

    /// A query parameter out of range.
    pub fn query_value(name: &str, value: &str, expected: &'static str) -> Self {
        Self::QueryValue {
            name: clip(name),
            value: clip(value),
            expected,
        }
    }

    /// The field the error is about, where it has one.
    pub fn field(&self) -> Option<&FieldPath> {
        match self {
            Self::NoCounterpart { field, .. }
            | Self::Precision { field, .. }
            | Self::Overflow { field, .. }
            | Self::Invalid { field, .. }
            | Self::Shape { field, .. }
            | Self::NotFound { field, .. } => Some(field),
            Self::Query { .. }
            | Self::QueryValue { .. }
            | Self::NotJson { .. }
            | Self::MediaType { .. }
            | Self::MethodNotAllowed { .. }
            | Self::NoRoute { .. }
            | Self::UnexpectedStatus { .. } => None,
        }
    }

    /// The status the legacy API answers for the same mistake, when this
    /// error came from translating a legacy client's *request*: 400 for a
    /// body that is not JSON or an unreadable query, 404 for an unknown path
    /// or id, 405 for a known path with another method, 415 for a body not
    /// sent as JSON, 422 for JSON of the wrong shape, a value with no counterpart
    /// or a query value out of range. An error from translating
    /// a v2 *response* is the new service's or this layer's fault, not the
    /// client's: answer it 502 (or fall back to the monolith), never with
    /// this status.
    pub fn legacy_status(&self) -> u16 {
        match self {
            Self::NotJson { .. } | Self::Query { .. } => 400,
            Self::NotFound { .. } | Self::NoRoute { .. } => 404,
            Self::MethodNotAllowed { .. } => 405,
            Self::MediaType { .. } => 415,
            Self::UnexpectedStatus { .. } => 502,
            Self::NoCounterpart { .. }
            | Self::Precision { .. }
            | Self::Overflow { .. }
            | Self::Invalid { .. }
            | Self::QueryValue { .. }
            | Self::Shape { .. } => 422,
        }
    }
}

/// Renders a value for an error message, cut to a readable length.
pub(crate) fn clip(value: impl fmt::Display) -> String {
    let text = value.to_string();
    if text.chars().count() <= MAX_VALUE_CHARS {
        return text;
    }
    let cut: String = text.chars().take(MAX_VALUE_CHARS).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_render_as_json_paths() {
        let p = FieldPath::field("lines").index(2).key("px");
        assert_eq!(p.as_str(), "$.lines[2].px");
        assert_eq!(FieldPath::root().to_string(), "$");
        assert_eq!(FieldPath::field("st").to_string(), "$.st");
    }

    #[test]
    fn a_path_equals_itself_however_it_was_built() {
        use std::hash::{BuildHasher, RandomState};
        let (top, keyed) = (FieldPath::field("st"), FieldPath::root().key("st"));
        assert_eq!(top, keyed);
        assert_eq!(top.as_str(), keyed.as_str());
        assert_ne!(top, FieldPath::field("amt"));
        let state = RandomState::new();
        assert_eq!(state.hash_one(&top), state.hash_one(&keyed));
    }

    #[test]
    fn read_json_names_the_offending_field() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Line {
            px: i64,
        }
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Doc {
            lines: Vec<Line>,
        }
        let err = TranslateError::read_json::<Doc>(
            Side::Legacy,
            br#"{"lines":[{"px":1},{"px":2},{"px":"x"}]}"#,
        )
        .unwrap_err();
        assert_eq!(err.field().unwrap().as_str(), "$.lines[2].px");
        assert!(err.to_string().contains("\"x\""), "{err}");
    }

    #[test]
    fn long_values_are_clipped() {
        let err = TranslateError::invalid(FieldPath::field("nm"), "a".repeat(1000), "short");
        assert!(err.to_string().len() < 200);
    }
}
