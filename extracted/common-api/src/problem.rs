//! The body of a v2 error response (RFC 9457 `application/problem+json`), as a
//! client reads it and as OpenAPI documents describe it. Servers render it
//! with `platform::Problem`; this type is the reading side.

use serde::{Deserialize, Serialize};

/// An RFC 9457 problem document. Extension members (e.g. `field`) are kept
/// in `extensions`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProblemDoc {
    /// A URI naming the kind of problem, e.g. `urn:strangler-kit:problem:conflict`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The HTTP reason phrase.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong, for a human.
    pub detail: String,
    /// Extension members.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub extensions: serde_json::Map<String, serde_json::Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_problem_with_extensions() {
        let doc: ProblemDoc = serde_json::from_value(serde_json::json!({
            "type": "urn:strangler-kit:problem:conflict", "title": "Conflict",
            "status": 409, "detail": "no", "field": "amount"
        }))
        .unwrap();
        assert_eq!(doc.status, 409);
        assert_eq!(doc.extensions["field"], "amount");
    }
}
