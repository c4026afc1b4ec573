//! The simulated card gateway (the same rule as the monolith's): the token
//! `tok_declined` is declined, any other token is authorised. Invoice
//! payments need no gateway. Nothing leaves the process, so a dry run has no
//! external effect to suppress.

use payment_api::PaymentMethod;
use platform::Problem;
use std::sync::atomic::{AtomicU64, Ordering};

/// Authorisations asked for since the process started.
static CALLS: AtomicU64 = AtomicU64::new(0);

/// How many times the gateway was asked to authorise, process-wide: lets a
/// test prove that a path (an import, a dry run) never reaches it.
pub fn calls() -> u64 {
    CALLS.load(Ordering::Relaxed)
}

/// The token the simulated gateway declines.
pub const DECLINED_TOKEN: &str = "tok_declined";

/// What the gateway answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authorization {
    /// The amount is held.
    Approved,
    /// Refused, with the gateway's reason.
    Declined(String),
}

/// Checks the method/token pairing (422 when wrong) and asks the gateway.
pub fn authorize(method: PaymentMethod, token: Option<&str>) -> Result<Authorization, Problem> {
    CALLS.fetch_add(1, Ordering::Relaxed);
    match (method, token) {
        (PaymentMethod::Card, None) => {
            Err(Problem::unprocessable("a card payment needs card_token")
                .with("field", "card_token"))
        }
        (PaymentMethod::Card, Some(t)) if t.trim().is_empty() || t.len() > 200 => Err(
            Problem::unprocessable("card_token must be 1 to 200 characters")
                .with("field", "card_token"),
        ),
        (PaymentMethod::Card, Some(DECLINED_TOKEN)) => Ok(Authorization::Declined(
            "card declined by the gateway".into(),
        )),
        (PaymentMethod::Card, Some(_)) => Ok(Authorization::Approved),
        (PaymentMethod::Invoice, Some(_)) => Err(Problem::unprocessable(
            "card_token is only for card payments",
        )
        .with("field", "card_token")),
        (PaymentMethod::Invoice, None) => Ok(Authorization::Approved),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declines_only_the_declined_token() {
        assert_eq!(
            authorize(PaymentMethod::Card, Some("tok_visa")).unwrap(),
            Authorization::Approved
        );
        assert!(matches!(
            authorize(PaymentMethod::Card, Some(DECLINED_TOKEN)).unwrap(),
            Authorization::Declined(_)
        ));
        assert_eq!(
            authorize(PaymentMethod::Invoice, None).unwrap(),
            Authorization::Approved
        );
        assert!(authorize(PaymentMethod::Card, None).is_err());
        assert!(authorize(PaymentMethod::Invoice, Some("tok")).is_err());
    }
}
