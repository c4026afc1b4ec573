//! The one spelling of a lookup by legacy id, shared by every service's
//! `paths` module.

/// `{collection}/by-legacy-id/{legacy_id}`, e.g. `/v2/payments/by-legacy-id/12`.
///
/// Built in one allocation: the ACL asks for one of these on most legacy
/// reads it translates, and `format!` would grow the string twice.
pub fn by_legacy_id(collection: &str, legacy_id: i64) -> String {
    const SEGMENT: &str = "/by-legacy-id/";
    let mut digits = itoa::Buffer::new();
    let digits = digits.format(legacy_id);
    let mut path = String::with_capacity(collection.len() + SEGMENT.len() + digits.len());
    path.push_str(collection);
    path.push_str(SEGMENT);
    path.push_str(digits);
    path
}

#[cfg(test)]
mod tests {
    use super::by_legacy_id;

    proptest::proptest! {
        #[test]
        fn spells_the_id_as_format_does(id in proptest::num::i64::ANY) {
            proptest::prop_assert_eq!(
                by_legacy_id("/v2/things", id),
                format!("/v2/things/by-legacy-id/{id}")
            );
        }
    }
}
