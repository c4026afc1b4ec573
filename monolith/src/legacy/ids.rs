//! The monolith's own ids while a service creates records too: ids at and
//! above [`FOREIGN_IDS_FROM`] belong to records a service created (its
//! `legacy_ids.start`, default 1 000 000 000) and reach the monolith's
//! tables only through sync; the monolith assigns its own below it. Every
//! synced table whose ids a service also assigns (payments, refunds,
//! invoices, orders, shipments) inserts through `own_id!`.

/// The first id of the services' range.
pub const FOREIGN_IDS_FROM: i64 = 1_000_000_000;

/// The id of the next own row of `$table` on SQLite, below
/// [`FOREIGN_IDS_FROM`]: SQLite would otherwise continue after the largest
/// id in the table, a synced one from a service's range. PostgreSQL's
/// sequences ignore explicit ids, so there the column default stays
/// (`None`). Needs `diesel::prelude::*` in scope; `?` converts the query
/// error.
macro_rules! own_id {
    ($conn:expr, $table:ident) => {
        match $conn {
            ::platform::db::AnyConnection::Sqlite(_) => Some(
                $table::table
                    .filter($table::id.lt($crate::legacy::ids::FOREIGN_IDS_FROM))
                    .select(diesel::dsl::max($table::id))
                    .first::<Option<i64>>($conn)?
                    .unwrap_or(0)
                    + 1,
            ),
            ::platform::db::AnyConnection::Postgresql(_) => None,
        }
    };
}
pub(crate) use own_id;
