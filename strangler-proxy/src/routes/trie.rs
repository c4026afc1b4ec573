//! Deterministic matching: a segment trie where, at every segment, a literal
//! beats a parameter and a parameter beats a trailing `**` ("most specific
//! wins"); among routes with the same shape, the higher priority wins. Two
//! routes with the same shape, overlapping methods and equal priority are an
//! ambiguity, refused when the table is built. Matching borrows the path and
//! keeps captured parameters on the stack. Literal children are found with Fx
//! hashing: only the route table's own literals are ever inserted, so a
//! client's path cannot degrade the map, and SipHash would cost more than the
//! rest of the match.

use super::methods::Methods;
use super::pattern::{MAX_PARAMS, Pattern, Segment};
use http::Method;
use rustc_hash::FxHashMap;

/// One route's claim at a trie node.
#[derive(Debug, Clone)]
struct Claim {
    route: usize,
    methods: Methods,
    priority: i32,
    pattern: String,
    params: Vec<String>,
}

#[derive(Debug, Default)]
struct Node {
    literals: FxHashMap<Box<str>, Node>,
    param: Option<Box<Node>>,
    /// Claims of patterns ending here.
    exact: Vec<Claim>,
    /// Claims of patterns ending in `**` here.
    rest: Vec<Claim>,
}

/// Parameters captured by a match.
#[derive(Debug, Clone, Copy, Default)]
pub struct Params<'a> {
    values: [&'a str; MAX_PARAMS],
    names: &'a [String],
    len: usize,
}

impl<'a> Params<'a> {
    /// The value of parameter `name`.
    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.names
            .iter()
            .take(self.len)
            .position(|n| n == name)
            .map(|i| self.values[i])
    }
}

/// A route found for a request.
#[derive(Debug, Clone, Copy)]
pub struct Found<'a> {
    /// Index of the route in the table.
    pub route: usize,
    /// The pattern that matched.
    pub pattern: &'a str,
    /// Captured parameters.
    pub params: Params<'a>,
}

/// The matcher.
#[derive(Debug, Default)]
pub struct Trie {
    root: Node,
}

impl Trie {
    /// Adds `pattern` for route `route`; `Err` names the route it is ambiguous with.
    pub fn insert(
        &mut self,
        route: usize,
        pattern: &Pattern,
        methods: Methods,
        priority: i32,
    ) -> Result<(), (usize, String)> {
        let mut node = &mut self.root;
        let mut catch_all = false;
        for segment in pattern.segments() {
            node = match segment {
                Segment::Literal(text) => node.literals.entry(text.as_str().into()).or_default(),
                Segment::Param(_) => node.param.get_or_insert_with(Box::default),
                Segment::CatchAll => {
                    catch_all = true;
                    break;
                }
            };
        }
        let claims = if catch_all {
            &mut node.rest
        } else {
            &mut node.exact
        };
        if let Some(other) = claims
            .iter()
            .find(|c| c.priority == priority && c.methods.overlaps(methods))
        {
            return Err((other.route, other.pattern.clone()));
        }
        claims.push(Claim {
            route,
            methods,
            priority,
            pattern: pattern.as_str().to_owned(),
            params: pattern.params().map(str::to_owned).collect(),
        });
        claims.sort_by_key(|c| std::cmp::Reverse(c.priority));
        Ok(())
    }

    /// The most specific route claiming `method path`.
    pub fn find<'a>(&'a self, method: &Method, path: &'a str) -> Option<Found<'a>> {
        let rest = path.strip_prefix('/')?;
        let mut captured = [""; MAX_PARAMS];
        find_in(&self.root, method, rest, &mut captured, 0)
    }
}

fn pick<'a>(
    claims: &'a [Claim],
    method: &Method,
    captured: &[&'a str; MAX_PARAMS],
    len: usize,
) -> Option<Found<'a>> {
    let claim = claims.iter().find(|c| c.methods.contains(method))?;
    Some(Found {
        route: claim.route,
        pattern: &claim.pattern,
        params: Params {
            values: *captured,
            names: &claim.params,
            len,
        },
    })
}

/// `rest` is the remaining path without its leading `/`; `depth` counts
/// captured parameters.
fn find_in<'a>(
    node: &'a Node,
    method: &Method,
    rest: &'a str,
    captured: &mut [&'a str; MAX_PARAMS],
    depth: usize,
) -> Option<Found<'a>> {
    let (segment, tail) = match rest.split_once('/') {
        Some((segment, tail)) => (segment, Some(tail)),
        None => (rest, None),
    };
    let at_end = tail.is_none() && segment.is_empty();
    if !at_end {
        let descend = |child: &'a Node, captured: &mut [&'a str; MAX_PARAMS], depth| match tail {
            Some(next) if !next.is_empty() => find_in(child, method, next, captured, depth),
            // A trailing slash leaves an empty segment only a `**` takes.
            Some(_) => pick(&child.rest, method, captured, depth),
            None => pick(&child.exact, method, captured, depth)
                .or_else(|| pick(&child.rest, method, captured, depth)),
        };
        if let Some(found) = node
            .literals
            .get(segment)
            .and_then(|child| descend(child, captured, depth))
        {
            return Some(found);
        }
        if let Some(child) = node
            .param
            .as_deref()
            .filter(|_| !segment.is_empty() && depth < MAX_PARAMS)
        {
            captured[depth] = segment;
            if let Some(found) = descend(child, captured, depth + 1) {
                return Some(found);
            }
        }
    } else if let Some(found) = pick(&node.exact, method, captured, depth) {
        return Some(found);
    }
    pick(&node.rest, method, captured, depth)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trie(routes: &[(&str, &[&str], i32)]) -> Trie {
        let mut t = Trie::default();
        for (i, (pattern, methods, priority)) in routes.iter().enumerate() {
            let methods: Vec<String> = methods.iter().map(|m| (*m).to_owned()).collect();
            t.insert(
                i,
                &Pattern::parse(pattern).unwrap(),
                Methods::parse(&methods).unwrap(),
                *priority,
            )
            .unwrap();
        }
        t
    }

    fn route(t: &Trie, method: Method, path: &str) -> Option<usize> {
        t.find(&method, path).map(|f| f.route)
    }

    #[test]
    fn most_specific_wins() {
        let t = trie(&[
            ("/api/v1/**", &[], 0),
            ("/api/v1/payments/{id}", &["GET"], 0),
            ("/api/v1/payments/export", &[], 0),
            ("/api/v1/orders/{id}/payments", &[], 0),
        ]);
        assert_eq!(route(&t, Method::GET, "/api/v1/payments/7"), Some(1));
        assert_eq!(route(&t, Method::GET, "/api/v1/payments/export"), Some(2));
        assert_eq!(
            route(&t, Method::POST, "/api/v1/payments/7"),
            Some(0),
            "method mismatch falls back"
        );
        assert_eq!(route(&t, Method::GET, "/api/v1/orders/9/payments"), Some(3));
        assert_eq!(route(&t, Method::GET, "/api/v1/orders/9"), Some(0));
        assert_eq!(
            route(&t, Method::GET, "/api/v1"),
            Some(0),
            "** matches zero segments"
        );
        assert_eq!(route(&t, Method::GET, "/api/v2/x"), None);
        assert_eq!(
            route(&t, Method::GET, "/api/v1/payments/"),
            Some(0),
            "an empty segment is no parameter"
        );
        let found = t.find(&Method::GET, "/api/v1/orders/9/payments").unwrap();
        assert_eq!(found.params.get("id"), Some("9"));
        assert_eq!(found.pattern, "/api/v1/orders/{id}/payments");
    }

    #[test]
    fn priority_breaks_ties_and_equal_priority_is_ambiguous() {
        let t = trie(&[("/a/{x}", &[], 0), ("/a/{y}", &[], 5)]);
        assert_eq!(route(&t, Method::GET, "/a/1"), Some(1));
        let mut t = Trie::default();
        t.insert(0, &Pattern::parse("/a/{x}").unwrap(), Methods::ALL, 0)
            .unwrap();
        let clash = t
            .insert(1, &Pattern::parse("/a/{y}").unwrap(), Methods::ALL, 0)
            .unwrap_err();
        assert_eq!(clash, (0, "/a/{x}".to_owned()));
        // Same shape, disjoint methods: no ambiguity.
        t.insert(
            2,
            &Pattern::parse("/b").unwrap(),
            Methods::parse(&["GET".into()]).unwrap(),
            0,
        )
        .unwrap();
        t.insert(
            3,
            &Pattern::parse("/b").unwrap(),
            Methods::parse(&["POST".into()]).unwrap(),
            0,
        )
        .unwrap();
    }
}
