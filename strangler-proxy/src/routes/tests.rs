use super::*;
use crate::settings::Settings;

fn settings(routes: &str) -> Settings {
    let defaults =
        crate::settings::DEFAULTS.replace("token = \"\"", "token = \"0123456789abcdef\"");
    platform::settings::load(
        &format!("{defaults}\n{routes}"),
        None,
        "STRANGLER_TEST_NONE",
    )
    .unwrap()
}

fn build(routes: &str) -> Result<RouteTable, RouteError> {
    RouteTable::build(
        &settings(routes),
        &Registry::standard(acl::LegacyClock::default()),
        &Stats::new().unwrap(),
    )
}

const PAYMENTS: &str = r#"
[[routes]]
name = "payments"
patterns = ["/api/v1/payments/{id}", "/api/v1/payments/{id}/refunds", "/api/v1/orders/{id}/payments"]
new = "http://127.0.0.1:9001"
translator = "payments"
[routes.flags]
canary = "payments.canary"
"#;

#[test]
fn a_valid_table_matches_and_leaves_the_rest_to_legacy() {
    let table = build(PAYMENTS).unwrap();
    let (route, found) = table
        .find(&http::Method::GET, "/api/v1/orders/5/payments")
        .unwrap();
    assert_eq!(route.name, "payments");
    assert_eq!(found.params.get("id"), Some("5"));
    assert!(
        table
            .find(&http::Method::GET, "/api/v1/customers/5")
            .is_none()
    );
    assert_eq!(table.legacy().to_string(), "http://127.0.0.1:8080");
}

#[test]
fn every_mistake_names_its_route() {
    let cases = [
        (
            PAYMENTS.replace("translator = \"payments\"", "translator = \"paymints\""),
            "route `payments`: unknown translator `paymints`",
        ),
        (
            PAYMENTS.replace("/api/v1/payments/{id}\",", "api/v1/payments/{id}\","),
            "must start with `/`",
        ),
        (
            PAYMENTS.replace("http://127.0.0.1:9001", "127.0.0.1:9001"),
            "route `payments`: new:",
        ),
        (
            PAYMENTS.replace("new = \"http://127.0.0.1:9001\"\n", ""),
            "no `new` upstream",
        ),
        (
            format!(
                "{PAYMENTS}{}",
                PAYMENTS.replace("name = \"payments\"", "name = \"other\"")
            ),
            "route `other`: `/api/v1/payments/{id}` overlaps `/api/v1/payments/{id}` of route `payments`",
        ),
        (format!("{PAYMENTS}{PAYMENTS}"), "the name is used twice"),
        (
            PAYMENTS.replace("patterns = [", "methods = [\"FETCH\"]\npatterns = ["),
            "not an HTTP method",
        ),
    ];
    for (routes, expected) in cases {
        let err = build(&routes).unwrap_err().to_string();
        assert!(err.contains(expected), "{err}\n  expected: {expected}");
    }
}

#[test]
fn priority_resolves_an_overlap() {
    let other = PAYMENTS
        .replace("name = \"payments\"", "name = \"other\"")
        .replace("[[routes]]", "[[routes]]\npriority = 1");
    let table = build(&format!("{PAYMENTS}{other}")).unwrap();
    assert_eq!(
        table
            .find(&http::Method::GET, "/api/v1/payments/1")
            .unwrap()
            .0
            .name,
        "other"
    );
}
