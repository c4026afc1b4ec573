//! Which side owns a record for one call: the question the proxy asks for
//! a route, asked here with the same flags, the same key and the same
//! context, so the monolith's own flows and the proxy always name the same
//! owner (docs/data.md, "Who owns what in each phase"). The payments port
//! asks it of the payments route; the fulfillment module of the orders
//! route, for its orders.

use std::collections::HashMap;
use strangler_flags::{FlagContext, Flags, OwnersWatch};

/// Where a call on a record goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// The in-process payments module.
    Monolith,
    /// The service that took the route over.
    Service,
}

/// A route's flags, as the proxy reads them.
#[derive(Clone)]
pub struct OwnerFlags {
    flags: Flags,
    route: String,
    canary: String,
    new: String,
}

impl OwnerFlags {
    /// `canary` and `new` of route `route`, read from `flags`.
    pub fn new(flags: Flags, route: &str, canary: &str, new: &str) -> Self {
        Self {
            flags,
            route: route.to_owned(),
            canary: canary.to_owned(),
            new: new.to_owned(),
        }
    }

    /// The flags read.
    pub fn flags(&self) -> &Flags {
        &self.flags
    }

    /// A watch of the owner flags (`canary`, `new`) from their current
    /// definitions: which ways records moved at a change.
    pub fn watch(&self) -> OwnersWatch {
        let names = [&self.canary, &self.new]
            .into_iter()
            .filter(|f| !f.is_empty())
            .cloned()
            .collect();
        OwnersWatch::new(&self.flags, names)
    }

    /// The owner of an existing record (a payment, an order): decided by its
    /// legacy id, as the proxy decides `/api/v1/payments/{id}` or
    /// `/api/v1/orders/{id}` (the route's `record_param`).
    pub fn of_record(&self, id: i64) -> Owner {
        self.decide(&id.to_string())
    }

    /// Where a new record of `customer_id` is created: decided by the
    /// caller, as the proxy decides a request without a record key.
    pub fn for_customer(&self, customer_id: i64) -> Owner {
        self.decide(&customer_id.to_string())
    }

    /// `new` on, or else `canary` on for this key: the service; otherwise
    /// (`legacy`, `shadow`) the monolith.
    fn decide(&self, key: &str) -> Owner {
        let ctx = FlagContext {
            user_id: Some(key.to_owned()),
            properties: HashMap::from([("route".to_owned(), self.route.clone())]),
            ..FlagContext::default()
        };
        let on = |flag: &str| !flag.is_empty() && self.flags.is_enabled(flag, &ctx);
        if on(&self.new) || on(&self.canary) {
            Owner::Service
        } else {
            Owner::Monolith
        }
    }
}
