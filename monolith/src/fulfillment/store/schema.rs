//! The fulfillment tables' diesel schema.

diesel::table! {
    items (sku) {
        sku -> Text,
        name -> Text,
        unit_price -> BigInt,
        currency -> Text,
        on_hand -> BigInt,
        reserved -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    orders (id) {
        id -> BigInt,
        customer_id -> BigInt,
        status -> Text,
        currency -> Text,
        total -> BigInt,
        payment_id -> Nullable<BigInt>,
        invoice_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    order_lines (id) {
        id -> BigInt,
        order_id -> BigInt,
        sku -> Text,
        qty -> BigInt,
        unit_price -> BigInt,
        amount -> BigInt,
    }
}

diesel::table! {
    shipments (id) {
        id -> BigInt,
        order_id -> BigInt,
        status -> Text,
        carrier -> Text,
        tracking -> Text,
        created_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(order_lines -> orders (order_id));
diesel::allow_tables_to_appear_in_same_query!(items, orders, order_lines, shipments);
