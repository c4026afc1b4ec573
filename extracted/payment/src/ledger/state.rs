//! A payment as its events make it ([`PaymentState::replay`]), and the rules
//! that decide which event a command may add (no I/O here).

use super::events::{Opened, PaymentEvent};
use chrono::{DateTime, Utc};
use payment_api::{Payment, PaymentStatus};
use platform::Problem;
use uuid::Uuid;
use v2_common::Money;

/// A payment folded from its stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentState {
    /// The facts it started with.
    pub opened: Opened,
    /// Where it stands.
    pub status: PaymentStatus,
    /// Captured, minor units.
    pub captured_minor: i64,
    /// Refunded, minor units.
    pub refunded_minor: i64,
    /// Why it failed.
    pub failure_reason: Option<String>,
    /// Events in the stream.
    pub version: i64,
    /// When the last event happened.
    pub updated_at: DateTime<Utc>,
}

/// A stream that does not make sense (a bug or a hand-edited database).
#[derive(Debug, thiserror::Error)]
#[error("payment stream {stream} is corrupt at version {version}: {why}")]
pub struct CorruptStream {
    stream: String,
    version: i64,
    why: &'static str,
}

impl PaymentState {
    /// The state after `event`, the `version`-th of the stream.
    pub fn apply(
        state: Option<Self>,
        event: &PaymentEvent,
        version: i64,
    ) -> Result<Self, CorruptStream> {
        let stream = event_stream(&state, event);
        let corrupt = |why| CorruptStream {
            stream,
            version,
            why,
        };
        let mut s = match (state, event) {
            (None, PaymentEvent::Authorized { opened }) => Self::opened(opened, None),
            (None, PaymentEvent::Declined { opened, reason }) => {
                Self::opened(opened, Some(reason.clone()))
            }
            (None, _) => return Err(corrupt("the first event must open the payment")),
            (Some(_), PaymentEvent::Authorized { .. } | PaymentEvent::Declined { .. }) => {
                return Err(corrupt("a payment is opened only once"));
            }
            (Some(mut s), PaymentEvent::Captured { amount_minor, .. }) => {
                s.captured_minor += amount_minor;
                s.status = PaymentStatus::Captured;
                s
            }
            (Some(mut s), PaymentEvent::Voided { .. }) => {
                s.status = PaymentStatus::Voided;
                s
            }
            (Some(mut s), PaymentEvent::Failed { reason, .. }) => {
                s.status = PaymentStatus::Failed;
                s.failure_reason = Some(reason.clone());
                s
            }
            (Some(mut s), PaymentEvent::Refunded { amount_minor, .. }) => {
                s.refunded_minor += amount_minor;
                s.status = if s.refunded_minor >= s.captured_minor {
                    PaymentStatus::Refunded
                } else {
                    PaymentStatus::PartiallyRefunded
                };
                s
            }
        };
        s.version = version;
        s.updated_at = event.at();
        Ok(s)
    }

    fn opened(opened: &Opened, declined: Option<String>) -> Self {
        Self {
            status: if declined.is_some() {
                PaymentStatus::Failed
            } else {
                PaymentStatus::Authorized
            },
            opened: opened.clone(),
            captured_minor: 0,
            refunded_minor: 0,
            failure_reason: declined,
            version: 0,
            updated_at: opened.at,
        }
    }

    /// Folds a whole stream, events in version order from 1.
    pub fn replay<'a>(
        events: impl IntoIterator<Item = (i64, &'a PaymentEvent)>,
    ) -> Result<Option<Self>, CorruptStream> {
        let mut state = None;
        for (version, event) in events {
            state = Some(Self::apply(state, event, version)?);
        }
        Ok(state)
    }

    /// The payment's id.
    pub fn id(&self) -> Uuid {
        self.opened.payment_id
    }

    /// Capture the whole authorised amount: only from `authorized`.
    pub fn capture(&self, at: DateTime<Utc>) -> Result<PaymentEvent, Problem> {
        self.require(PaymentStatus::Authorized, "captured")?;
        Ok(PaymentEvent::Captured {
            amount_minor: self.opened.amount_minor,
            at,
        })
    }

    /// Release the authorisation: only from `authorized`.
    pub fn void(&self, at: DateTime<Utc>) -> Result<PaymentEvent, Problem> {
        self.require(PaymentStatus::Authorized, "voided")?;
        Ok(PaymentEvent::Voided { at })
    }

    /// Mark failed: only from `authorized`.
    pub fn fail(&self, reason: String, at: DateTime<Utc>) -> Result<PaymentEvent, Problem> {
        self.require(PaymentStatus::Authorized, "failed")?;
        Ok(PaymentEvent::Failed { reason, at })
    }

    /// Refund `amount`: the payment must be captured, the amount positive,
    /// in the payment's currency (else 422) and at most captured minus
    /// refunded (else 409).
    pub fn refund(
        &self,
        amount: Money,
        refund: (Uuid, i64),
        reason: String,
        at: DateTime<Utc>,
    ) -> Result<PaymentEvent, Problem> {
        if amount.currency() != self.opened.currency {
            return Err(Problem::unprocessable(format!(
                "the refund is in {} but the payment is in {}",
                amount.currency(),
                self.opened.currency
            ))
            .with("field", "amount.currency"));
        }
        let minor = amount
            .to_minor_units()
            .map_err(|e| Problem::unprocessable(e.to_string()))?;
        if !matches!(
            self.status,
            PaymentStatus::Captured | PaymentStatus::PartiallyRefunded
        ) {
            return Err(Problem::conflict(format!(
                "payment {} is {}; only a captured payment can be refunded",
                self.id(),
                status_name(self.status)
            )));
        }
        let refundable = self.captured_minor - self.refunded_minor;
        if minor > refundable {
            let left = Money::from_minor_units(refundable, self.opened.currency);
            return Err(Problem::conflict(format!(
                "refund of {amount} is more than the {left} still refundable on payment {}",
                self.id()
            ))
            .with("refundable", left.amount().to_string()));
        }
        Ok(PaymentEvent::Refunded {
            refund_id: refund.0,
            refund_legacy_id: refund.1,
            amount_minor: minor,
            reason,
            at,
        })
    }

    fn require(&self, wanted: PaymentStatus, verb: &str) -> Result<(), Problem> {
        if self.status == wanted {
            Ok(())
        } else {
            Err(Problem::conflict(format!(
                "payment {} is {} and cannot be {verb}",
                self.id(),
                status_name(self.status)
            ))
            .with("current_status", status_name(self.status)))
        }
    }

    /// The v2 resource.
    pub fn to_api(&self) -> Payment {
        let o = &self.opened;
        Payment {
            id: o.payment_id,
            legacy_id: o.legacy_id,
            order_id: o.order_id,
            order_legacy_id: o.order_legacy_id,
            customer_id: o.customer_id,
            customer_legacy_id: o.customer_legacy_id,
            method: o.method,
            status: self.status,
            amount: Money::from_minor_units(o.amount_minor, o.currency),
            captured: Money::from_minor_units(self.captured_minor, o.currency),
            refunded: Money::from_minor_units(self.refunded_minor, o.currency),
            failure_reason: self.failure_reason.clone(),
            version: self.version,
            created_at: o.at,
            updated_at: self.updated_at,
        }
    }
}

fn event_stream(state: &Option<PaymentState>, event: &PaymentEvent) -> String {
    match (state, event) {
        (Some(s), _) => s.id().to_string(),
        (None, PaymentEvent::Authorized { opened } | PaymentEvent::Declined { opened, .. }) => {
            opened.payment_id.to_string()
        }
        (None, _) => "(unknown)".into(),
    }
}

/// The status as the wire spells it.
pub fn status_name(status: PaymentStatus) -> &'static str {
    match status {
        PaymentStatus::Authorized => "authorized",
        PaymentStatus::Captured => "captured",
        PaymentStatus::PartiallyRefunded => "partially_refunded",
        PaymentStatus::Refunded => "refunded",
        PaymentStatus::Voided => "voided",
        PaymentStatus::Failed => "failed",
    }
}

/// Reads a stored status name.
pub fn parse_status(name: &str) -> Option<PaymentStatus> {
    [
        PaymentStatus::Authorized,
        PaymentStatus::Captured,
        PaymentStatus::PartiallyRefunded,
        PaymentStatus::Refunded,
        PaymentStatus::Voided,
        PaymentStatus::Failed,
    ]
    .into_iter()
    .find(|s| status_name(*s) == name)
}

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;
