//! [`FieldPath`]: where in a document a value sits, as a JSON path, and
//! [`Side`]: which contract the document belongs to.

use std::borrow::Cow;
use std::fmt;
use std::hash::{Hash, Hasher};

/// A JSON path naming one field of a legacy or v2 document: `$`, `$.st`,
/// `$.lines[2].px`. Built with [`FieldPath::field`], [`FieldPath::key`] and
/// [`FieldPath::index`]. A root or top-level path is rendered only when shown:
/// translators name the field of every value they convert, and nearly all of
/// those names are never needed because nothing fails.
#[derive(Debug, Clone)]
pub struct FieldPath(Repr);

#[derive(Debug, Clone)]
enum Repr {
    Root,
    Field(&'static str),
    Rendered(String),
}

impl FieldPath {
    /// The whole document (`$`).
    pub fn root() -> Self {
        Self(Repr::Root)
    }

    /// A top-level field: `FieldPath::field("st")` is `$.st`.
    pub fn field(name: &'static str) -> Self {
        Self(Repr::Field(name))
    }

    /// A member of this object: `$.lines[2]` + `px` is `$.lines[2].px`.
    pub fn key(&self, name: &str) -> Self {
        Self(Repr::Rendered(format!("{self}.{name}")))
    }

    /// An element of this array: `$.lines` + `2` is `$.lines[2]`.
    pub fn index(&self, i: usize) -> Self {
        Self(Repr::Rendered(format!("{self}[{i}]")))
    }

    /// A path taken from a deserialiser (`lines[2].px`, or `.` for the root).
    pub fn from_serde(path: &serde_path_to_error::Path) -> Self {
        let rendered = path.to_string();
        if rendered == "." || rendered.is_empty() {
            Self::root()
        } else if rendered.starts_with('[') {
            Self(Repr::Rendered(format!("${rendered}")))
        } else {
            Self(Repr::Rendered(format!("$.{rendered}")))
        }
    }

    /// A path already rendered (`$.data[3].amount`).
    pub(crate) fn from_rendered(rendered: String) -> Self {
        Self(Repr::Rendered(rendered))
    }

    /// The path as text.
    pub fn as_str(&self) -> Cow<'_, str> {
        match &self.0 {
            Repr::Root => Cow::Borrowed("$"),
            Repr::Field(name) => Cow::Owned(format!("$.{name}")),
            Repr::Rendered(path) => Cow::Borrowed(path),
        }
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Root => f.write_str("$"),
            Repr::Field(name) => write!(f, "$.{name}"),
            Repr::Rendered(path) => f.write_str(path),
        }
    }
}

// Equal when they name the same field, however each was built.
impl PartialEq for FieldPath {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for FieldPath {}

impl Hash for FieldPath {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
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
