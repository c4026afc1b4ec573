//! The wiring of the modules' ports: which implementation each module gets of
//! the others. Today every port is in-process; branch by abstraction swaps one
//! here (e.g. payments through the extracted service) without touching callers.

use crate::customers::port::{CustomersPort, InProcessCustomers};
use crate::payments::port::{InProcessPayments, PaymentsPort};
use std::sync::Arc;

/// The ports a module may call.
#[derive(Clone)]
pub struct Ports {
    /// Customers and billing details.
    pub customers: Arc<dyn CustomersPort>,
    /// Charging, capturing and cancelling payments.
    pub payments: Arc<dyn PaymentsPort>,
}

impl Ports {
    /// Every module in this process.
    pub fn in_process() -> Self {
        let customers: Arc<dyn CustomersPort> = Arc::new(InProcessCustomers);
        let payments = Arc::new(InProcessPayments::new(customers.clone()));
        Self {
            customers,
            payments,
        }
    }
}
