//! Route patterns: `/api/v1/payments/{id}` (a parameter matches one non-empty
//! segment), `/api/v1/payments/**` (a trailing `**` matches zero or more
//! segments), literal segments otherwise.

use std::fmt;

/// The most parameters one pattern may have (matching keeps them on the stack).
pub const MAX_PARAMS: usize = 8;

/// One segment of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// Must equal this text.
    Literal(String),
    /// Any one non-empty segment, captured under this name.
    Param(String),
    /// Zero or more remaining segments (last only).
    CatchAll,
}

/// A parsed pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    text: String,
    segments: Vec<Segment>,
}

impl Pattern {
    /// Parses a pattern or says what is wrong with it.
    pub fn parse(text: &str) -> Result<Self, String> {
        let rest = text
            .strip_prefix('/')
            .ok_or_else(|| format!("pattern `{text}` must start with `/`"))?;
        let parts: Vec<&str> = rest.split('/').collect();
        let mut segments = Vec::with_capacity(parts.len());
        for (i, part) in parts.iter().enumerate() {
            let segment = if *part == "**" {
                if i + 1 != parts.len() {
                    return Err(format!(
                        "pattern `{text}`: `**` may only be the last segment"
                    ));
                }
                Segment::CatchAll
            } else if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                let ok =
                    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                if !ok {
                    return Err(format!(
                        "pattern `{text}`: `{{{name}}}` is not a parameter name (letters, digits, _)"
                    ));
                }
                Segment::Param(name.to_owned())
            } else {
                let ok = !part.is_empty()
                    && part.chars().all(|c| {
                        c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~' | ':' | '@')
                    });
                if !ok {
                    return Err(format!(
                        "pattern `{text}`: segment `{part}` must be a literal (A-Z a-z 0-9 - . _ ~ : @), `{{name}}` or a final `**`"
                    ));
                }
                Segment::Literal((*part).to_owned())
            };
            segments.push(segment);
        }
        let params = segments
            .iter()
            .filter(|s| matches!(s, Segment::Param(_)))
            .count();
        if params > MAX_PARAMS {
            return Err(format!(
                "pattern `{text}` has {params} parameters; at most {MAX_PARAMS}"
            ));
        }
        Ok(Self {
            text: text.to_owned(),
            segments,
        })
    }

    /// The segments.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// The parameter names, in order.
    pub fn params(&self) -> impl Iterator<Item = &str> {
        self.segments.iter().filter_map(|s| match s {
            Segment::Param(name) => Some(name.as_str()),
            _ => None,
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_literals_params_and_catch_all() {
        let p = Pattern::parse("/api/v1/orders/{id}/payments").unwrap();
        assert_eq!(p.segments()[3], Segment::Param("id".into()));
        assert_eq!(p.params().collect::<Vec<_>>(), ["id"]);
        assert_eq!(
            Pattern::parse("/api/**").unwrap().segments()[1],
            Segment::CatchAll
        );
        assert_eq!(
            Pattern::parse("/**").unwrap().segments(),
            [Segment::CatchAll]
        );
    }

    #[test]
    fn refuses_bad_patterns_with_a_reason() {
        for (bad, why) in [
            ("api/v1", "must start with `/`"),
            ("/api/**/x", "last segment"),
            ("/api/{}", "parameter name"),
            ("/api/{a-b}", "parameter name"),
            ("/api//x", "must be a literal"),
            ("/api/x?y", "must be a literal"),
            ("/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}", "at most 8"),
        ] {
            let err = Pattern::parse(bad).unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }
}
