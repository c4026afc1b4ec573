//! JSON paths (`$.items[3].amt`) and the JSONPath-like patterns rules are
//! written in (`$.items[*].amt`, `$..trk`).
//!
//! Only the slice of JSONPath a comparison rule needs: no filters, no slices,
//! no script. That keeps matching a small, total function (it cannot fail at
//! request time: a pattern is checked once, when the rules are built).

use std::fmt;

/// One step of a concrete path inside a JSON document.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Segment {
    /// A member of an object.
    Key(String),
    /// An element of an array.
    Index(usize),
}

/// A concrete location in a JSON document, rendered as `$.items[3].amt`.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JsonPath(Vec<Segment>);

impl JsonPath {
    /// The document root, `$`.
    pub fn root() -> Self {
        Self(Vec::new())
    }

    /// This path followed by `segment`.
    pub fn child(&self, segment: Segment) -> Self {
        let mut segments = self.0.clone();
        segments.push(segment);
        Self(segments)
    }

    /// Parses a concrete path as rendered by `Display` (`$.items[3].amt`,
    /// `$['a.b']`); wildcards and `..` are refused.
    pub fn parse(source: &str) -> Result<Self, PatternError> {
        let pattern = Pattern::parse(source)?;
        pattern
            .steps
            .iter()
            .map(|step| match step {
                Step::Key(key) => Ok(Segment::Key(key.clone())),
                Step::Index(index) => Ok(Segment::Index(*index)),
                _ => Err(err(0, "a concrete path has no `*` or `..`")),
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }

    /// The steps from the root.
    pub fn segments(&self) -> &[Segment] {
        &self.0
    }

    /// The pattern reports are grouped by: every array index becomes `[*]`,
    /// so `$.items[3].amt` and `$.items[7].amt` land in `$.items[*].amt`.
    pub fn generalised(&self) -> String {
        let mut out = String::from("$");
        for segment in &self.0 {
            match segment {
                Segment::Key(key) => push_key(&mut out, key),
                Segment::Index(_) => out.push_str("[*]"),
            }
        }
        out
    }

    /// The last object key on the path, if any (what redaction looks at).
    pub fn last_key(&self) -> Option<&str> {
        self.0.iter().rev().find_map(|segment| match segment {
            Segment::Key(key) => Some(key.as_str()),
            Segment::Index(_) => None,
        })
    }
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::from("$");
        for segment in &self.0 {
            match segment {
                Segment::Key(key) => push_key(&mut out, key),
                Segment::Index(index) => out.push_str(&format!("[{index}]")),
            }
        }
        f.write_str(&out)
    }
}

/// Keys that are plain identifiers print as `.key`; anything else is quoted
/// (`['a.b']`) so that every rendered path parses back to the same path.
fn push_key(out: &mut String, key: &str) {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if plain {
        out.push('.');
        out.push_str(key);
    } else {
        out.push_str("['");
        for c in key.chars() {
            if c == '\'' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
        out.push_str("']");
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    AnyKey,
    Index(usize),
    AnyIndex,
    /// `..`: zero or more steps of any kind.
    Descend,
}

/// A parsed pattern: `$`, then `.name`, `['quoted name']`, `.*`, `[3]`,
/// `[*]`, and `..` (any depth) before any of those, e.g. `$..trk`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    source: String,
    steps: Vec<Step>,
}

/// Why a pattern was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason} at character {at}")]
pub struct PatternError {
    /// Character offset where parsing stopped.
    pub at: usize,
    /// What was expected there.
    pub reason: String,
}

impl Pattern {
    /// Parses a pattern; a concrete path such as `$.items[3]` is a pattern too.
    pub fn parse(source: &str) -> Result<Self, PatternError> {
        let chars: Vec<char> = source.trim().chars().collect();
        if chars.first() != Some(&'$') {
            return Err(err(0, "a pattern starts with `$` (the document root)"));
        }
        let mut steps = Vec::new();
        let mut i = 1;
        while i < chars.len() {
            i = parse_step(&chars, i, &mut steps)?;
        }
        if steps.last() == Some(&Step::Descend) {
            return Err(err(
                chars.len(),
                "`..` must be followed by a name, `*` or `[..]`",
            ));
        }
        Ok(Self {
            source: source.trim().to_owned(),
            steps,
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// True when the pattern designates exactly this path.
    pub fn matches(&self, path: &JsonPath) -> bool {
        matches_from(&self.steps, path.segments())
    }

    /// True when the pattern designates this path or one of its ancestors
    /// (ignoring `$.meta` also ignores `$.meta.crt`).
    pub fn covers(&self, path: &JsonPath) -> bool {
        let segments = path.segments();
        (0..=segments.len()).any(|len| matches_from(&self.steps, &segments[..len]))
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

fn err(at: usize, reason: &str) -> PatternError {
    PatternError {
        at,
        reason: reason.to_owned(),
    }
}

/// Parses one step starting at `i`; returns where the next one starts.
fn parse_step(chars: &[char], mut i: usize, steps: &mut Vec<Step>) -> Result<usize, PatternError> {
    match chars[i] {
        '.' if chars.get(i + 1) == Some(&'.') => {
            steps.push(Step::Descend);
            i += 2;
            match chars.get(i) {
                Some('[') => parse_bracket(chars, i, steps),
                Some(_) => parse_name(chars, i, steps),
                None => Err(err(i, "`..` must be followed by a name, `*` or `[..]`")),
            }
        }
        '.' => parse_name(chars, i + 1, steps),
        '[' => parse_bracket(chars, i, steps),
        _ => Err(err(i, "expected `.name`, `..name` or `[..]`")),
    }
}

fn parse_name(chars: &[char], start: usize, steps: &mut Vec<Step>) -> Result<usize, PatternError> {
    if chars.get(start) == Some(&'*') {
        steps.push(Step::AnyKey);
        return Ok(start + 1);
    }
    let mut end = start;
    while end < chars.len() && !matches!(chars[end], '.' | '[' | ']' | '\'' | '"' | '*') {
        if chars[end].is_whitespace() {
            return Err(err(
                end,
                "spaces are not allowed in a name; quote it: ['a name']",
            ));
        }
        end += 1;
    }
    if end == start {
        return Err(err(start, "expected a member name after `.`"));
    }
    steps.push(Step::Key(chars[start..end].iter().collect()));
    Ok(end)
}

fn parse_bracket(
    chars: &[char],
    start: usize,
    steps: &mut Vec<Step>,
) -> Result<usize, PatternError> {
    let i = start + 1;
    match chars.get(i) {
        Some('*') if chars.get(i + 1) == Some(&']') => {
            steps.push(Step::AnyIndex);
            Ok(i + 2)
        }
        Some(quote @ ('\'' | '"')) => parse_quoted(chars, i + 1, *quote, steps),
        Some(c) if c.is_ascii_digit() => {
            let mut end = i;
            while end < chars.len() && chars[end].is_ascii_digit() {
                end += 1;
            }
            if chars.get(end) != Some(&']') {
                return Err(err(end, "expected `]` after an array index"));
            }
            let digits: String = chars[i..end].iter().collect();
            let index = digits
                .parse()
                .map_err(|_| err(i, "array index too large"))?;
            steps.push(Step::Index(index));
            Ok(end + 1)
        }
        _ => Err(err(i, "expected `[*]`, `[<index>]` or `['name']`")),
    }
}

fn parse_quoted(
    chars: &[char],
    mut i: usize,
    quote: char,
    steps: &mut Vec<Step>,
) -> Result<usize, PatternError> {
    let mut name = String::new();
    loop {
        match chars.get(i) {
            None => return Err(err(i, "unterminated quoted name")),
            Some('\\') => {
                let escaped = chars.get(i + 1).ok_or_else(|| err(i, "dangling `\\`"))?;
                name.push(*escaped);
                i += 2;
            }
            Some(c) if *c == quote => break,
            Some(c) => {
                name.push(*c);
                i += 1;
            }
        }
    }
    if chars.get(i + 1) != Some(&']') {
        return Err(err(i + 1, "expected `]` after a quoted name"));
    }
    steps.push(Step::Key(name));
    Ok(i + 2)
}

fn matches_from(steps: &[Step], path: &[Segment]) -> bool {
    let Some((step, rest)) = steps.split_first() else {
        return path.is_empty();
    };
    if *step == Step::Descend {
        return (0..=path.len()).any(|skip| matches_from(rest, &path[skip..]));
    }
    let Some((segment, tail)) = path.split_first() else {
        return false;
    };
    let here = match (step, segment) {
        (Step::Key(want), Segment::Key(got)) => want == got,
        (Step::AnyKey, Segment::Key(_)) => true,
        (Step::Index(want), Segment::Index(got)) => want == got,
        (Step::AnyIndex, Segment::Index(_)) => true,
        _ => false,
    };
    here && matches_from(rest, tail)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(segments: &[Segment]) -> JsonPath {
        JsonPath(segments.to_vec())
    }

    fn key(k: &str) -> Segment {
        Segment::Key(k.to_owned())
    }

    #[test]
    fn renders_and_generalises() {
        let p = path(&[key("items"), Segment::Index(3), key("amt")]);
        assert_eq!(p.to_string(), "$.items[3].amt");
        assert_eq!(p.generalised(), "$.items[*].amt");
        let odd = path(&[key("a.b"), key("it's")]);
        assert_eq!(odd.to_string(), "$['a.b']['it\\'s']");
        assert!(Pattern::parse(&odd.to_string()).unwrap().matches(&odd));
    }

    #[test]
    fn wildcards_and_descent() {
        let p = path(&[key("items"), Segment::Index(3), key("upd")]);
        for yes in [
            "$.items[*].upd",
            "$..upd",
            "$.items[3].upd",
            "$.*[*].*",
            "$..[*].upd",
        ] {
            assert!(Pattern::parse(yes).unwrap().matches(&p), "{yes}");
        }
        for no in [
            "$.items[*]",
            "$.items[2].upd",
            "$..crt",
            "$.upd",
            "$.items.upd",
        ] {
            assert!(!Pattern::parse(no).unwrap().matches(&p), "{no}");
        }
        assert!(Pattern::parse("$.items").unwrap().covers(&p));
        assert!(Pattern::parse("$").unwrap().covers(&p));
        assert!(!Pattern::parse("$.lines").unwrap().covers(&p));
    }

    #[test]
    fn bad_patterns_say_where_and_why() {
        for (bad, at) in [
            ("items", 0),
            ("$.", 2),
            ("$..", 3),
            ("$[x]", 2),
            ("$.a b", 3),
            ("$['a", 4),
        ] {
            let e = Pattern::parse(bad).unwrap_err();
            assert_eq!(e.at, at, "{bad}: {e}");
        }
    }
}
