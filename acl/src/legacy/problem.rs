//! The legacy error body: RFC 9457 `application/problem+json` with the four
//! standard members.

use serde::{Deserialize, Serialize};

/// The media type of a legacy error body.
pub const MEDIA_TYPE: &str = "application/problem+json";

/// A legacy problem document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    /// The HTTP reason phrase.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong, in the legacy vocabulary.
    pub detail: String,
}
