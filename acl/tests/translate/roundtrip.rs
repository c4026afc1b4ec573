//! legacy → v2 → (JSON) → v2 → legacy is the identity for every entity.

use crate::fixtures::{body_json, drive, legacy, ok};
use acl::legacy::{self, CurrencyCode, LocalTimestamp};
use acl::records::{orders, payments, stock};
use acl::value::money::currency_to_legacy;
use acl::{FieldPath, LegacyClock};
use chrono::{DateTime, Utc};
use proptest::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;
use v2_common::Currency;

/// Whole-second instants 1900..2200, rendered as the monolith renders them.
pub fn local_time() -> impl Strategy<Value = LocalTimestamp> {
    (-2_208_988_800_i64..7_258_118_400).prop_map(|secs| {
        let instant = DateTime::<Utc>::from_timestamp(secs, 0).unwrap();
        LegacyClock::default()
            .to_local(&FieldPath::root(), instant)
            .unwrap()
    })
}

pub fn currency() -> impl Strategy<Value = CurrencyCode> {
    prop::sample::select(Currency::ALL.to_vec()).prop_map(currency_to_legacy)
}

pub fn amount() -> impl Strategy<Value = i64> {
    prop_oneof![0..100_000_i64, 0..=i64::MAX]
}

pub fn id() -> impl Strategy<Value = i64> {
    prop_oneof![1..1000_i64, 1..=i64::MAX]
}

pub fn sku() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_.-]{1,64}".prop_filter("not only dots", |s| !s.chars().all(|c| c == '.'))
}

fn payment() -> impl Strategy<Value = legacy::Payment> {
    let st = prop::sample::select(legacy::PaymentStatus::ALL.to_vec());
    let pm = prop::sample::select(legacy::PaymentMethod::ALL.to_vec());
    (
        id(),
        id(),
        amount(),
        currency(),
        st,
        amount(),
        amount(),
        pm,
        local_time(),
        local_time(),
    )
        .prop_map(
            |(id, ord, amt, cur, st, cap, rfd, pm, crt, upd)| legacy::Payment {
                id,
                ord,
                amt,
                cur,
                st,
                cap,
                rfd,
                pm,
                crt,
                upd,
            },
        )
}

fn refund() -> impl Strategy<Value = legacy::Refund> {
    (
        id(),
        id(),
        amount(),
        currency(),
        any::<String>(),
        local_time(),
    )
        .prop_map(|(id, pay, amt, cur, rsn, crt)| legacy::Refund {
            id,
            pay,
            amt,
            cur,
            rsn,
            crt,
        })
}

fn invoice() -> impl Strategy<Value = legacy::Invoice> {
    let st = prop::sample::select(legacy::InvoiceStatus::ALL.to_vec());
    let bill = (
        any::<String>(),
        any::<String>(),
        any::<String>(),
        any::<String>(),
        "[A-Z]{2}",
    )
        .prop_map(|(nm, ln1, city, zip, ctry)| legacy::Billing {
            nm,
            ln1,
            city,
            zip,
            ctry,
        });
    (
        id(),
        "INV-[0-9]{6,9}",
        id(),
        id(),
        amount(),
        currency(),
        st,
        bill,
        local_time(),
    )
        .prop_map(
            |(id, no, ord, cust, amt, cur, st, bill, iss)| legacy::Invoice {
                id,
                no,
                ord,
                cust,
                amt,
                cur,
                st,
                bill,
                iss,
            },
        )
}

fn order() -> impl Strategy<Value = legacy::Order> {
    let st = prop::sample::select(legacy::OrderStatus::ALL.to_vec());
    let line = (sku(), 1..1000_i64, amount(), amount())
        .prop_map(|(sku, qty, px, amt)| legacy::OrderLine { sku, qty, px, amt });
    let links = (prop::option::of(id()), prop::option::of(id()));
    (
        id(),
        id(),
        st,
        currency(),
        amount(),
        prop::collection::vec(line, 0..5),
        links,
        local_time(),
        local_time(),
    )
        .prop_map(
            |(id, cust, st, cur, tot, lines, (pay, inv), crt, upd)| legacy::Order {
                id,
                cust,
                st,
                cur,
                tot,
                lines,
                pay,
                inv,
                crt,
                upd,
            },
        )
}

fn shipment() -> impl Strategy<Value = legacy::Shipment> {
    let st = prop::sample::select(legacy::ShipmentStatus::ALL.to_vec());
    (
        id(),
        id(),
        st,
        any::<String>(),
        any::<String>(),
        local_time(),
        prop::option::of(local_time()),
    )
        .prop_map(|(id, ord, st, carr, trk, crt, dlv)| legacy::Shipment {
            id,
            ord,
            st,
            carr,
            trk,
            crt,
            dlv,
        })
}

fn item() -> impl Strategy<Value = legacy::Item> {
    (
        sku(),
        any::<String>(),
        amount(),
        currency(),
        0..1_000_000_000_i64,
    )
        .prop_flat_map(|(sku, nm, px, cur, qty)| (Just((sku, nm, px, cur, qty)), 0..=qty))
        .prop_map(|((sku, nm, px, cur, qty), rsv)| legacy::Item {
            sku,
            nm,
            px,
            cur,
            qty,
            rsv,
            avl: qty - rsv,
        })
}

/// Through the v2 wire: what the service would send back.
fn over_the_wire<T: Serialize + DeserializeOwned>(v2: &T) -> T {
    serde_json::from_slice(&serde_json::to_vec(v2).unwrap()).unwrap()
}

/// And the legacy wire, strictly read.
fn legacy_wire<T: Serialize + DeserializeOwned>(record: &T) -> T {
    serde_json::from_slice(&serde_json::to_vec(record).unwrap()).unwrap()
}

proptest! {
    #[test]
    fn payments_round_trip(p in payment(), n in any::<u128>(), version in 0..1000_i64) {
        let clock = LegacyClock::default();
        let v2 = over_the_wire(&payments::payment_to_v2(&p, &clock, Uuid::from_u128(n), version).unwrap());
        prop_assert_eq!(legacy_wire(&payments::payment_to_legacy(&v2, &clock).unwrap()), p);
    }

    #[test]
    fn refunds_round_trip(r in refund(), n in any::<u128>()) {
        let clock = LegacyClock::default();
        let v2 = over_the_wire(&payments::refund_to_v2(&r, &clock, Uuid::from_u128(n), Uuid::nil()).unwrap());
        prop_assert_eq!(legacy_wire(&payments::refund_to_legacy(&v2, &clock).unwrap()), r);
    }

    #[test]
    fn invoices_round_trip(i in invoice(), n in any::<u128>()) {
        let clock = LegacyClock::default();
        let v2 = over_the_wire(&payments::invoice_to_v2(&i, &clock, Uuid::from_u128(n), clock.to_utc(i.iss)).unwrap());
        prop_assert_eq!(legacy_wire(&payments::invoice_to_legacy(&v2, &clock).unwrap()), i);
    }

    #[test]
    fn orders_round_trip(o in order(), n in any::<u128>()) {
        let clock = LegacyClock::default();
        let v2 = over_the_wire(&orders::order_to_v2(&o, &clock, Uuid::from_u128(n)).unwrap());
        prop_assert_eq!(legacy_wire(&orders::order_to_legacy(&v2, &clock).unwrap()), o);
    }

    #[test]
    fn shipments_round_trip(s in shipment(), n in any::<u128>()) {
        let clock = LegacyClock::default();
        let v2 = orders::shipment_to_v2(&s, &clock, Uuid::from_u128(n), Uuid::nil()).unwrap();
        let v2 = over_the_wire(&v2);
        prop_assert_eq!(legacy_wire(&orders::shipment_to_legacy(&v2, &clock).unwrap()), s);
    }

    #[test]
    fn stock_items_round_trip(i in item(), n in any::<u128>(), legacy_id in id(), t in local_time()) {
        let at = LegacyClock::default().to_utc(t);
        let ids = stock::StockIdentity { id: Uuid::from_u128(n), legacy_id, created_at: at, updated_at: at };
        let v2 = over_the_wire(&stock::item_to_v2(&i, &ids).unwrap());
        prop_assert_eq!(legacy_wire(&stock::item_to_legacy(&v2).unwrap()), i);
    }

    #[test]
    fn legacy_times_round_trip_in_any_zone(secs in -2_208_988_800_i64..7_258_118_400, zone in prop::sample::select(vec![
        "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC", "Pacific/Chatham",
    ])) {
        let clock = LegacyClock::from_name(zone).unwrap();
        let instant = DateTime::<Utc>::from_timestamp(secs, 0).unwrap();
        let local = clock.to_local(&FieldPath::root(), instant).unwrap();
        let back = clock.to_utc(local);
        prop_assert_eq!(clock.to_local(&FieldPath::root(), back).unwrap(), local);
        // Only the repeated fall-back hour may move an instant, and only earlier.
        prop_assert!(back <= instant && instant - back <= chrono::Duration::hours(1));
    }

    #[test]
    fn v2_amounts_convert_exactly_or_are_refused(
        mantissa in any::<i64>(),
        scale in 0_u32..6,
        currency in prop::sample::select(Currency::ALL.to_vec()),
    ) {
        use acl::TranslateError;
        let amount = v2_common::Decimal::new(mantissa, scale);
        let exponent = currency.exponent();
        match acl::value::money::decimal_to_minor(&FieldPath::field("amount"), amount, currency) {
            Ok(minor) => prop_assert_eq!(v2_common::Money::from_minor_units(minor, currency).amount(), amount),
            Err(TranslateError::Precision { .. }) => prop_assert!(amount.normalize().scale() > exponent),
            Err(TranslateError::NoCounterpart { .. }) => prop_assert!(amount.is_sign_negative()),
            Err(TranslateError::Overflow { .. }) => {
                let minor = amount * v2_common::Decimal::from(10_i64.pow(exponent));
                prop_assert!(minor > v2_common::Decimal::from(i64::MAX));
            }
            Err(other) => prop_assert!(false, "unexpected {}", other),
        }
    }

    /// Through the proxy's path: a legacy GET, the v2 record the service
    /// would answer, and the legacy body the client gets, equal to the
    /// record the monolith would have served.
    #[test]
    fn reads_through_the_exchange_round_trip(
        p in payment(), i in invoice(), o in order(), s in shipment(), it in item(),
    ) {
        let clock = LegacyClock::default();
        let n = Uuid::from_u128(1);
        let v2_payment = payments::payment_to_v2(&p, &clock, n, 1).unwrap();
        let v2_invoice = payments::invoice_to_v2(&i, &clock, n, clock.to_utc(i.iss)).unwrap();
        let v2_order = orders::order_to_v2(&o, &clock, n).unwrap();
        let v2_shipment = orders::shipment_to_v2(&s, &clock, n, n).unwrap();
        let at = clock.to_utc(o.crt);
        let ids = stock::StockIdentity { id: n, legacy_id: 1, created_at: at, updated_at: at };
        let v2_item = stock::item_to_v2(&it, &ids).unwrap();
        let cases = [
            ("payments", format!("/api/v1/payments/{}", p.id), ok(200, &v2_payment), serde_json::to_value(&p)),
            ("invoices", format!("/api/v1/invoices/{}", i.id), ok(200, &v2_invoice), serde_json::to_value(&i)),
            ("orders", format!("/api/v1/orders/{}", o.id), ok(200, &v2_order), serde_json::to_value(&o)),
            ("shipments", format!("/api/v1/shipments/{}", s.id), ok(200, &v2_shipment), serde_json::to_value(&s)),
            ("inventory", format!("/api/v1/inventory/{}", it.sku), ok(200, &v2_item), serde_json::to_value(&it)),
        ];
        for (group, path, answer, expected) in cases {
            let (calls, reply) = drive(group, &legacy(acl::Method::Get, &path), &[answer]).unwrap();
            prop_assert_eq!(calls.len(), 1);
            prop_assert_eq!(reply.status, 200);
            prop_assert_eq!(body_json(&reply), expected.unwrap());
        }
    }
}
