//! Canonical checksums: SHA-256 over a record's JSON written with object
//! keys sorted and no whitespace, so two equal records always hash the same
//! whatever order their fields were built in.

use serde_json::Value;
use sha2::{Digest, Sha256};

/// The hex SHA-256 of `value`'s canonical form.
pub fn checksum(value: &Value) -> String {
    let mut hasher = Sha256::new();
    write(value, &mut hasher);
    hex::encode(hasher.finalize())
}

fn write(value: &Value, out: &mut Sha256) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.update(b"{");
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.update(b",");
                }
                out.update(Value::String(key.clone()).to_string().as_bytes());
                out.update(b":");
                write(&map[key], out);
            }
            out.update(b"}");
        }
        Value::Array(items) => {
            out.update(b"[");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.update(b",");
                }
                write(item, out);
            }
            out.update(b"]");
        }
        scalar => out.update(scalar.to_string().as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn key_order_does_not_matter_values_do() {
        let a: Value = serde_json::from_str(r#"{"b": 1, "a": {"y": [1, 2], "x": "s"}}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"a": {"x": "s", "y": [1, 2]}, "b": 1}"#).unwrap();
        assert_eq!(checksum(&a), checksum(&b));
        assert_ne!(
            checksum(&a),
            checksum(&json!({"b": 2, "a": {"x": "s", "y": [1, 2]}}))
        );
        assert_ne!(checksum(&json!([1, 2])), checksum(&json!([2, 1])));
    }
}
