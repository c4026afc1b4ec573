//! The ledger's rules, without a database.

use super::*;
use payment_api::PaymentMethod;
use v2_common::Currency;

fn opened(amount_minor: i64) -> Opened {
    Opened {
        payment_id: Uuid::nil(),
        legacy_id: 7,
        order_id: None,
        order_legacy_id: 3,
        customer_id: None,
        customer_legacy_id: Some(9),
        method: PaymentMethod::Card,
        currency: Currency::Eur,
        amount_minor,
        at: chrono::Utc::now(),
    }
}

fn captured(amount_minor: i64) -> PaymentState {
    let events = [
        PaymentEvent::Authorized {
            opened: opened(amount_minor),
        },
        PaymentEvent::Captured {
            amount_minor,
            at: chrono::Utc::now(),
        },
    ];
    PaymentState::replay(events.iter().enumerate().map(|(i, e)| (i as i64 + 1, e)))
        .unwrap()
        .unwrap()
}

fn eur(minor: i64) -> Money {
    Money::from_minor_units(minor, Currency::Eur)
}

#[test]
fn refunds_never_exceed_what_is_left() {
    let mut s = captured(1000);
    let at = chrono::Utc::now();
    let e = s
        .refund(eur(400), (Uuid::nil(), 1), "a".into(), at)
        .unwrap();
    s = PaymentState::apply(Some(s), &e, 3).unwrap();
    assert_eq!(s.status, PaymentStatus::PartiallyRefunded);
    let too_much = s
        .refund(eur(601), (Uuid::nil(), 2), "b".into(), at)
        .unwrap_err();
    assert_eq!(too_much.status().as_u16(), 409);
    let e = s
        .refund(eur(600), (Uuid::nil(), 2), "b".into(), at)
        .unwrap();
    s = PaymentState::apply(Some(s), &e, 4).unwrap();
    assert_eq!(s.status, PaymentStatus::Refunded);
    assert_eq!(s.version, 4);
    assert!(s.refund(eur(1), (Uuid::nil(), 3), "c".into(), at).is_err());
}

#[test]
fn refunds_need_a_capture_and_the_same_currency() {
    let at = chrono::Utc::now();
    let authorized = PaymentState::apply(
        None,
        &PaymentEvent::Authorized {
            opened: opened(500),
        },
        1,
    )
    .unwrap();
    assert_eq!(
        authorized
            .refund(eur(1), (Uuid::nil(), 1), "x".into(), at)
            .unwrap_err()
            .status()
            .as_u16(),
        409
    );
    let usd = Money::from_minor_units(1, Currency::Usd);
    assert_eq!(
        captured(500)
            .refund(usd, (Uuid::nil(), 1), "x".into(), at)
            .unwrap_err()
            .status()
            .as_u16(),
        422
    );
}

#[test]
fn transitions_only_from_authorized() {
    let at = chrono::Utc::now();
    let s = PaymentState::apply(
        None,
        &PaymentEvent::Authorized {
            opened: opened(500),
        },
        1,
    )
    .unwrap();
    assert!(s.capture(at).is_ok() && s.void(at).is_ok() && s.fail("x".into(), at).is_ok());
    let c = captured(500);
    assert_eq!(c.capture(at).unwrap_err().status().as_u16(), 409);
    assert_eq!(c.void(at).unwrap_err().status().as_u16(), 409);
}

#[test]
fn streams_must_open_once() {
    let captured_first = PaymentEvent::Captured {
        amount_minor: 1,
        at: chrono::Utc::now(),
    };
    assert!(PaymentState::apply(None, &captured_first, 1).is_err());
    let open = PaymentEvent::Authorized { opened: opened(1) };
    let s = PaymentState::apply(None, &open, 1).unwrap();
    assert!(PaymentState::apply(Some(s), &open, 2).is_err());
}

#[test]
fn a_declined_payment_is_failed_with_the_reason() {
    let e = PaymentEvent::Declined {
        opened: opened(500),
        reason: "no".into(),
    };
    let s = PaymentState::apply(None, &e, 1).unwrap();
    assert_eq!(s.status, PaymentStatus::Failed);
    assert_eq!(s.to_api().failure_reason.as_deref(), Some("no"));
}

#[derive(Debug, Clone)]
enum Command {
    Capture,
    Void,
    Fail,
    Refund(i64),
}

fn command() -> impl proptest::strategy::Strategy<Value = Command> {
    use proptest::prelude::*;
    prop_oneof![
        Just(Command::Capture),
        Just(Command::Void),
        Just(Command::Fail),
        (0i64..1_500).prop_map(Command::Refund),
    ]
}

proptest::proptest! {
    /// Whatever commands arrive, accepted events replay to the state they
    /// built step by step, and the invariants of money hold.
    #[test]
    fn replay_equals_the_live_fold(amount in 1i64..1_000, commands in proptest::collection::vec(command(), 0..20)) {
        let first = PaymentEvent::Authorized { opened: opened(amount) };
        let mut live = PaymentState::apply(None, &first, 1).unwrap();
        let mut events = vec![first];
        let at = chrono::Utc::now();
        for (i, c) in commands.into_iter().enumerate() {
            let decided = match c {
                Command::Capture => live.capture(at),
                Command::Void => live.void(at),
                Command::Fail => live.fail("x".into(), at),
                Command::Refund(minor) => live.refund(eur(minor).ensure_positive().unwrap_or(eur(1)), (Uuid::nil(), i as i64), "r".into(), at),
            };
            if let Ok(event) = decided {
                live = PaymentState::apply(Some(live), &event, events.len() as i64 + 1).unwrap();
                events.push(event);
            }
            proptest::prop_assert!(live.refunded_minor <= live.captured_minor);
            proptest::prop_assert!(live.captured_minor == 0 || live.captured_minor == amount);
        }
        let replayed = PaymentState::replay(events.iter().enumerate().map(|(i, e)| (i as i64 + 1, e)))
            .unwrap()
            .unwrap();
        proptest::prop_assert_eq!(&replayed, &live);
        proptest::prop_assert_eq!(replayed.version, events.len() as i64);
    }
}
