//! The `issue_invoice` step: right after the charge, as the monolith does,
//! the order's invoice for its total, linked to the payment, billed to the
//! details the saga's start read from the customers' owner, and for a card
//! issued already paid (its payment is captured): one call to the payment
//! service on a first try. The invoice is recorded on the order in the same
//! transaction as the move.
//!
//! A repeat is safe twice over: the call's key replays the first answer, and
//! a repeated try (one after a failed try, or after the service answered that
//! the key went with another body, as a saga started by an older version may
//! have sent) first looks for the invoice an earlier try issued for its
//! payment, and pays it if a card's was issued open.

use super::call::CallError;
use super::drive::Outcome;
use super::local::{request, stored_billing};
use super::remote::{RUNNING, commit, compensate, key, order, past_deadline};
use super::step::Step;
use super::{Sagas, failure_of};
use crate::store::sagas::{self, SagaRow};
use crate::store::{self, orders};
use fulfillment_api::{Order, PaymentMethod, StartSaga};
use payment_api::{Invoice, InvoiceStatus, IssueInvoice};
use platform::Problem;
use uuid::Uuid;

/// Issues the order's invoice and moves the saga to `confirm_order`. A
/// refusal (the customer gone, the invoice refused) compensates, as a
/// transient failure past the step's deadline does; settling then voids or
/// credits whatever was issued.
pub(super) async fn issue_invoice(sagas: &Sagas, row: &SagaRow) -> Result<Outcome, Problem> {
    let StartSaga::PlaceOrder {
        customer_legacy_id,
        method,
        ..
    } = request(row)?
    else {
        return Err(Problem::internal(&"only place_order issues an invoice"));
    };
    let step = Step::IssueInvoice;
    let order = order(sagas, row).await?;
    let wanted = Wanted {
        payment_id: row
            .payment_id
            .as_deref()
            .map(Uuid::parse_str)
            .transpose()
            .map_err(|e| Problem::internal(&format!("saga {}: stored payment id: {e}", row.id)))?,
        customer_legacy_id,
        card: method == PaymentMethod::Card,
    };
    let billing = stored_billing(row)?;
    let to = match issued(sagas, row, &order, &wanted, billing).await {
        Ok(invoice) => {
            let (id, order_id) = (row.id.clone(), order.id.to_string());
            let to = sagas.onward(RUNNING, Step::ConfirmOrder, store::now());
            sagas
                .db
                .write(move |conn| {
                    orders::set_invoice(conn, &order_id, invoice.legacy_id)?;
                    crate::sync::order_changed(conn, &order_id)?;
                    sagas::advance(conn, &id, step.as_str(), &to, store::now())
                })
                .await?;
            return Ok(Outcome::Moved);
        }
        Err(CallError::Business(problem)) => compensate(sagas, problem.to_string()),
        Err(CallError::Transient(error)) => match past_deadline(row, step, &error) {
            Some(late) => compensate(sagas, failure_of(&late)),
            None => return Ok(Outcome::Retry(error)),
        },
    };
    commit(sagas, row, step, to).await
}

/// What the order's invoice must be.
struct Wanted {
    payment_id: Option<Uuid>,
    customer_legacy_id: i64,
    /// A card's payment is captured: its invoice is paid.
    card: bool,
}

/// The order's invoice as it must end this step: issued (a card's paid).
async fn issued(
    sagas: &Sagas,
    row: &SagaRow,
    order: &Order,
    wanted: &Wanted,
    billing: Option<payment_api::BillingDetails>,
) -> Result<Invoice, CallError> {
    let invoice = if row.attempts > 0 {
        match earlier(sagas, order, wanted).await? {
            Some(found) => found,
            None => issue(sagas, row, order, wanted, billing).await?,
        }
    } else {
        match issue(sagas, row, order, wanted, billing).await {
            Err(e) if e.key_reused() => earlier(sagas, order, wanted).await?.ok_or(e)?,
            other => other?,
        }
    };
    if wanted.card && invoice.status == InvoiceStatus::Open {
        let key = key(&row.id, Step::IssueInvoice, "pay");
        return sagas
            .payments
            .invoice_to(&key, invoice.id, InvoiceStatus::Paid)
            .await;
    }
    Ok(invoice)
}

/// The invoice an earlier try issued for the saga's payment, if any.
async fn earlier(
    sagas: &Sagas,
    order: &Order,
    wanted: &Wanted,
) -> Result<Option<Invoice>, CallError> {
    let issued = sagas.payments.invoices_of(order.legacy_id).await?;
    Ok(issued
        .into_iter()
        .find(|i| i.payment_id == wanted.payment_id))
}

/// Issues the invoice (keyed by the saga and the step), a card's as paid.
/// The billing details are the ones the start kept; a saga started before
/// starts kept them asks the customers' owner.
async fn issue(
    sagas: &Sagas,
    row: &SagaRow,
    order: &Order,
    wanted: &Wanted,
    billing: Option<payment_api::BillingDetails>,
) -> Result<Invoice, CallError> {
    let billing = match billing {
        Some(billing) => billing,
        None => sagas.customers.billing(wanted.customer_legacy_id).await?,
    };
    let issue = IssueInvoice {
        legacy_id: None,
        number: None,
        order_id: Some(order.id),
        order_legacy_id: order.legacy_id,
        customer_id: None,
        customer_legacy_id: wanted.customer_legacy_id,
        payment_id: wanted.payment_id,
        amount: order.total,
        billing,
        status: wanted.card.then_some(InvoiceStatus::Paid),
        issued_at: None,
    };
    let key = key(&row.id, Step::IssueInvoice, "");
    sagas.payments.issue_invoice(&key, &issue).await
}
