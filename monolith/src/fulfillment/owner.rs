//! One owner per order: with `orders.owner = "flags"` the orders route's
//! flags, asked with the order's id as the proxy asks them for
//! `/api/v1/orders/{id}` (the route's `record_param`), name the one side
//! that changes an order. The monolith refuses to capture, cancel, ship or
//! deliver an order the fulfillment service owns, with the legacy 409: the
//! service took the change (or will), and sync brings it here.

use crate::error::{AppError, AppResult};
use crate::payments::port::owner::{Owner, OwnerFlags};
use crate::settings::{OrdersOwner, OrdersSettings};
use anyhow::Context;

/// Who owns each order, as the settings say.
#[derive(Clone, Default)]
pub struct OrderOwners {
    /// `None`: every order is this module's.
    flags: Option<OwnerFlags>,
}

impl OrderOwners {
    /// Every order is this module's.
    pub fn monolith() -> Self {
        Self::default()
    }

    /// By `flags`, order by order.
    pub fn by_flags(flags: OwnerFlags) -> Self {
        Self { flags: Some(flags) }
    }

    /// As `settings` say (opens the flags for `owner = "flags"`).
    pub async fn from_settings(settings: &OrdersSettings) -> anyhow::Result<Self> {
        match settings.owner {
            OrdersOwner::Monolith => Ok(Self::monolith()),
            OrdersOwner::Flags => {
                let flags = settings
                    .flags
                    .open()
                    .await
                    .with_context(|| settings.flags.open_failed())?;
                Ok(Self::by_flags(OwnerFlags::new(
                    flags,
                    &settings.route,
                    &settings.canary_flag,
                    &settings.new_flag,
                )))
            }
            OrdersOwner::Service => anyhow::bail!(
                "orders.owner = \"service\" is not supported yet; use \"monolith\" or \"flags\""
            ),
        }
    }

    /// Refuses `action` (`capture`, `cancel`, …) on order `id` when the
    /// fulfillment service owns it.
    pub fn check(&self, id: i64, action: &str) -> AppResult<()> {
        match &self.flags {
            Some(flags) if flags.of_record(id) == Owner::Service => {
                Err(AppError::Conflict(format!(
                    "order {id} is owned by the fulfillment service (the orders route's flags): \
                 it cannot {action} here; send the request through the proxy"
                )))
            }
            _ => Ok(()),
        }
    }
}
