//! The payment database's tables (see `migrations/payment/`). The
//! `idempotency_keys` and `outbox` tables are described by
//! `platform::idempotency::schema` and `platform::outbox::schema`.

#![allow(missing_docs)]

diesel::table! {
    payment_events (stream_id, version) {
        stream_id -> Text,
        version -> BigInt,
        event_id -> Text,
        event_type -> Text,
        payload -> Text,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    payments (id) {
        id -> Text,
        legacy_id -> BigInt,
        order_id -> Nullable<Text>,
        order_legacy_id -> BigInt,
        customer_id -> Nullable<Text>,
        customer_legacy_id -> Nullable<BigInt>,
        method -> Text,
        status -> Text,
        currency -> Text,
        amount_minor -> BigInt,
        captured_minor -> BigInt,
        refunded_minor -> BigInt,
        failure_reason -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    refunds (id) {
        id -> Text,
        legacy_id -> BigInt,
        payment_id -> Text,
        payment_legacy_id -> BigInt,
        currency -> Text,
        amount_minor -> BigInt,
        reason -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    invoices (id) {
        id -> Text,
        legacy_id -> BigInt,
        number -> Text,
        order_id -> Nullable<Text>,
        order_legacy_id -> BigInt,
        customer_id -> Nullable<Text>,
        customer_legacy_id -> BigInt,
        payment_id -> Nullable<Text>,
        payment_legacy_id -> Nullable<BigInt>,
        currency -> Text,
        amount_minor -> BigInt,
        status -> Text,
        bill_name -> Text,
        bill_line1 -> Text,
        bill_city -> Text,
        bill_postal_code -> Text,
        bill_country -> Text,
        issued_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    legacy_id_counters (entity) {
        entity -> Text,
        next_value -> BigInt,
    }
}

diesel::joinable!(refunds -> payments (payment_id));
diesel::allow_tables_to_appear_in_same_query!(payments, refunds, invoices, payment_events);
