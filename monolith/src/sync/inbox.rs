//! The monolith's one inbox (`POST /inbox`, or the NATS consumer): every
//! module's handlers for the services' changes. Once the payment service
//! owns every payment (`payments.owner = "service"`), its changes are not
//! applied (the inbox acknowledges and ignores them): the tables they would
//! update are archived and dropped. Fulfillment's changes are applied
//! whatever the payments owner.

use crate::settings::{PaymentsOwner, Settings};
use crate::{fulfillment, payments};
use platform::db::Db;
use platform::inbox::Inbox;

/// The inbox with the handlers `settings` call for.
pub fn inbox(db: Db, settings: &Settings) -> Inbox {
    let inbox = fulfillment::sync::apply::handlers(Inbox::new(db));
    match settings.payments.owner {
        PaymentsOwner::Service => inbox,
        PaymentsOwner::Monolith | PaymentsOwner::Flags => payments::sync::apply::handlers(inbox),
    }
}
