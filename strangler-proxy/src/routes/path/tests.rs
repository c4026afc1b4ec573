use super::*;
use crate::routes::RouteTable;
use proptest::prelude::*;

#[test]
fn normal_paths_are_borrowed() {
    for path in [
        "/",
        "/api/v1/payments/1",
        "/api/v1/payments/1/",
        "/a.b/c..d/.e/f.",
        "/~user:x@y",
        "/a%20b/%2B/%C3%A9/%25",
        "*",
    ] {
        assert!(
            matches!(normalize(path), Ok(Cow::Borrowed(p)) if p == path),
            "{path}"
        );
    }
}

#[test]
fn spellings_of_one_path_become_that_path() {
    for (sent, normal) in [
        ("/api/v1/%70ayments/1", "/api/v1/payments/1"),
        ("/api/v1//payments/1", "/api/v1/payments/1"),
        ("//api///v1/payments//1//", "/api/v1/payments/1/"),
        ("/api/v1/x/../payments/1", "/api/v1/payments/1"),
        ("/api/v1/./payments/./1", "/api/v1/payments/1"),
        ("/api/v1/x/%2e%2E/payments/1", "/api/v1/payments/1"),
        ("/api/v1/payments/1/.", "/api/v1/payments/1/"),
        ("/api/v1/payments/1/..", "/api/v1/payments/"),
        ("/../../api", "/api"),
        ("/..", "/"),
        ("/%41%7e%3a%40", "/A~:@"),
        // Kept encoded, hex upper-cased: not a character a pattern has.
        ("/a%20b/%2b/%c3%a9/%25", "/a%20b/%2B/%C3%A9/%25"),
        ("/caf\u{e9}/%2e/x", "/caf\u{e9}/x"),
    ] {
        assert_eq!(normalize(sent).as_deref(), Ok(normal), "{sent}");
    }
}

#[test]
fn ambiguous_paths_are_refused() {
    for (sent, refused) in [
        ("/api/v1/payments%2F1", PathError::EncodedSlash),
        ("/api/v1/payments%2f1", PathError::EncodedSlash),
        ("/api/v1/payments%5C1", PathError::EncodedSlash),
        ("/api/v1\\payments/1", PathError::Backslash),
        ("/api/v1/payments/1%00", PathError::Nul),
        ("/api/v1/payments/%zz", PathError::BadEncoding),
        ("/api/v1/payments/%4", PathError::BadEncoding),
        ("/api/v1/payments/%", PathError::BadEncoding),
    ] {
        assert_eq!(normalize(sent), Err(refused), "{sent}");
    }
}

/// The example route table's patterns, and one with every character a
/// literal may hold and a catch-all.
const ROUTES: &str = r#"
[[routes]]
name = "payments"
patterns = ["/api/v1/payments/{id}", "/api/v1/payments/{id}/refunds", "/api/v1/orders/{id}/payments"]
[[routes]]
name = "invoices"
patterns = ["/api/v1/invoices/{id}", "/api/v1/orders/{id}/invoices"]
[[routes]]
name = "inventory"
patterns = ["/api/v1/inventory/{sku}", "/api/v1/inventory/{sku}/adjust"]
[[routes]]
name = "files"
patterns = ["/static/a-b.c_d~e:f@g/**"]
"#;

static TABLE: std::sync::LazyLock<RouteTable> =
    std::sync::LazyLock::new(|| crate::routes::tests::build(ROUTES).unwrap());

/// Which routes the monolith's router (actix-web) would give `path`: it
/// decodes every percent-encoding but `%`, `/` and `+` (`actix_router::Url`)
/// and matches the decoded path against each pattern.
fn monolith_routes(table: &RouteTable, path: &str) -> Vec<String> {
    let quoter = actix_router::Quoter::new(b"", b"%/+");
    let decoded = quoter.requote(path.as_bytes()).map_or_else(
        || path.to_owned(),
        |bytes| String::from_utf8_lossy(&bytes).into_owned(),
    );
    MONOLITH
        .iter()
        .zip(table.routes())
        .filter(|(defs, _)| defs.iter().any(|def| def.is_match(&decoded)))
        .map(|(_, route)| route.name.clone())
        .collect()
}

/// Each route's patterns as actix-web's router reads them (`**` as a
/// regex tail of zero or more segments).
static MONOLITH: std::sync::LazyLock<Vec<Vec<actix_router::ResourceDef>>> =
    std::sync::LazyLock::new(|| {
        TABLE
            .routes()
            .iter()
            .map(|route| {
                let defs = route.patterns.iter().map(|pattern| {
                    let actix = match pattern.strip_suffix("/**") {
                        Some(prefix) => format!("{prefix}{{tail:(/.*)?}}"),
                        None => pattern.clone(),
                    };
                    actix_router::ResourceDef::new(actix)
                });
                defs.collect()
            })
            .collect()
    });

/// A path segment: a piece of a pattern, a dot segment, an empty one, or
/// something a client might sneak in; each character of it percent-encoded
/// when `encode` says so.
fn segment() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "api",
        "v1",
        "payments",
        "orders",
        "invoices",
        "inventory",
        "refunds",
        "adjust",
        "static",
        "a-b.c_d~e:f@g",
        "1",
        "42",
        "x",
        ".",
        "..",
        "",
        "%2F",
        "%5c",
        "%00",
        "%zz",
        "%",
        "%25",
        "+",
        "%2B",
        "\u{e9}",
        "%C3%A9",
        "a b",
        "?",
    ]);
    (pieces, any::<u32>(), any::<bool>()).prop_map(|(piece, encode, lower)| {
        let mut out = String::new();
        for (i, c) in piece.chars().enumerate() {
            let encoded = c.is_ascii() && c != '%' && encode & (1 << (i % 32)) != 0;
            match (encoded, lower) {
                (true, true) => out.push_str(&format!("%{:02x}", c as u32)),
                (true, false) => out.push_str(&format!("%{:02X}", c as u32)),
                (false, _) => out.push(c),
            }
        }
        out
    })
}

fn path() -> impl Strategy<Value = String> {
    (prop::collection::vec(segment(), 0..8), any::<bool>()).prop_map(|(segments, trailing)| {
        let mut path = format!("/{}", segments.join("/"));
        if trailing {
            path.push('/');
        }
        path
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    /// The bypass closed: whatever the spelling, the route the proxy chose
    /// for a path is the route the monolith's router sees in the path the
    /// proxy forwards (or the path is refused and nothing is forwarded).
    #[test]
    fn the_route_chosen_is_the_route_the_monolith_sees(path in path()) {
        let table = &*TABLE;
        if let Ok(normal) = normalize(&path) {
            let chosen = table
                .find(&http::Method::GET, &normal)
                .map(|(route, _)| route.name.clone());
            let monolith = monolith_routes(table, &normal);
            prop_assert!(monolith.len() <= 1, "{path} -> {normal}: {monolith:?}");
            prop_assert_eq!(chosen, monolith.first().cloned(), "{} -> {}", path, normal);
        }
    }

    /// The normal form is normal: normalising it again changes nothing and
    /// borrows.
    #[test]
    fn normalising_is_idempotent(path in path()) {
        if let Ok(normal) = normalize(&path) {
            prop_assert!(matches!(normalize(&normal), Ok(Cow::Borrowed(again)) if again == normal));
        }
    }

    /// A path that reaches a route through the monolith's decoding reaches
    /// the same route through the proxy's: decoding first (as the monolith
    /// does) and normalising gives the proxy's normal form's route.
    #[test]
    fn every_spelling_of_a_route_is_claimed(path in path()) {
        let table = &*TABLE;
        let monolith = monolith_routes(table, &path);
        if let (Some(route), Ok(normal)) = (monolith.first(), normalize(&path)) {
            let chosen = table.find(&http::Method::GET, &normal).map(|(r, _)| r.name.clone());
            // Only a dot segment the monolith takes as a parameter value
            // (`/payments/.`) leaves the route; the proxy never forwards it.
            let dots = path.split('/').any(|s| {
                let s = s.to_ascii_lowercase().replace("%2e", ".");
                s == "." || s == ".."
            });
            prop_assert!(chosen.as_ref() == Some(route) || dots, "{} -> {} ({:?})", path, normal, chosen);
        }
    }
}
