//! The remote steps: a call to the payment service, then the saga's move in
//! one local transaction. Every call that changes money or an invoice carries
//! an idempotency key derived from the saga id and the step (and, when
//! settling, the payment and amount or the invoice), so a step repeated after
//! a crash, a timeout or a lost lease has its effect once. The calls come in
//! the monolith's order (`monolith/src/fulfillment/remote_flows.rs`): charge,
//! then issue the invoice (paid at once for a card); capture, then pay the
//! invoice; settle the payment, then void or credit the invoice. Issuing
//! the invoice is in [`super::invoice`].

use super::call::CallError;
use super::drive::Outcome;
use super::local::{after_settling, order_id, request};
use super::step::Step;
use super::{Sagas, failure_of};
use crate::store::sagas::{self, Move, SagaRow};
use crate::store::{self, orders};
use actix_web::http::StatusCode;
use fulfillment_api::{Order, PaymentMethod, SagaStatus, StartSaga};
use payment_api::{CreatePayment, InvoiceStatus, Payment, PaymentStatus};
use platform::Problem;

pub(super) const RUNNING: &str = "running";
const COMPENSATING: &str = "compensating";

/// The idempotency key of `step`'s call(s) for saga `id`.
pub(super) fn key(id: &str, step: Step, detail: &str) -> String {
    if detail.is_empty() {
        format!("saga-{id}-{}", step.as_str())
    } else {
        format!("saga-{id}-{}-{detail}", step.as_str())
    }
}

pub(super) async fn order(sagas: &Sagas, row: &SagaRow) -> Result<Order, Problem> {
    let id = order_id(row)?;
    sagas.db.read(move |conn| orders::get(conn, &id)).await
}

/// Records `to` as the move from `from` in its own transaction.
pub(super) async fn commit(
    sagas: &Sagas,
    row: &SagaRow,
    from: Step,
    to: Move,
) -> Result<Outcome, Problem> {
    let id = row.id.clone();
    sagas
        .db
        .write(move |conn| sagas::advance(conn, &id, from.as_str(), &to, store::now()))
        .await?;
    Ok(Outcome::Moved)
}

/// A transient failure: retried, unless the step's deadline has passed.
pub(super) fn past_deadline(row: &SagaRow, step: Step, error: &str) -> Option<Problem> {
    let deadline = row.step_deadline_at?;
    (store::now() >= deadline).then(|| {
        Problem::new(
            StatusCode::GATEWAY_TIMEOUT,
            "saga-step-deadline",
            format!(
                "the payment service did not answer {} before its deadline: {error}",
                step.as_str()
            ),
        )
    })
}

fn recorded(payment: &Payment, status: &'static str, step: Step, sagas: &Sagas) -> Move {
    Move {
        payment_id: Some(payment.id.to_string()),
        payment_legacy_id: Some(payment.legacy_id),
        ..sagas.onward(status, step, store::now())
    }
}

pub(super) fn compensate(sagas: &Sagas, failure: String) -> Move {
    Move {
        failure: Some(failure),
        ..sagas.onward(COMPENSATING, Step::SettlePayment, store::now())
    }
}

/// Authorises the order's total, capturing it at once for a card.
pub(super) async fn charge_payment(sagas: &Sagas, row: &SagaRow) -> Result<Outcome, Problem> {
    let StartSaga::PlaceOrder {
        customer_legacy_id,
        method,
        card_token,
        ..
    } = request(row)?
    else {
        return Err(Problem::internal(&"only place_order charges"));
    };
    let order = order(sagas, row).await?;
    let create = CreatePayment {
        legacy_id: None,
        order_id: Some(order.id),
        order_legacy_id: order.legacy_id,
        customer_id: None,
        customer_legacy_id: Some(customer_legacy_id),
        amount: order.total,
        method: match method {
            PaymentMethod::Card => payment_api::PaymentMethod::Card,
            PaymentMethod::Invoice => payment_api::PaymentMethod::Invoice,
        },
        card_token,
        capture: method == PaymentMethod::Card,
        created_at: None,
    };
    let step = Step::ChargePayment;
    let to = match sagas
        .payments
        .create(&key(&row.id, step, ""), &create)
        .await
    {
        Ok(payment) => Move {
            step_deadline_at: Some(sagas.deadline_from(store::now())),
            ..recorded(&payment, RUNNING, Step::IssueInvoice, sagas)
        },
        Err(CallError::Business(problem)) => compensate(sagas, problem.to_string()),
        Err(CallError::Transient(error)) => match past_deadline(row, step, &error) {
            Some(late) => compensate(sagas, failure_of(&late)),
            None => return Ok(Outcome::Retry(error)),
        },
    };
    commit(sagas, row, step, to).await
}

/// Captures an invoice order's authorised payment. A refusal fails the saga
/// (nothing was done) unless the payment turns out captured already (a
/// capture whose answer was lost).
pub(super) async fn capture_payment(sagas: &Sagas, row: &SagaRow) -> Result<Outcome, Problem> {
    let step = Step::CapturePayment;
    let failed = |problem: String| Move {
        failure: Some(problem),
        ..Sagas::end(SagaStatus::Failed.as_str())
    };
    let Some(legacy_id) = row.payment_legacy_id else {
        return Err(Problem::internal(&"capture_order without a payment"));
    };
    let captured = match sagas.payments.by_legacy_id(legacy_id).await {
        Ok(payment) => match sagas
            .payments
            .capture(&key(&row.id, step, ""), payment.id)
            .await
        {
            Err(CallError::Business(_)) if payment.status == PaymentStatus::Captured => Ok(payment),
            other => other,
        },
        Err(e) => Err(e),
    };
    let to = match captured {
        Ok(payment) => recorded(&payment, RUNNING, Step::PayInvoice, sagas),
        Err(CallError::Business(problem)) => failed(problem.to_string()),
        Err(CallError::Transient(error)) => match past_deadline(row, step, &error) {
            Some(late) => failed(failure_of(&late)),
            None => return Ok(Outcome::Retry(error)),
        },
    };
    commit(sagas, row, step, to).await
}

/// Marks the open invoice of a captured order paid, as the monolith does
/// after a capture. The money is taken already, so this step has no deadline
/// and nothing to compensate: anything short of it is retried. An order
/// without an invoice (imported) has none to pay.
pub(super) async fn pay_invoice(sagas: &Sagas, row: &SagaRow) -> Result<Outcome, Problem> {
    let step = Step::PayInvoice;
    let order = order(sagas, row).await?;
    if let Err(e) = invoices_to(sagas, row, step, order.legacy_id, InvoiceStatus::Paid).await {
        return Ok(Outcome::Retry(describe(e)));
    }
    let to = sagas.onward(RUNNING, Step::ConfirmOrder, store::now());
    commit(sagas, row, step, to).await
}

/// Moves every invoice of the order that can go to `to` (`paid` and `void`
/// from `open`, `credited` from `paid`) there; one past it already (a move
/// whose answer was lost) is left as it is. Each move is keyed by the step,
/// the target and the invoice.
async fn invoices_to(
    sagas: &Sagas,
    row: &SagaRow,
    step: Step,
    order_legacy_id: i64,
    to: InvoiceStatus,
) -> Result<(), CallError> {
    let (from, verb) = match to {
        InvoiceStatus::Paid => (InvoiceStatus::Open, "pay"),
        InvoiceStatus::Void => (InvoiceStatus::Open, "void"),
        InvoiceStatus::Credited => (InvoiceStatus::Paid, "credit"),
        InvoiceStatus::Open => return Ok(()),
    };
    let invoices = sagas.payments.invoices_of(order_legacy_id).await?;
    for invoice in invoices.iter().filter(|i| i.status == from) {
        let key = key(&row.id, step, &format!("{verb}-invoice-{}", invoice.id));
        sagas.payments.invoice_to(&key, invoice.id, to).await?;
    }
    Ok(())
}

/// Voids every authorised payment of the order and refunds what every
/// captured one still holds, then voids the order's open invoices and
/// credits its paid ones (the monolith's "credit or void the invoice").
/// Anything short of that is retried: settling has no deadline, it must end
/// with no money kept and no invoice standing.
pub(super) async fn settle_payment(sagas: &Sagas, row: &SagaRow) -> Result<Outcome, Problem> {
    let step = Step::SettlePayment;
    let order = order(sagas, row).await?;
    let payments = match sagas.payments.of_order(order.legacy_id).await {
        Ok(payments) => payments,
        Err(e) => return Ok(Outcome::Retry(describe(e))),
    };
    let reason = format!("order {} cancelled (saga {})", order.legacy_id, row.id);
    for payment in payments {
        if let Err(e) = settle_one(sagas, row, &payment, &reason).await {
            return Ok(Outcome::Retry(describe(e)));
        }
    }
    for to in [InvoiceStatus::Void, InvoiceStatus::Credited] {
        if let Err(e) = invoices_to(sagas, row, step, order.legacy_id, to).await {
            return Ok(Outcome::Retry(describe(e)));
        }
    }
    let (status, next) = after_settling(super::view::kind_of(row)?);
    let to = if next == Step::Done {
        Sagas::end(status.as_str())
    } else {
        sagas.onward(status.as_str(), next, store::now())
    };
    commit(sagas, row, step, to).await
}

async fn settle_one(
    sagas: &Sagas,
    row: &SagaRow,
    payment: &Payment,
    reason: &str,
) -> Result<(), CallError> {
    let step = Step::SettlePayment;
    match payment.status {
        PaymentStatus::Authorized => {
            let key = key(&row.id, step, &format!("void-{}", payment.id));
            sagas.payments.void(&key, payment.id).await.map(drop)
        }
        PaymentStatus::Captured | PaymentStatus::PartiallyRefunded => {
            let held = payment
                .captured
                .checked_sub(payment.refunded)
                .map_err(|e| CallError::Transient(format!("payment {}: {e}", payment.id)))?;
            let minor = held.to_minor_units().unwrap_or_default();
            if minor <= 0 {
                return Ok(());
            }
            let key = key(&row.id, step, &format!("refund-{}-{minor}", payment.id));
            sagas
                .payments
                .refund(&key, payment.id, held, reason)
                .await
                .map(drop)
        }
        PaymentStatus::Refunded | PaymentStatus::Voided | PaymentStatus::Failed => Ok(()),
    }
}

fn describe(e: CallError) -> String {
    match e {
        CallError::Transient(error) => error,
        CallError::Business(problem) => format!("refused, will look again: {problem}"),
    }
}
