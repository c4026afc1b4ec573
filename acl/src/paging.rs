//! Legacy `?page=&per_page=` ↔ v2 `?limit=&offset=`, and the envelopes.
//!
//! As the monolith reads it: `page` (default 1) and `per_page` (default 20)
//! are the only parameters; an unknown or repeated parameter or a value that
//! is not an integer is a 400, `page < 1` or `per_page` outside 1..=100 a 422,
//! each naming the parameter. `offset = (page - 1) × per_page`, saturating at
//! `i64::MAX` as the monolith's does (such a page is simply empty).

use crate::error::{Side, TranslateError};
use crate::legacy::{DEFAULT_PAGE, DEFAULT_PER_PAGE, MAX_PER_PAGE, Page};

/// A legacy page request, validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// 1-based page.
    pub page: u64,
    /// Page size.
    pub per_page: u32,
}

impl PageRequest {
    /// Reads `page` and `per_page` from a raw query string.
    pub fn from_query(query: &str) -> Result<Self, TranslateError> {
        let mut page = None;
        let mut per_page = None;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (raw_name, raw) = pair.split_once('=').unwrap_or((pair, ""));
            let name = percent_decode(raw_name)
                .ok_or_else(|| TranslateError::query(raw_name, raw, "valid percent-encoding"))?;
            let value = percent_decode(raw)
                .ok_or_else(|| TranslateError::query(&name, raw, "valid percent-encoding"))?;
            let slot = match name.as_str() {
                "page" => &mut page,
                "per_page" => &mut per_page,
                _ => {
                    return Err(TranslateError::query(
                        &name,
                        raw,
                        "a known parameter (page, per_page)",
                    ));
                }
            };
            if slot.replace(value).is_some() {
                return Err(TranslateError::query(&name, raw, "given once"));
            }
        }
        let page = integer("page", page, DEFAULT_PAGE as i64)?;
        let per_page = integer("per_page", per_page, i64::from(DEFAULT_PER_PAGE))?;
        let page = u64::try_from(page)
            .ok()
            .filter(|p| *p >= 1)
            .ok_or_else(|| TranslateError::query_value("page", &page.to_string(), "1 or more"))?;
        let per_page = u32::try_from(per_page)
            .ok()
            .filter(|n| (1..=MAX_PER_PAGE).contains(n))
            .ok_or_else(|| {
                TranslateError::query_value("per_page", &per_page.to_string(), "from 1 to 100")
            })?;
        Ok(Self { page, per_page })
    }

    /// The v2 `limit`.
    pub fn limit(&self) -> u32 {
        self.per_page
    }

    /// The v2 `offset` (saturating, as the monolith's).
    pub fn offset(&self) -> u64 {
        let skipped = (self.page - 1).saturating_mul(u64::from(self.per_page));
        skipped.min(i64::MAX as u64)
    }

    /// The legacy envelope for a v2 page. The v2 page must be the one asked
    /// for; each item is translated with `item`, and an item's error is
    /// re-rooted under `$.data[i]`.
    pub fn envelope<V, L>(
        &self,
        v2: &v2_common::Page<V>,
        mut item: impl FnMut(&V) -> Result<L, TranslateError>,
    ) -> Result<Page<L>, TranslateError> {
        let offset = self.offset();
        if v2.limit != self.per_page || v2.offset != offset {
            return Err(TranslateError::no_counterpart(
                crate::FieldPath::field("offset"),
                Side::V2,
                format!("limit {} offset {}", v2.limit, v2.offset),
                format!(
                    "the legacy client asked for limit {} offset {offset}",
                    self.per_page
                ),
            ));
        }
        let items = v2
            .data
            .iter()
            .enumerate()
            .map(|(i, v)| item(v).map_err(|e| e.under(&crate::FieldPath::field("data").index(i))))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page {
            items,
            page: self.page,
            per_page: self.per_page,
            total: v2.total,
        })
    }
}

/// A parameter as an `i64` (what the monolith reads), or its default.
fn integer(name: &str, raw: Option<String>, default: i64) -> Result<i64, TranslateError> {
    match raw {
        None => Ok(default),
        Some(v) => v
            .parse::<i64>()
            .map_err(|_| TranslateError::query(name, &v, "an integer")),
    }
}

/// Decodes `%XX` and `+` (form encoding); `None` for a broken escape or
/// bytes that are not UTF-8.
fn percent_decode(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = raw.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_offsets() {
        let p = PageRequest::from_query("").unwrap();
        assert_eq!((p.page, p.per_page, p.offset()), (1, 20, 0));
        let p = PageRequest::from_query("page=3&per_page=10").unwrap();
        assert_eq!((p.limit(), p.offset()), (10, 20));
        let p = PageRequest::from_query("page=%32").unwrap();
        assert_eq!(p.page, 2);
        let far = PageRequest::from_query("page=9223372036854775807&per_page=100").unwrap();
        assert_eq!(far.offset(), i64::MAX as u64);
    }

    #[test]
    fn unreadable_queries_are_400s_naming_the_parameter() {
        for q in [
            "page=x",
            "page=1&page=2",
            "page=%zz",
            "sort=asc",
            "page=99999999999999999999",
        ] {
            let err = PageRequest::from_query(q).unwrap_err();
            assert_eq!(err.legacy_status(), 400, "{q}: {err}");
        }
    }

    #[test]
    fn out_of_range_values_are_422s_naming_the_parameter() {
        for (q, name) in [
            ("page=0", "page"),
            ("page=-1", "page"),
            ("per_page=0", "per_page"),
            ("per_page=101", "per_page"),
        ] {
            let err = PageRequest::from_query(q).unwrap_err();
            assert_eq!(err.legacy_status(), 422, "{q}: {err}");
            assert!(err.to_string().contains(name), "{q}: {err}");
        }
    }

    #[test]
    fn a_page_other_than_the_one_asked_for_is_an_error() {
        let asked = PageRequest::from_query("page=2&per_page=5").unwrap();
        let v2 = v2_common::Page {
            data: vec![1],
            total: 6,
            limit: 5,
            offset: 0,
        };
        assert!(asked.envelope(&v2, |x| Ok(*x)).is_err());
        let v2 = v2_common::Page {
            data: vec![1],
            total: 6,
            limit: 5,
            offset: 5,
        };
        let legacy = asked.envelope(&v2, |x| Ok(*x)).unwrap();
        assert_eq!((legacy.page, legacy.per_page, legacy.total), (2, 5, 6));
    }

    #[test]
    fn item_errors_are_rooted_under_data() {
        let asked = PageRequest::from_query("").unwrap();
        let v2 = v2_common::Page {
            data: vec![1, 2],
            total: 2,
            limit: 20,
            offset: 0,
        };
        let err = asked
            .envelope(&v2, |x| {
                if *x == 2 {
                    Err(TranslateError::invalid(
                        crate::FieldPath::field("amount"),
                        x,
                        "odd",
                    ))
                } else {
                    Ok(*x)
                }
            })
            .unwrap_err();
        assert_eq!(err.field().unwrap().as_str(), "$.data[1].amount");
    }
}
