//! [`Registry`]: the translators by route-group name, for the proxy to hold
//! in an `Arc` and look up per request.

use crate::exchange::RouteTranslator;
use crate::routes::{self, Ctx};
use crate::value::LegacyClock;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Translators by route-group name. Cheap to clone (the translators are
/// shared), `Send + Sync`.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    groups: BTreeMap<String, Arc<dyn RouteTranslator>>,
}

impl Registry {
    /// An empty registry, for a team's own translators.
    pub fn new() -> Self {
        Self::default()
    }

    /// The reference monolith's groups, rendering legacy times with `clock`:
    ///
    /// | group | legacy routes | served by |
    /// |---|---|---|
    /// | `payments` | `GET /api/v1/payments/{id}`, `GET /api/v1/orders/{id}/payments`, `GET`+`POST /api/v1/payments/{id}/refunds` | payment |
    /// | `invoices` | `GET /api/v1/invoices/{id}`, `GET /api/v1/orders/{id}/invoices` | payment |
    /// | `orders` | `GET /api/v1/orders/{id}`, `GET /api/v1/customers/{id}/orders`, `POST /api/v1/orders`, `POST /api/v1/orders/{id}/capture`, `POST /api/v1/orders/{id}/cancel` (the last three through the order saga) | fulfillment |
    /// | `shipments` | `POST /api/v1/orders/{id}/shipments`, `GET /api/v1/shipments/{id}`, `POST /api/v1/shipments/{id}/deliver` | fulfillment |
    /// | `inventory` | `PUT`+`GET /api/v1/inventory/{sku}`, `POST /api/v1/inventory/{sku}/adjust` | fulfillment |
    pub fn standard(clock: LegacyClock) -> Self {
        let ctx = Ctx { clock };
        let mut registry = Self::new();
        for table in [
            routes::payments::table(ctx),
            routes::invoices::table(ctx),
            routes::orders::table(ctx),
            routes::shipments::table(ctx),
            routes::inventory::table(ctx),
        ] {
            registry.register(Arc::new(table));
        }
        registry
    }

    /// Adds (or replaces) the translator for its group; returns the one it
    /// replaced.
    pub fn register(
        &mut self,
        translator: Arc<dyn RouteTranslator>,
    ) -> Option<Arc<dyn RouteTranslator>> {
        self.groups
            .insert(translator.group().to_owned(), translator)
    }

    /// The translator of `group`.
    pub fn get(&self, group: &str) -> Option<Arc<dyn RouteTranslator>> {
        self.groups.get(group).cloned()
    }

    /// The registered group names, sorted.
    pub fn groups(&self) -> impl Iterator<Item = &str> {
        self.groups.keys().map(String::as_str)
    }

    /// The group that translates `method path`, if any (for a proxy that
    /// wants to check its route table at start-up).
    pub fn group_for(&self, method: crate::Method, path: &str) -> Option<&str> {
        self.groups
            .iter()
            .find(|(_, t)| t.handles(method, path))
            .map(|(name, _)| name.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Method;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn the_standard_groups_are_registered_and_shareable() {
        assert_send_sync::<Registry>();
        assert_send_sync::<Arc<dyn RouteTranslator>>();
        assert_send_sync::<crate::Exchange>();
        let r = Registry::standard(LegacyClock::default());
        let names: Vec<_> = r.groups().collect();
        assert_eq!(
            names,
            ["inventory", "invoices", "orders", "payments", "shipments"]
        );
        assert_eq!(
            r.group_for(Method::Get, "/api/v1/payments/7"),
            Some("payments")
        );
        assert_eq!(
            r.group_for(Method::Get, "/api/v1/orders/7/invoices"),
            Some("invoices")
        );
        assert_eq!(
            r.group_for(Method::Post, "/api/v1/orders/7/shipments"),
            Some("shipments")
        );
        assert_eq!(r.group_for(Method::Get, "/api/v1/customers/7"), None);
        assert_eq!(r.get("invoices").unwrap().service(), "payment");
        assert_eq!(r.get("inventory").unwrap().service(), "fulfillment");
    }
}
