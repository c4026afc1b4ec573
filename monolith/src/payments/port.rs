//! What other modules may ask of `payments`: charge an order, capture it, settle
//! its cancellation. The in-process implementation's calls take the caller's
//! connection so they join its transaction: an order and its payment are
//! written together or not at all. Branch by abstraction: [`Payments`] also
//! holds the payment service ([`remote`]) and gives each call to the side
//! that owns the payment ([`owner`]), as the proxy's route would; while
//! payments change owner its own writes wait for the old owner's last
//! changes ([`handover`]).

pub mod handover;
pub mod owner;
pub mod remote;

use super::domain::{InvoiceStatus, Method, PaymentStatus};
use super::{gateway, store, sync};
use crate::customers::port::CustomersPort;
use crate::error::AppResult;
use crate::legacy::LegacyClock;
use handover::Handover;
use owner::{Owner, OwnerFlags};
use platform::db::{AnyConnection, Db};
use remote::RemotePayments;
use std::sync::Arc;

/// A charge for a placed order.
#[derive(Debug, Clone)]
pub struct ChargeRequest {
    /// The order being paid.
    pub order_id: i64,
    /// Who pays (billing details are read through the customers port).
    pub customer_id: i64,
    /// Amount in minor units.
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// `card` or `invoice`.
    pub method: String,
    /// Card token for the gateway.
    pub token: Option<String>,
}

/// What a charge produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Charge {
    /// The payment's id.
    pub payment_id: i64,
    /// The invoice's id.
    pub invoice_id: i64,
    /// True when the money was captured at once (card), false when only authorised.
    pub captured: bool,
}

/// The payments port.
pub trait PaymentsPort: Send + Sync {
    /// Authorises (and for cards captures) the amount and issues an invoice.
    fn charge(&self, conn: &mut AnyConnection, req: &ChargeRequest) -> AppResult<Charge>;
    /// Captures an authorised payment and marks its order's invoice paid.
    fn capture(&self, conn: &mut AnyConnection, payment_id: i64) -> AppResult<()>;
    /// Settles a cancelled order: refunds what is still captured or voids the
    /// authorisation, and voids or credits the invoice.
    fn cancel(&self, conn: &mut AnyConnection, payment_id: i64) -> AppResult<()>;
}

/// Which implementation serves one call.
pub enum Via {
    /// In-process: joins the caller's transaction.
    Local(Arc<dyn PaymentsPort>),
    /// The payment service: outside any transaction of the monolith's.
    Remote(RemotePayments),
}

/// The payments port as callers get it.
#[derive(Clone)]
pub struct Payments {
    local: Arc<dyn PaymentsPort>,
    remote: Remote,
}

/// When the payment service is called.
#[derive(Clone)]
enum Remote {
    /// Never: every payment is the module's.
    Never,
    /// For the payments the route's flags give it; with the handover when
    /// sync runs.
    ByFlags(OwnerFlags, RemotePayments, Option<Arc<Handover>>),
    /// Always: every payment is the service's (the route is retired).
    Always(RemotePayments),
}

impl Payments {
    /// Every payment is the in-process module's.
    pub fn in_process(local: Arc<dyn PaymentsPort>) -> Self {
        Self {
            local,
            remote: Remote::Never,
        }
    }

    /// Each call goes to the payment's owner by the route's `flags`: `remote`
    /// when it is the service.
    pub fn by_flags(
        local: Arc<dyn PaymentsPort>,
        flags: OwnerFlags,
        remote: RemotePayments,
    ) -> Self {
        Self {
            local,
            remote: Remote::ByFlags(flags, remote, None),
        }
    }

    /// Makes its own writes wait during a handover (`payments.sync = true`:
    /// changes are synced both ways, so an owner change can leave the old
    /// owner's last ones in flight). Only by-flags ownership changes. Call
    /// it inside the runtime: the owner flags are watched by a task.
    #[must_use]
    pub fn with_handover(mut self) -> Self {
        if let Remote::ByFlags(flags, _, handover) = &mut self.remote {
            let started = Arc::new(Handover::new(flags));
            Handover::watch_in_background(&started);
            *handover = Some(started);
        }
        self
    }

    /// For a write on existing payment `payment_id`: its owner, by its id,
    /// once the handover (if one runs) lets the write go there.
    pub async fn for_write(&self, db: &Db, payment_id: i64) -> AppResult<Via> {
        let via = self.for_payment(payment_id);
        if let Remote::ByFlags(_, remote, Some(handover)) = &self.remote {
            match &via {
                Via::Remote(_) => handover.before_remote(db, payment_id).await?,
                Via::Local(_) => handover.before_local(remote).await?,
            }
        }
        Ok(via)
    }

    /// Every call goes to the payment service `remote`; `local` is never
    /// asked (`payments.owner = "service"`).
    pub fn by_service(local: Arc<dyn PaymentsPort>, remote: RemotePayments) -> Self {
        Self {
            local,
            remote: Remote::Always(remote),
        }
    }

    /// Whether every payment is the service's: nothing is kept here.
    pub fn all_remote(&self) -> bool {
        matches!(self.remote, Remote::Always(_))
    }

    /// For a call on existing payment `payment_id`: its owner, by its id.
    pub fn for_payment(&self, payment_id: i64) -> Via {
        self.via(|flags| flags.of_record(payment_id))
    }

    /// For a new payment of `customer_id`: the side the caller's cohort is on.
    pub fn for_customer(&self, customer_id: i64) -> Via {
        self.via(|flags| flags.for_customer(customer_id))
    }

    fn via(&self, owner: impl FnOnce(&OwnerFlags) -> Owner) -> Via {
        match &self.remote {
            Remote::ByFlags(flags, remote, _) if owner(flags) == Owner::Service => {
                Via::Remote(remote.clone())
            }
            Remote::Always(remote) => Via::Remote(remote.clone()),
            Remote::Never | Remote::ByFlags(..) => Via::Local(self.local.clone()),
        }
    }
}

/// The in-process implementation.
pub struct InProcessPayments {
    customers: Arc<dyn CustomersPort>,
}

impl InProcessPayments {
    /// Payments reading billing details through `customers`.
    pub fn new(customers: Arc<dyn CustomersPort>) -> Self {
        Self { customers }
    }
}

impl PaymentsPort for InProcessPayments {
    fn charge(&self, conn: &mut AnyConnection, req: &ChargeRequest) -> AppResult<Charge> {
        let method = Method::parse(&req.method)?;
        let bill = self.customers.billing(conn, req.customer_id)?;
        if method == Method::Card {
            gateway::authorize(req.token.as_deref(), req.amount, &req.currency)?;
        }
        let captured = method == Method::Card;
        let now = LegacyClock::now();
        let payment = store::NewPayment {
            order_id: req.order_id,
            customer_id: req.customer_id,
            amount: req.amount,
            currency: &req.currency,
            status: if captured {
                PaymentStatus::Captured
            } else {
                PaymentStatus::Authorized
            },
            method: method.as_str(),
        };
        let payment_id = store::insert_payment(conn, &payment, now)?;
        let invoice_status = if captured {
            InvoiceStatus::Paid
        } else {
            InvoiceStatus::Open
        };
        let invoice_id = store::insert_invoice(
            conn,
            req.order_id,
            req.customer_id,
            req.amount,
            &req.currency,
            invoice_status,
            &bill,
            now,
        )?;
        sync::payment_changed(conn, payment_id)?;
        sync::invoice_changed(conn, invoice_id)?;
        Ok(Charge {
            payment_id,
            invoice_id,
            captured,
        })
    }

    fn capture(&self, conn: &mut AnyConnection, payment_id: i64) -> AppResult<()> {
        store::transition(
            conn,
            payment_id,
            &[PaymentStatus::Authorized],
            PaymentStatus::Captured,
            LegacyClock::now(),
        )?;
        let order_id = store::payment(conn, payment_id)?.order_id;
        let invoices =
            store::set_invoice_status(conn, order_id, InvoiceStatus::Open, InvoiceStatus::Paid)?;
        changed(conn, payment_id, &invoices)
    }

    fn cancel(&self, conn: &mut AnyConnection, payment_id: i64) -> AppResult<()> {
        let now = LegacyClock::now();
        let payment = store::payment(conn, payment_id)?;
        let invoices = match payment.status.as_str() {
            "A" => {
                store::transition(
                    conn,
                    payment_id,
                    &[PaymentStatus::Authorized],
                    PaymentStatus::Voided,
                    now,
                )?;
                store::set_invoice_status(
                    conn,
                    payment.order_id,
                    InvoiceStatus::Open,
                    InvoiceStatus::Void,
                )?
            }
            "C" | "P" => {
                let remaining = payment.captured - payment.refunded;
                if remaining > 0 {
                    store::refund(conn, payment_id, remaining, "order cancelled", now)?;
                }
                store::set_invoice_status(
                    conn,
                    payment.order_id,
                    InvoiceStatus::Paid,
                    InvoiceStatus::Credited,
                )?
            }
            "R" => store::set_invoice_status(
                conn,
                payment.order_id,
                InvoiceStatus::Paid,
                InvoiceStatus::Credited,
            )?,
            _ => return Ok(()),
        };
        changed(conn, payment_id, &invoices)
    }
}

/// Records a payment and the invoices a write changed for sync, in the
/// write's transaction.
fn changed(conn: &mut AnyConnection, payment_id: i64, invoices: &[i64]) -> AppResult<()> {
    sync::payment_changed(conn, payment_id)?;
    for id in invoices {
        sync::invoice_changed(conn, *id)?;
    }
    Ok(())
}
