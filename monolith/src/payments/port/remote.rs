//! The payments port's second implementation: the payment service's `/v2`
//! API, its wire types from the service's contract crate (`payment-api`),
//! legacy values translated by the ACL (`acl`). It cannot join the caller's
//! database transaction, so each operation is safe to repeat: creates carry
//! an idempotency key derived from the order or payment, state changes check
//! the current state first. The order flows around it (what is committed
//! before and after each call) are in `fulfillment::remote_flows`.

mod client;

use super::super::domain;
use super::{Charge, ChargeRequest};
use crate::customers::port::BillingDetails;
use crate::error::{AppError, AppResult};
use acl::FieldPath;
use acl::legacy::CurrencyCode;
use acl::legacy::PaymentStatus as LegacyStatus;
use acl::records::payments::{billing_to_v2, payment_to_legacy, refund_to_legacy};
use acl::value::money;
use client::Client;
use payment_api::{
    CreatePayment, CreateRefund, Invoice, InvoiceStatus, IssueInvoice, Money, Page, Payment,
    PaymentMethod, PaymentStatus, Refund, paths,
};
use std::time::Duration;

/// How often a settlement re-reads the payment when a concurrent refund got
/// in first (each retry refunds only what is left then).
const SETTLE_ATTEMPTS: usize = 3;

/// The payment service as the owner of payments.
#[derive(Clone)]
pub struct RemotePayments {
    client: Client,
    clock: acl::LegacyClock,
}

impl RemotePayments {
    /// The service at `base_url`; legacy times shown in `timezone`.
    pub fn new(base_url: &str, timeout: Duration, timezone: &str) -> anyhow::Result<Self> {
        Ok(Self {
            client: Client::new(base_url, timeout)?,
            clock: acl::LegacyClock::from_name(timezone)?,
        })
    }

    /// Calls to the service sent and not answered yet.
    pub fn calls_in_flight(&self) -> usize {
        self.client.in_flight()
    }

    /// The service's `GET /sync/status`: its changes not yet delivered here.
    pub async fn sync_status(&self) -> AppResult<platform::sync::status::SyncStatus> {
        self.client.get(platform::sync::status::PATH).await
    }

    /// Authorises (a card: and captures) the order's amount and issues its
    /// invoice (a card's: paid). Repeating it for the same order replays the
    /// first answers: nothing is charged or issued twice.
    pub async fn charge(&self, req: &ChargeRequest, bill: &BillingDetails) -> AppResult<Charge> {
        let method = match req.method.as_str() {
            "card" => PaymentMethod::Card,
            "invoice" => PaymentMethod::Invoice,
            other => {
                return Err(AppError::Invalid(format!(
                    "pm `{other}` is not a payment method: card or invoice"
                )));
            }
        };
        let captured = method == PaymentMethod::Card;
        let amount = to_money(req.amount, &req.currency)?;
        let create = CreatePayment {
            legacy_id: None,
            order_id: None,
            order_legacy_id: req.order_id,
            customer_id: None,
            customer_legacy_id: Some(req.customer_id),
            amount,
            method,
            // The service refuses a token on an invoice payment.
            card_token: req.token.clone().filter(|_| method == PaymentMethod::Card),
            capture: captured,
            created_at: None,
        };
        let key = format!("monolith-order-{}-payment", req.order_id);
        let payment: Payment = self
            .client
            .post(paths::PAYMENTS, Some(&create), Some(&key))
            .await?;
        let issue = IssueInvoice {
            legacy_id: None,
            number: None,
            order_id: None,
            order_legacy_id: req.order_id,
            customer_id: None,
            customer_legacy_id: req.customer_id,
            payment_id: Some(payment.id),
            amount,
            billing: billing_to_v2(&acl::legacy::Billing {
                nm: bill.name.clone(),
                ln1: bill.line1.clone(),
                city: bill.city.clone(),
                zip: bill.zip.clone(),
                ctry: bill.country.clone(),
            }),
            status: None,
            issued_at: None,
        };
        let key = format!("monolith-order-{}-invoice", req.order_id);
        let invoice: Invoice = self
            .client
            .post(paths::INVOICES, Some(&issue), Some(&key))
            .await?;
        if captured {
            self.invoice_to(req.order_id, InvoiceStatus::Open, InvoiceStatus::Paid)
                .await?;
        }
        Ok(Charge {
            payment_id: payment.legacy_id,
            invoice_id: invoice.legacy_id,
            captured,
        })
    }

    /// Captures an authorised payment and marks the order's invoice paid; a
    /// payment already captured is left as it is.
    pub async fn capture(&self, payment_id: i64) -> AppResult<()> {
        let payment = self.payment(payment_id).await?;
        match payment.status {
            PaymentStatus::Authorized => {
                let _: Payment = self
                    .client
                    .post(&paths::capture(payment.id), None::<&()>, None)
                    .await?;
            }
            PaymentStatus::Captured => {}
            other => {
                return Err(AppError::Conflict(format!(
                    "payment {payment_id} is {other:?}, not authorised: nothing to capture"
                )));
            }
        }
        self.invoice_to(
            payment.order_legacy_id,
            InvoiceStatus::Open,
            InvoiceStatus::Paid,
        )
        .await
    }

    /// Settles a cancelled order's payment: refunds what is still captured
    /// (as the owner counts it, so a refund taken meanwhile is not refunded
    /// again) or voids the authorisation, and credits or voids the invoice.
    /// Repeating it does nothing more.
    pub async fn settle_cancelled(&self, payment_id: i64) -> AppResult<()> {
        for _ in 0..SETTLE_ATTEMPTS {
            let payment = self.payment(payment_id).await?;
            let order = payment.order_legacy_id;
            match payment.status {
                PaymentStatus::Authorized => {
                    let _: Payment = self
                        .client
                        .post(&paths::void(payment.id), None::<&()>, None)
                        .await?;
                    return self
                        .invoice_to(order, InvoiceStatus::Open, InvoiceStatus::Void)
                        .await;
                }
                PaymentStatus::Captured | PaymentStatus::PartiallyRefunded => {
                    match self.refund_rest(&payment).await {
                        // Someone refunded in between: read again, refund what is left.
                        Err(AppError::Conflict(_)) => continue,
                        other => other?,
                    }
                    return self
                        .invoice_to(order, InvoiceStatus::Paid, InvoiceStatus::Credited)
                        .await;
                }
                PaymentStatus::Refunded => {
                    return self
                        .invoice_to(order, InvoiceStatus::Paid, InvoiceStatus::Credited)
                        .await;
                }
                PaymentStatus::Voided | PaymentStatus::Failed => return Ok(()),
            }
        }
        Err(AppError::Conflict(format!(
            "payment {payment_id} kept changing while the cancelled order's refund was taken; cancel again"
        )))
    }

    /// Refunds `amount` minor units of a payment the service owns; the
    /// refund in its legacy shape (`POST /api/v1/payments/{id}/refunds`).
    /// `key` is the client's idempotency key, if it sent one; else this one
    /// attempt gets its own (the legacy API promises no replay).
    /// The owner's ledger decides; a refusal is worded as the monolith's own
    /// (the legacy contract), from the payment as the owner holds it.
    pub async fn refund(
        &self,
        payment_id: i64,
        amount: i64,
        reason: &str,
        key: Option<&str>,
    ) -> AppResult<acl::legacy::Refund> {
        let payment = self.payment(payment_id).await?;
        let legacy = self.legacy_view(&payment)?;
        let key = key.map_or_else(
            || format!("monolith-refund-{}", uuid::Uuid::new_v4().simple()),
            str::to_owned,
        );
        let refused = |p: &acl::legacy::Payment| {
            let status = serde_json::to_value(p.st).unwrap_or_default();
            domain::refund_refused(
                payment_id,
                status.as_str().unwrap_or("?"),
                p.cap,
                p.rfd,
                amount,
            )
        };
        if !matches!(legacy.st, LegacyStatus::C | LegacyStatus::P)
            || amount > legacy.cap - legacy.rfd
        {
            return Err(refused(&legacy));
        }
        let create = CreateRefund {
            legacy_id: None,
            amount: to_money(amount, legacy.cur.as_str())?,
            reason: reason.to_owned(),
            created_at: None,
        };
        let refund: Refund = match self
            .client
            .post(&paths::refunds(payment.id), Some(&create), Some(&key))
            .await
        {
            Ok(refund) => refund,
            // Refunded meanwhile: say so as of now.
            Err(AppError::Conflict(_)) => {
                let now = self.payment(payment_id).await?;
                return Err(refused(&self.legacy_view(&now)?));
            }
            Err(other) => return Err(other),
        };
        refund_to_legacy(&refund, &self.clock).map_err(|e| AppError::Upstream(e.to_string()))
    }

    fn legacy_view(&self, payment: &Payment) -> AppResult<acl::legacy::Payment> {
        payment_to_legacy(payment, &self.clock).map_err(|e| {
            AppError::Conflict(format!(
                "payment {} has no legacy form: {e}",
                payment.legacy_id
            ))
        })
    }

    /// Refunds captured minus refunded, once: the key names the refunded
    /// total it was computed from, so a repeat replays, and a refund taken
    /// meanwhile makes the ledger refuse (409) rather than over-refund.
    async fn refund_rest(&self, payment: &Payment) -> AppResult<()> {
        let f = FieldPath::field;
        let minor = |field, m: &Money| {
            money::to_legacy(&f(field), m)
                .map(|(minor, _)| minor)
                .map_err(|e| AppError::Upstream(e.to_string()))
        };
        let (captured, refunded) = (
            minor("captured", &payment.captured)?,
            minor("refunded", &payment.refunded)?,
        );
        if captured <= refunded {
            return Ok(());
        }
        let create = CreateRefund {
            legacy_id: None,
            amount: money::minor_to_money(
                &f("captured"),
                captured - refunded,
                payment.amount.currency(),
            )
            .map_err(|e| AppError::Upstream(e.to_string()))?,
            reason: "order cancelled".to_owned(),
            created_at: None,
        };
        let key = format!(
            "monolith-payment-{}-cancel-after-{refunded}",
            payment.legacy_id
        );
        let _: Refund = self
            .client
            .post(&paths::refunds(payment.id), Some(&create), Some(&key))
            .await?;
        Ok(())
    }

    async fn payment(&self, legacy_id: i64) -> AppResult<Payment> {
        self.client
            .get(&paths::payment_by_legacy_id(legacy_id))
            .await
            .map_err(|e| match e {
                AppError::NotFound(_) => AppError::not_found(format!("payment {legacy_id}")),
                other => other,
            })
    }

    /// Moves the order's invoices from `from` to `to`; one already past it
    /// is left as it is.
    async fn invoice_to(
        &self,
        order: i64,
        from: InvoiceStatus,
        to: InvoiceStatus,
    ) -> AppResult<()> {
        let page: Page<Invoice> = self
            .client
            .get(&paths::invoices_for_order(order, 100, 0))
            .await?;
        for invoice in page.data.iter().filter(|i| i.status == from) {
            let path = match to {
                InvoiceStatus::Paid => paths::invoice_pay(invoice.id),
                InvoiceStatus::Void => paths::invoice_void(invoice.id),
                InvoiceStatus::Credited => paths::invoice_credit(invoice.id),
                InvoiceStatus::Open => continue,
            };
            let _: Invoice = self.client.post(&path, None::<&()>, None).await?;
        }
        Ok(())
    }
}

/// Legacy minor units and currency code → v2 money, through the ACL.
fn to_money(minor: i64, currency: &str) -> AppResult<Money> {
    let f = FieldPath::field;
    let code = CurrencyCode::parse(currency)
        .map_err(|e| AppError::Invalid(format!("cur `{currency}`: {e}")))?;
    money::to_v2(&f("amt"), minor, &f("cur"), &code).map_err(|e| AppError::Invalid(e.to_string()))
}
