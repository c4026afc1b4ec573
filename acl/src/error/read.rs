//! Reading bodies with errors that name the field, and moving an error's
//! field under a list item.

use super::{FieldPath, Side, TranslateError, clip};

impl TranslateError {
    /// The same error with its field moved under `base` (an item of a list:
    /// `$.amount` under `$.data[3]` is `$.data[3].amount`).
    pub fn under(self, base: &FieldPath) -> Self {
        let graft = |f: FieldPath| {
            let rendered = f.as_str();
            let rest = rendered.trim_start_matches('$');
            FieldPath::from_rendered(format!("{base}{rest}"))
        };
        match self {
            Self::NoCounterpart {
                field,
                side,
                value,
                reason,
            } => Self::NoCounterpart {
                field: graft(field),
                side,
                value,
                reason,
            },
            Self::Precision {
                field,
                value,
                currency,
                exponent,
            } => Self::Precision {
                field: graft(field),
                value,
                currency,
                exponent,
            },
            Self::Overflow {
                field,
                value,
                target,
            } => Self::Overflow {
                field: graft(field),
                value,
                target,
            },
            Self::Invalid {
                field,
                value,
                expected,
            } => Self::Invalid {
                field: graft(field),
                value,
                expected,
            },
            Self::Shape {
                field,
                side,
                message,
            } => Self::Shape {
                field: graft(field),
                side,
                message,
            },
            Self::NotFound { field, value } => Self::NotFound {
                field: graft(field),
                value,
            },
            other => other,
        }
    }

    /// Deserialises `body` as `T`, naming the path of the first offending
    /// field if it fails.
    pub fn read_json<T: serde::de::DeserializeOwned>(side: Side, body: &[u8]) -> Result<T, Self> {
        // Tracking the path costs on every value; it is only needed to
        // explain a failure, so a document is read again for that. The body
        // is checked as UTF-8 once, as a whole: read from bytes, serde_json
        // checks every string (each key, each value) on its own.
        match std::str::from_utf8(body).map(serde_json::from_str) {
            Ok(Ok(value)) => Ok(value),
            _ => Self::read_json_tracked(side, body),
        }
    }

    fn read_json_tracked<T: serde::de::DeserializeOwned>(
        side: Side,
        body: &[u8],
    ) -> Result<T, Self> {
        let mut de = serde_json::Deserializer::from_slice(body);
        let value: T = serde_path_to_error::deserialize(&mut de).map_err(|err| {
            if err.inner().is_data() {
                Self::Shape {
                    field: FieldPath::from_serde(err.path()),
                    side,
                    message: clip(err.inner()),
                }
            } else {
                Self::NotJson {
                    side,
                    message: clip(err.inner()),
                }
            }
        })?;
        de.end().map_err(|err| Self::NotJson {
            side,
            message: clip(err),
        })?;
        Ok(value)
    }
}
