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

pub(crate) fn build(routes: &str) -> Result<RouteTable, RouteError> {
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
            "[[routes]]\nname = \"customers\"\npatterns = [\"/api/v1/customers/{id}\"]\nretired = true\n"
                .to_owned(),
            "route `customers`: retired = true needs a `new` upstream",
        ),
        (
            PAYMENTS.replace(
                "[routes.flags]",
                "record_param = \"payment\"\n[routes.flags]",
            ),
            "route `payments`: record_param `payment` is not a parameter of any pattern",
        ),
        (
            PAYMENTS.replace("patterns = [", "methods = [\"FETCH\"]\npatterns = ["),
            "not an HTTP method",
        ),
        (
            format!(
                "{}{}",
                PAYMENTS.replace("[routes.flags]", "data = \"payments\"\n[routes.flags]"),
                r#"
[[routes]]
name = "invoices"
patterns = ["/api/v1/invoices/{id}"]
new = "http://127.0.0.1:9002"
data = "payments"
"#
            ),
            "route `invoices`: holds data `payments` like route `payments` but names other upstreams",
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

const REFUNDS: &str = r#"
[[routes]]
name = "refunds"
patterns = ["/api/v1/refunds/{id}"]
new = "http://127.0.0.1:9001"
"#;

#[test]
fn a_route_sets_its_own_resilience_and_shares_a_guard_only_alike() {
    let own = "[routes.resilience]\nmax_concurrent = 8\nretry_attempts = 0\n";
    let table = build(&format!("{PAYMENTS}{own}")).unwrap();
    let payments = &table.routes()[0];
    assert_eq!(payments.resilience.max_concurrent, 8);
    assert_eq!(payments.retry.attempts, 0);
    let defaults = settings("").resilience;
    assert_eq!(
        payments.resilience.breaker_window, defaults.breaker_window,
        "what the route leaves out is [resilience]'s"
    );

    // Two routes on one upstream: alike is fine, different is refused.
    assert!(build(&format!("{PAYMENTS}{own}{REFUNDS}{own}")).is_ok());
    let err = build(&format!("{PAYMENTS}{own}{REFUNDS}"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(
            "route `refunds`: shares its new upstream http://127.0.0.1:9001 with route `payments`"
        ),
        "{err}"
    );
    let err = build(&format!(
        "{PAYMENTS}[routes.resilience]\nbreaker_probes = 0\n"
    ))
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("route `payments`") && err.contains("breaker_probes"),
        "{err}"
    );
}

#[test]
fn routes_on_one_upstream_get_one_guard_kept_until_its_settings_change() {
    let resilience = Resilience::default();
    let mut first = build(&format!("{PAYMENTS}{REFUNDS}")).unwrap();
    first.guard_new_sides(&resilience);
    let guard = |t: &RouteTable, i: usize| t.routes()[i].guard.clone().unwrap();
    assert!(Arc::ptr_eq(&guard(&first, 0), &guard(&first, 1)));

    let mut reloaded = build(&format!("{PAYMENTS}{REFUNDS}")).unwrap();
    reloaded.guard_new_sides(&resilience);
    assert!(
        Arc::ptr_eq(&guard(&first, 0), &guard(&reloaded, 0)),
        "a reload keeps the guard"
    );

    let own = "[routes.resilience]\nmax_concurrent = 8\n";
    let mut changed = build(&format!("{PAYMENTS}{own}{REFUNDS}{own}")).unwrap();
    changed.guard_new_sides(&resilience);
    assert!(!Arc::ptr_eq(&guard(&first, 0), &guard(&changed, 0)));
    assert_eq!(guard(&changed, 1).snapshot().capacity, 8);
    assert_eq!(resilience.snapshot().len(), 1);
}
