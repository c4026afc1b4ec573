//! [`FieldPath`]: where in a document a value sits, as a JSON path, and
//! [`Side`]: which contract the document belongs to.

use std::fmt;

/// A JSON path naming one field of a legacy or v2 document: `$`, `$.st`,
/// `$.lines[2].px`. Built with [`FieldPath::key`] and [`FieldPath::index`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FieldPath(String);

impl FieldPath {
    /// The whole document (`$`).
    pub fn root() -> Self {
        Self("$".to_owned())
    }

    /// A top-level field: `FieldPath::field("st")` is `$.st`.
    pub fn field(name: &str) -> Self {
        Self::root().key(name)
    }

    /// A member of this object: `$.lines[2]` + `px` is `$.lines[2].px`.
    pub fn key(&self, name: &str) -> Self {
        Self(format!("{}.{name}", self.0))
    }

    /// An element of this array: `$.lines` + `2` is `$.lines[2]`.
    pub fn index(&self, i: usize) -> Self {
        Self(format!("{}[{i}]", self.0))
    }

    /// A path taken from a deserialiser (`lines[2].px`, or `.` for the root).
    pub fn from_serde(path: &serde_path_to_error::Path) -> Self {
        let rendered = path.to_string();
        if rendered == "." || rendered.is_empty() {
            Self::root()
        } else if rendered.starts_with('[') {
            Self(format!("${rendered}"))
        } else {
            Self(format!("$.{rendered}"))
        }
    }

    /// A path already rendered (`$.data[3].amount`).
    pub(crate) fn from_rendered(rendered: String) -> Self {
        Self(rendered)
    }

    /// The path as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which side of the layer a document belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The monolith's `/api/v1` contract.
    Legacy,
    /// A service's `/v2` contract.
    V2,
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Legacy => "legacy",
            Side::V2 => "v2",
        })
    }
}
