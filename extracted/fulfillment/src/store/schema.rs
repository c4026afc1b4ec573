//! The service's tables, as the migrations in `migrations/fulfillment` create them.

#![allow(missing_docs)]

diesel::table! {
    legacy_id_counters (entity) {
        entity -> Text,
        last_assigned -> BigInt,
    }
}

diesel::table! {
    stock_items (id) {
        id -> Text,
        legacy_id -> BigInt,
        sku -> Text,
        name -> Text,
        unit_price_minor -> BigInt,
        currency -> Text,
        on_hand -> BigInt,
        reserved -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    orders (id) {
        id -> Text,
        legacy_id -> BigInt,
        customer_legacy_id -> BigInt,
        state -> Text,
        currency -> Text,
        total_minor -> BigInt,
        payment_legacy_id -> Nullable<BigInt>,
        invoice_legacy_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    order_lines (order_id, line_no) {
        order_id -> Text,
        line_no -> Integer,
        sku -> Text,
        quantity -> BigInt,
        unit_price_minor -> BigInt,
        amount_minor -> BigInt,
    }
}

diesel::table! {
    reservations (order_id, sku) {
        order_id -> Text,
        sku -> Text,
        quantity -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    shipments (id) {
        id -> Text,
        legacy_id -> BigInt,
        order_id -> Text,
        state -> Text,
        carrier -> Text,
        tracking_number -> Text,
        created_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sagas (id) {
        id -> Text,
        start_key -> Text,
        kind -> Text,
        status -> Text,
        step -> Text,
        request -> Text,
        order_id -> Nullable<Text>,
        payment_id -> Nullable<Text>,
        payment_legacy_id -> Nullable<BigInt>,
        attempts -> Integer,
        next_attempt_at -> Nullable<Timestamp>,
        step_deadline_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        failure -> Nullable<Text>,
        traceparent -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        billing -> Nullable<Text>,
    }
}

diesel::table! {
    saga_history (id) {
        id -> Text,
        saga_id -> Text,
        at -> Timestamp,
        step -> Text,
        to_step -> Nullable<Text>,
        status -> Text,
        error -> Nullable<Text>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    stock_items,
    orders,
    order_lines,
    reservations,
    shipments,
);
