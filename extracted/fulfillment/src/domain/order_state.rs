//! The order life cycle: pending → confirmed → shipped → delivered, and
//! pending or confirmed → cancelled. Nothing else.

use fulfillment_api::OrderState;
use platform::Problem;

/// The states an order must be in for `to` to be reached from it.
pub(crate) fn sources_of(to: OrderState) -> &'static [OrderState] {
    use OrderState::*;
    match to {
        Pending => &[],
        Confirmed => &[Pending],
        Shipped => &[Confirmed],
        Delivered => &[Shipped],
        Cancelled => &[Pending, Confirmed],
    }
}

/// A transition the life cycle does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an order that is {} cannot become {}", .current.as_str(), .requested.as_str())]
pub(crate) struct IllegalTransition {
    /// Where the order is.
    pub current: OrderState,
    /// Where the request wanted it.
    pub requested: OrderState,
}

impl IllegalTransition {
    /// `Ok` when `current → requested` is legal. The store enforces the same
    /// rule in SQL (`WHERE state IN sources_of(..)`); this is its statement.
    #[cfg(test)]
    pub(crate) fn check(current: OrderState, requested: OrderState) -> Result<(), Self> {
        if sources_of(requested).contains(&current) {
            Ok(())
        } else {
            Err(Self { current, requested })
        }
    }
}

impl From<IllegalTransition> for Problem {
    fn from(e: IllegalTransition) -> Self {
        let allowed: Vec<&str> = sources_of(e.requested).iter().map(|s| s.as_str()).collect();
        let hint = if allowed.is_empty() {
            "no order can be moved there".to_owned()
        } else {
            format!("only an order that is {} can", allowed.join(" or "))
        };
        Problem::new(
            actix_web::http::StatusCode::CONFLICT,
            "illegal-transition",
            format!("{e}; {hint}"),
        )
        .with("current_state", e.current.as_str())
        .with("requested_state", e.requested.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderState::*;

    const ALL: [OrderState; 5] = [Pending, Confirmed, Shipped, Delivered, Cancelled];

    #[test]
    fn exactly_the_documented_transitions_are_legal() {
        let legal = [
            (Pending, Confirmed),
            (Confirmed, Shipped),
            (Shipped, Delivered),
            (Pending, Cancelled),
            (Confirmed, Cancelled),
        ];
        for from in ALL {
            for to in ALL {
                let expected = legal.contains(&(from, to));
                assert_eq!(
                    IllegalTransition::check(from, to).is_ok(),
                    expected,
                    "{from:?} → {to:?}"
                );
            }
        }
    }

    #[test]
    fn the_problem_names_both_states() {
        let p: Problem = IllegalTransition::check(Delivered, Cancelled)
            .unwrap_err()
            .into();
        let body = p.to_json();
        assert_eq!(body["status"], 409);
        assert_eq!(body["current_state"], "delivered");
        assert_eq!(body["requested_state"], "cancelled");
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .contains("pending or confirmed")
        );
    }
}
