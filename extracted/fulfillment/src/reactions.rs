//! What the service does when another service's event arrives (choreography:
//! no one orchestrates, each service reacts). Events come through the
//! `platform::inbox` (`POST /inbox`, or the NATS consumer), which applies each
//! one once, in the producer's trace, in one transaction with the reaction.
//!
//! | event | reaction |
//! |---|---|
//! | `payment.refunded` | when the payment is now refunded in full, the order it paid for (by legacy id) is cancelled if not yet shipped: pending or confirmed → cancelled, stock released, `order.cancelled` recorded. A shipped or delivered order is left as it is (logged), as is an order after a partial refund, and an order this service does not hold. |
//!
//! The payment's payload is `{event, payment}` as the payment service records
//! it; only the fields read here are required.

use crate::actions;
use crate::store::orders;
use fulfillment_api::{CancelOrder, OrderState};
use platform::Problem;
use platform::db::{AnyConnection, Db};
use platform::inbox::Inbox;
use platform::outbox::Envelope;
use serde::Deserialize;

/// The event type that cancels an unshipped order.
pub(crate) const PAYMENT_REFUNDED: &str = "payment.refunded";

/// The service's inbox with every reaction registered.
pub(crate) fn inbox(db: Db) -> Inbox {
    Inbox::new(db).on(PAYMENT_REFUNDED, payment_refunded)
}

#[derive(Debug, Deserialize)]
struct Refunded {
    event: RefundFacts,
    payment: PaymentFacts,
}

#[derive(Debug, Deserialize)]
struct RefundFacts {
    refund_legacy_id: i64,
    reason: String,
}

#[derive(Debug, Deserialize)]
struct PaymentFacts {
    legacy_id: i64,
    order_legacy_id: i64,
    /// `refunded` once the whole capture went back.
    status: String,
}

fn payment_refunded(conn: &mut AnyConnection, event: &Envelope) -> Result<(), Problem> {
    let refunded: Refunded = serde_json::from_value(event.payload.clone()).map_err(|e| {
        Problem::unprocessable(format!(
            "a payment.refunded payload must carry event and payment: {e}"
        ))
    })?;
    let (payment, order_legacy_id) = (refunded.payment.legacy_id, refunded.payment.order_legacy_id);
    if refunded.payment.status != "refunded" {
        tracing::info!(
            payment,
            order_legacy_id,
            "partial refund: the order is kept"
        );
        return Ok(());
    }
    let Some(id) = orders::id_by_legacy_id(conn, order_legacy_id)? else {
        tracing::info!(
            payment,
            order_legacy_id,
            "refund for an order this service does not hold"
        );
        return Ok(());
    };
    let order = orders::get(conn, &id)?;
    match order.state {
        OrderState::Pending | OrderState::Confirmed => {
            let reason = format!(
                "payment {payment} refunded in full (refund {}: {})",
                refunded.event.refund_legacy_id, refunded.event.reason
            );
            // Conditional like every transition: an order shipped meanwhile
            // makes this fail, the inbox rolls back, and the retry leaves it.
            actions::orders::cancel(
                conn,
                order.id,
                &CancelOrder {
                    reason: Some(reason),
                },
            )?;
            tracing::info!(payment, order_legacy_id, order = %order.id, "order cancelled: its payment was refunded");
        }
        OrderState::Shipped | OrderState::Delivered => {
            tracing::warn!(
                payment,
                order_legacy_id,
                order = %order.id,
                state = order.state.as_str(),
                "payment refunded after the order shipped: left as is"
            );
        }
        OrderState::Cancelled => {
            tracing::info!(payment, order_legacy_id, "order already cancelled");
        }
    }
    Ok(())
}
