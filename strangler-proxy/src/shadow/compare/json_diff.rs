//! Field-by-field JSON difference: objects by key, arrays by position or by
//! a configured key field, numbers within the numeric tolerance. Produces raw
//! differences only; classifying and redacting them is the engine's job.

use std::collections::{BTreeSet, HashMap, VecDeque};

use serde_json::{Number, Value};

use super::pattern::{JsonPath, Segment};
use super::rules::{NumericTolerance, Rules};

/// One place where the two documents disagree, before classification.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RawDifference<'a> {
    pub(crate) path: JsonPath,
    /// `None`: the primary lacks this field or element.
    pub(crate) primary: Option<&'a Value>,
    /// `None`: the candidate lacks this field or element.
    pub(crate) candidate: Option<&'a Value>,
}

/// All differences between two documents, in document order.
pub(crate) fn diff<'a>(
    primary: &'a Value,
    candidate: &'a Value,
    rules: &Rules,
) -> Vec<RawDifference<'a>> {
    let mut out = Vec::new();
    walk(JsonPath::root(), primary, candidate, rules, &mut out);
    out
}

fn push<'a>(
    out: &mut Vec<RawDifference<'a>>,
    path: JsonPath,
    p: Option<&'a Value>,
    c: Option<&'a Value>,
) {
    out.push(RawDifference {
        path,
        primary: p,
        candidate: c,
    });
}

fn walk<'a>(
    path: JsonPath,
    p: &'a Value,
    c: &'a Value,
    rules: &Rules,
    out: &mut Vec<RawDifference<'a>>,
) {
    match (p, c) {
        (Value::Object(pm), Value::Object(cm)) => {
            let keys: BTreeSet<&String> = pm.keys().chain(cm.keys()).collect();
            for key in keys {
                let child = path.child(Segment::Key(key.clone()));
                match (pm.get(key), cm.get(key)) {
                    (Some(pv), Some(cv)) => walk(child, pv, cv, rules, out),
                    (pv, cv) => push(out, child, pv, cv),
                }
            }
        }
        (Value::Array(pa), Value::Array(ca)) => match rules.array_key(&path) {
            Some(key) => by_key(&path, pa, ca, key, rules, out),
            None => by_position(&path, pa, ca, rules, out),
        },
        (Value::Number(pn), Value::Number(cn)) => {
            if !numbers_equal(pn, cn, &rules.tolerance()) {
                push(out, path, Some(p), Some(c));
            }
        }
        _ => {
            if p != c {
                push(out, path, Some(p), Some(c));
            }
        }
    }
}

fn by_position<'a>(
    path: &JsonPath,
    pa: &'a [Value],
    ca: &'a [Value],
    rules: &Rules,
    out: &mut Vec<RawDifference<'a>>,
) {
    for i in 0..pa.len().max(ca.len()) {
        let child = path.child(Segment::Index(i));
        match (pa.get(i), ca.get(i)) {
            (Some(pv), Some(cv)) => walk(child, pv, cv, rules, out),
            (pv, cv) => push(out, child, pv, cv),
        }
    }
}

/// Pairs elements with equal key values, in order of appearance (so
/// duplicate keys pair first-with-first, and elements without the key field
/// pair among themselves by position). A paired element is reported at the
/// primary's index; an unpaired candidate element at the candidate's index.
fn by_key<'a>(
    path: &JsonPath,
    pa: &'a [Value],
    ca: &'a [Value],
    key: &str,
    rules: &Rules,
    out: &mut Vec<RawDifference<'a>>,
) {
    let key_of = |v: &Value| v.get(key).map(Value::to_string);
    let mut waiting: HashMap<Option<String>, VecDeque<usize>> = HashMap::new();
    for (i, cv) in ca.iter().enumerate() {
        waiting.entry(key_of(cv)).or_default().push_back(i);
    }
    let mut paired = vec![false; ca.len()];
    for (i, pv) in pa.iter().enumerate() {
        let child = path.child(Segment::Index(i));
        match waiting.get_mut(&key_of(pv)).and_then(VecDeque::pop_front) {
            Some(j) => {
                paired[j] = true;
                walk(child, pv, &ca[j], rules, out);
            }
            None => push(out, child, Some(pv), None),
        }
    }
    for (j, cv) in ca.iter().enumerate().filter(|(j, _)| !paired[*j]) {
        push(out, path.child(Segment::Index(j)), None, Some(cv));
    }
}

fn as_integer(n: &Number) -> Option<i128> {
    n.as_i64()
        .map(i128::from)
        .or_else(|| n.as_u64().map(i128::from))
}

/// Numbers compare by value (`1` equals `1.0`); integers exactly unless a
/// tolerance is set, so large ids beyond f64 precision are not confused.
fn numbers_equal(a: &Number, b: &Number, tolerance: &NumericTolerance) -> bool {
    if let (Some(x), Some(y)) = (as_integer(a), as_integer(b)) {
        if x == y {
            return true;
        }
        if tolerance.absolute == 0.0 && tolerance.relative == 0.0 {
            return false;
        }
    }
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => tolerance.accepts(x, y),
        _ => false,
    }
}
