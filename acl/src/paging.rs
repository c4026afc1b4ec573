//! Legacy `?page=&per_page=` ↔ v2 `?limit=&offset=`, and the envelopes.
//! `page` (default 1) must be ≥ 1 and `per_page` (default 20) in 1..=100,
//! as the legacy API demands; a bad value is a 400 naming the parameter.
//! `offset = (page - 1) × per_page`; a page so far out that the offset
//! overflows is refused the same way rather than wrapped.

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
    /// Reads `page` and `per_page` from a raw query string (other parameters
    /// are ignored, as the monolith ignores them; a repeated one is refused).
    pub fn from_query(query: &str) -> Result<Self, TranslateError> {
        let mut page = None;
        let mut per_page = None;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (name, raw) = pair.split_once('=').unwrap_or((pair, ""));
            let value = percent_decode(raw)
                .ok_or_else(|| TranslateError::query(name, raw, "valid percent-encoding"))?;
            let slot = match name {
                "page" => &mut page,
                "per_page" => &mut per_page,
                _ => continue,
            };
            if slot.replace(value).is_some() {
                return Err(TranslateError::query(name, raw, "given once"));
            }
        }
        let page = match page {
            None => DEFAULT_PAGE,
            Some(v) => v
                .parse::<u64>()
                .ok()
                .filter(|p| *p >= 1)
                .ok_or_else(|| TranslateError::query("page", &v, "an integer of at least 1"))?,
        };
        let per_page = match per_page {
            None => DEFAULT_PER_PAGE,
            Some(v) => v
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=MAX_PER_PAGE).contains(n))
                .ok_or_else(|| TranslateError::query("per_page", &v, "an integer from 1 to 100"))?,
        };
        let request = Self { page, per_page };
        request.offset()?;
        Ok(request)
    }

    /// The v2 `limit`.
    pub fn limit(&self) -> u32 {
        self.per_page
    }

    /// The v2 `offset`.
    pub fn offset(&self) -> Result<u64, TranslateError> {
        (self.page - 1)
            .checked_mul(u64::from(self.per_page))
            .ok_or_else(|| {
                TranslateError::query("page", &self.page.to_string(), "a reachable page")
            })
    }

    /// The legacy envelope for a v2 page. The v2 page must be the one asked
    /// for; each item is translated with `item`, and an item's error is
    /// re-rooted under `$.data[i]`.
    pub fn envelope<V, L>(
        &self,
        v2: &v2_common::Page<V>,
        mut item: impl FnMut(&V) -> Result<L, TranslateError>,
    ) -> Result<Page<L>, TranslateError> {
        let offset = self.offset()?;
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
            .map(|(i, v)| item(v).map_err(|e| reroot(e, i)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page {
            items,
            page: self.page,
            per_page: self.per_page,
            total: v2.total,
        })
    }
}

/// Moves an error's field under `$.data[i]` (the v2 envelope's item).
fn reroot(err: TranslateError, i: usize) -> TranslateError {
    let base = crate::FieldPath::field("data").index(i);
    let graft = |f: &crate::FieldPath| {
        let rest = f.as_str().trim_start_matches('$');
        crate::FieldPath::from_raw(format!("{}{rest}", base.as_str()))
    };
    match err {
        TranslateError::NoCounterpart {
            field,
            side,
            value,
            reason,
        } => TranslateError::NoCounterpart {
            field: graft(&field),
            side,
            value,
            reason,
        },
        TranslateError::Precision {
            field,
            value,
            currency,
            exponent,
        } => TranslateError::Precision {
            field: graft(&field),
            value,
            currency,
            exponent,
        },
        TranslateError::Overflow {
            field,
            value,
            target,
        } => TranslateError::Overflow {
            field: graft(&field),
            value,
            target,
        },
        TranslateError::Invalid {
            field,
            value,
            expected,
        } => TranslateError::Invalid {
            field: graft(&field),
            value,
            expected,
        },
        other => other,
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
        assert_eq!((p.page, p.per_page, p.offset().unwrap()), (1, 20, 0));
        let p = PageRequest::from_query("page=3&per_page=10&x=y").unwrap();
        assert_eq!((p.limit(), p.offset().unwrap()), (10, 20));
        let p = PageRequest::from_query("page=%32").unwrap();
        assert_eq!(p.page, 2);
    }

    #[test]
    fn bad_values_are_400s_naming_the_parameter() {
        for q in [
            "page=0",
            "page=-1",
            "page=x",
            "per_page=0",
            "per_page=101",
            "page=1&page=2",
            "page=%zz",
            "page=18446744073709551615&per_page=100",
        ] {
            let err = PageRequest::from_query(q).unwrap_err();
            assert_eq!(err.legacy_status(), 400, "{q}: {err}");
            assert!(err.to_string().contains("page"), "{q}: {err}");
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
}
