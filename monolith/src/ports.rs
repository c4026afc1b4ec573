//! The wiring of the modules' ports: which implementation each module gets of
//! the others. Every port is in-process, except that payments may also go to
//! the payment service, per call, by the payments route's flags (branch by
//! abstraction, `payments.owner = "flags"`), or always once the route is
//! retired (`payments.owner = "service"`), without touching callers' rules.

use crate::customers::port::{CustomersPort, InProcessCustomers};
use crate::payments::port::owner::OwnerFlags;
use crate::payments::port::remote::RemotePayments;
use crate::payments::port::{InProcessPayments, Payments};
use crate::settings::{PaymentsOwner, Settings};
use anyhow::Context;
use std::sync::Arc;
use std::time::Duration;

/// The ports a module may call.
#[derive(Clone)]
pub struct Ports {
    /// Customers and billing details.
    pub customers: Arc<dyn CustomersPort>,
    /// Charging, capturing and cancelling payments, on the owner's side.
    pub payments: Payments,
}

impl Ports {
    /// Every module in this process.
    pub fn in_process() -> Self {
        let customers: Arc<dyn CustomersPort> = Arc::new(InProcessCustomers);
        let payments = Payments::in_process(Arc::new(InProcessPayments::new(customers.clone())));
        Self {
            customers,
            payments,
        }
    }

    /// As `settings.payments` says: in-process, or by the route's flags
    /// (opens the flags: loads the file or starts polling the server).
    pub async fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        let ports = Self::in_process();
        let p = &settings.payments;
        if p.owner == PaymentsOwner::Monolith {
            return Ok(ports);
        }
        let remote = RemotePayments::new(
            &p.service_url,
            Duration::from_millis(p.timeout_ms),
            &settings.legacy.timezone,
        )?;
        let local = Arc::new(InProcessPayments::new(ports.customers.clone()));
        let payments = if p.owner == PaymentsOwner::Service {
            Payments::by_service(local, remote)
        } else {
            let flags = p
                .flags
                .open()
                .await
                .with_context(|| p.flags.open_failed())?;
            let owner = OwnerFlags::new(flags, &p.route, &p.canary_flag, &p.new_flag);
            let payments = Payments::by_flags(local, owner, remote);
            if p.sync {
                payments.with_handover()
            } else {
                payments
            }
        };
        Ok(Self {
            customers: ports.customers,
            payments,
        })
    }
}
