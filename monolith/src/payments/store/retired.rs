//! The end of the module's tables: whether they are still there, every row
//! of them, and dropping them (`monolith retire payments`).

use super::{InvoiceRow, PaymentRow, RefundRow, invoices, payments, refunds};
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use platform::db::AnyConnection;

/// The tables, in the order they are dropped (refunds refer to payments).
pub const TABLES: [&str; 3] = ["refunds", "payments", "invoices"];

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// How many of [`TABLES`] are still there.
pub fn remaining(conn: &mut AnyConnection) -> QueryResult<i64> {
    let query = match conn {
        AnyConnection::Sqlite(_) => {
            "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' \
             AND name IN ('refunds', 'payments', 'invoices')"
        }
        AnyConnection::Postgresql(_) => {
            "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = current_schema() \
             AND table_name IN ('refunds', 'payments', 'invoices')"
        }
    };
    Ok(diesel::sql_query(query).get_result::<Count>(conn)?.n)
}

/// Every row of the three tables, each in id order.
pub fn all_rows(
    conn: &mut AnyConnection,
) -> QueryResult<(Vec<PaymentRow>, Vec<RefundRow>, Vec<InvoiceRow>)> {
    Ok((
        payments::table
            .order(payments::id)
            .select(PaymentRow::as_select())
            .load(conn)?,
        refunds::table
            .order(refunds::id)
            .select(RefundRow::as_select())
            .load(conn)?,
        invoices::table
            .order(invoices::id)
            .select(InvoiceRow::as_select())
            .load(conn)?,
    ))
}

/// Drops the three tables (inside the caller's transaction).
pub fn drop_tables(conn: &mut AnyConnection) -> QueryResult<()> {
    for table in TABLES {
        diesel::sql_query(format!("DROP TABLE {table}")).execute(conn)?;
    }
    Ok(())
}
