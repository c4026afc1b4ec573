//! The simulated card gateway of the worked example: every token is approved
//! except `tok_declined`, so the tutorial and tests can show a declined charge
//! without a payment provider.

use crate::error::{AppError, AppResult};

/// The token the gateway always declines.
pub const DECLINED_TOKEN: &str = "tok_declined";

/// Approves or declines a card charge.
pub fn authorize(token: Option<&str>, amount: i64, currency: &str) -> AppResult<()> {
    if token == Some(DECLINED_TOKEN) {
        return Err(AppError::PaymentDeclined(format!(
            "the card was declined for {amount} {currency} (token {DECLINED_TOKEN})"
        )));
    }
    Ok(())
}
