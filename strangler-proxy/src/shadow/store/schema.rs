//! The diesel schema of the shadow tables (`migrations/proxy/{sqlite,postgres}`).

#![allow(missing_docs)]

diesel::table! {
    shadow_results (id) {
        id -> BigInt,
        route -> Text,
        method -> Text,
        path_template -> Text,
        path -> Text,
        correlation_id -> Text,
        primary_status -> Integer,
        candidate_status -> Nullable<Integer>,
        primary_latency_ms -> BigInt,
        candidate_latency_ms -> Nullable<BigInt>,
        verdict -> Text,
        request -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    shadow_differences (id) {
        id -> BigInt,
        result_id -> BigInt,
        path -> Text,
        pattern -> Text,
        kind -> Text,
        primary_value -> Nullable<Text>,
        candidate_value -> Nullable<Text>,
    }
}

diesel::joinable!(shadow_differences -> shadow_results (result_id));
diesel::allow_tables_to_appear_in_same_query!(shadow_results, shadow_differences);
diesel::allow_columns_to_appear_in_same_group_by_clause!(
    shadow_results::route,
    shadow_differences::pattern,
    shadow_differences::kind,
);

diesel::table! {
    route_decisions (id) {
        id -> BigInt,
        route -> Text,
        action -> Text,
        from_mode -> Text,
        to_mode -> Text,
        outcome -> Text,
        forced -> Bool,
        reason -> Text,
        evidence -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    verify_runs (id) {
        id -> BigInt,
        context -> Text,
        started_at -> Timestamp,
        finished_at -> Timestamp,
        legacy_records -> BigInt,
        new_records -> BigInt,
        matching_records -> BigInt,
        missing_in_new -> BigInt,
        missing_in_legacy -> BigInt,
        differing_records -> BigInt,
        differences -> Text,
        truncated -> Bool,
        passed -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    route_epochs (id) {
        id -> BigInt,
        route -> Text,
        started_by -> Text,
        reason -> Text,
        started_at -> Timestamp,
    }
}

diesel::table! {
    shadow_counts (id) {
        id -> BigInt,
        route -> Text,
        verdict -> Text,
        primary_status -> Integer,
        candidate_status -> Nullable<Integer>,
        n -> BigInt,
        first_at -> Timestamp,
        last_at -> Timestamp,
        compacted -> Bool,
    }
}

diesel::table! {
    shadow_field_counts (id) {
        id -> BigInt,
        route -> Text,
        pattern -> Text,
        kind -> Text,
        n -> BigInt,
        first_at -> Timestamp,
        last_at -> Timestamp,
        compacted -> Bool,
    }
}
