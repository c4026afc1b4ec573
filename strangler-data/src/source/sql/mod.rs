//! The legacy database as a source, for monoliths that cannot grow an export
//! endpoint: a read-only connection (`platform::db::open_read_only`), one
//! short read transaction per page, so the monolith's writers never wait.
//!
//! The tables are declared here as observed from outside (the columns the
//! legacy `/api/v1` shows), never imported from the monolith; rows are
//! rendered in the legacy wire shape, exactly as the export endpoint would.

mod fulfillment;

use super::{LegacyItem, LegacyKey, LegacySource, SourcePage};
use acl::{FieldPath, LegacyClock};
use anyhow::Context;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use platform::db::AnyConnection;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

mod legacy_tables {
    #![allow(missing_docs)]
    diesel::table! {
        payments (id) {
            id -> BigInt, order_id -> BigInt, amount -> BigInt, currency -> Text,
            status -> Text, captured -> BigInt, refunded -> BigInt, method -> Text,
            created_at -> Timestamp, updated_at -> Timestamp,
        }
    }
    diesel::table! {
        refunds (id) {
            id -> BigInt, payment_id -> BigInt, amount -> BigInt, currency -> Text,
            reason -> Text, created_at -> Timestamp,
        }
    }
    diesel::table! {
        invoices (id) {
            id -> BigInt, order_id -> BigInt, customer_id -> BigInt, amount -> BigInt,
            currency -> Text, status -> Text, bill_name -> Text, bill_line1 -> Text,
            bill_city -> Text, bill_zip -> Text, bill_country -> Text, issued_at -> Timestamp,
        }
    }
}
use legacy_tables::{invoices, payments, refunds};

type PaymentRow = (
    i64,
    i64,
    i64,
    String,
    String,
    i64,
    i64,
    String,
    NaiveDateTime,
    NaiveDateTime,
);
type RefundRow = (i64, i64, i64, String, String, NaiveDateTime);
type InvoiceRow = (
    i64,
    i64,
    i64,
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    NaiveDateTime,
);

/// Reads the legacy tables through one read-only connection.
#[derive(Clone)]
pub struct SqlSource {
    conn: Arc<Mutex<AnyConnection>>,
    clock: LegacyClock,
}

impl SqlSource {
    /// Opens `url` read-only; timestamps are rendered in `clock`'s zone.
    pub fn open(url: &str, clock: LegacyClock) -> anyhow::Result<Self> {
        let conn = platform::db::open_read_only(url)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
            clock,
        })
    }

    async fn read<F>(&self, query: F) -> anyhow::Result<SourcePage>
    where
        F: FnOnce(&mut AnyConnection, LegacyClock) -> QueryResult<SourcePage> + Send + 'static,
    {
        let (conn, clock) = (self.conn.clone(), self.clock);
        tokio::task::spawn_blocking(move || {
            let mut conn = conn.lock().unwrap_or_else(|p| p.into_inner());
            conn.transaction(|c| query(c, clock))
                .context("reading the legacy database")
        })
        .await?
    }
}

impl LegacySource for SqlSource {
    async fn payments(&self, after: i64, limit: u32) -> anyhow::Result<SourcePage> {
        self.read(move |c, clock| payments_page(c, &clock, after, limit))
            .await
    }

    async fn invoices(&self, after: i64, limit: u32) -> anyhow::Result<SourcePage> {
        self.read(move |c, clock| invoices_page(c, &clock, after, limit))
            .await
    }

    async fn stock(&self, after: &str, limit: u32) -> anyhow::Result<SourcePage> {
        let after = after.to_owned();
        self.read(move |c, _| fulfillment::stock_page(c, &after, limit))
            .await
    }

    async fn orders(&self, after: i64, limit: u32) -> anyhow::Result<SourcePage> {
        self.read(move |c, clock| fulfillment::orders_page(c, &clock, after, limit))
            .await
    }
}

fn payments_page(
    c: &mut AnyConnection,
    clock: &LegacyClock,
    after: i64,
    limit: u32,
) -> QueryResult<SourcePage> {
    let mut rows: Vec<PaymentRow> = payments::table
        .filter(payments::id.gt(after))
        .order(payments::id)
        .limit(i64::from(limit) + 1)
        .load(c)?;
    let next = cut(&mut rows, limit, |r| LegacyKey::Id(r.0));
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let refund_rows: Vec<RefundRow> = refunds::table
        .filter(refunds::payment_id.eq_any(&ids))
        .order(refunds::id)
        .load(c)?;
    let mut by_payment: HashMap<i64, Vec<Value>> = HashMap::with_capacity(rows.len());
    for (id, pay, amt, cur, rsn, crt) in refund_rows {
        let refund = json!({"id": id, "pay": pay, "amt": amt, "cur": cur, "rsn": rsn, "crt": local(clock, crt)});
        by_payment.entry(pay).or_default().push(refund);
    }
    let items = rows
        .into_iter()
        .map(
            |(id, ord, amt, cur, st, cap, rfd, pm, crt, upd)| LegacyItem {
                id: LegacyKey::Id(id),
                body: json!({
                    "payment": {"id": id, "ord": ord, "amt": amt, "cur": cur, "st": st, "cap": cap,
                        "rfd": rfd, "pm": pm, "crt": local(clock, crt), "upd": local(clock, upd)},
                    "refunds": by_payment.remove(&id).unwrap_or_default(),
                }),
            },
        )
        .collect();
    let total: i64 = payments::table.count().get_result(c)?;
    Ok(SourcePage {
        items,
        next,
        total: total.unsigned_abs(),
    })
}

fn invoices_page(
    c: &mut AnyConnection,
    clock: &LegacyClock,
    after: i64,
    limit: u32,
) -> QueryResult<SourcePage> {
    let mut rows: Vec<InvoiceRow> = invoices::table
        .filter(invoices::id.gt(after))
        .order(invoices::id)
        .limit(i64::from(limit) + 1)
        .load(c)?;
    let next = cut(&mut rows, limit, |r| LegacyKey::Id(r.0));
    let items = rows
        .into_iter()
        .map(
            |(id, ord, cust, amt, cur, st, nm, ln1, city, zip, ctry, iss)| LegacyItem {
                id: LegacyKey::Id(id),
                body: json!({"id": id, "no": format!("INV-{id:06}"), "ord": ord, "cust": cust,
                "amt": amt, "cur": cur, "st": st,
                "bill": {"nm": nm, "ln1": ln1, "city": city, "zip": zip, "ctry": ctry},
                "iss": local(clock, iss)}),
            },
        )
        .collect();
    let total: i64 = invoices::table.count().get_result(c)?;
    Ok(SourcePage {
        items,
        next,
        total: total.unsigned_abs(),
    })
}

/// A stored UTC instant as the legacy API renders it; `null` when it has no
/// legacy form (the strict read then names the record a dead letter).
pub(super) fn local(clock: &LegacyClock, utc: NaiveDateTime) -> Value {
    clock
        .to_local(&FieldPath::root(), utc.and_utc())
        .map(|t| Value::String(t.to_string()))
        .unwrap_or(Value::Null)
}

/// Drops the extra row fetched to learn whether another page follows.
fn cut<R>(rows: &mut Vec<R>, limit: u32, key: fn(&R) -> LegacyKey) -> Option<LegacyKey> {
    v2_common::migration::cut_page(rows, limit, key)
}
