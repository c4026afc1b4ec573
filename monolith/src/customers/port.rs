//! What other modules may ask of `customers`.

use super::store;
use crate::error::AppResult;
use platform::db::AnyConnection;

/// A customer's billing details, as other modules see them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillingDetails {
    /// Name on the bill.
    pub name: String,
    /// Street line.
    pub line1: String,
    /// City.
    pub city: String,
    /// Postal code.
    pub zip: String,
    /// ISO 3166 alpha-2 country.
    pub country: String,
}

/// The customers port. Calls take the caller's connection so they join its
/// transaction.
pub trait CustomersPort: Send + Sync {
    /// The billing details of `customer_id`, or not found.
    fn billing(&self, conn: &mut AnyConnection, customer_id: i64) -> AppResult<BillingDetails>;
}

/// The in-process implementation.
pub struct InProcessCustomers;

impl CustomersPort for InProcessCustomers {
    fn billing(&self, conn: &mut AnyConnection, customer_id: i64) -> AppResult<BillingDetails> {
        let b = store::get(conn, customer_id)?.billing;
        Ok(BillingDetails {
            name: b.name,
            line1: b.line1,
            city: b.city,
            zip: b.zip,
            country: b.country,
        })
    }
}
