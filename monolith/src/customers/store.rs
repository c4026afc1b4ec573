//! The `customers` table: the only code that touches it.

use super::domain::{Billing, Customer, NewCustomer};
use crate::error::{AppError, AppResult};
use crate::legacy::page::PageRequest;
use diesel::prelude::*;
use platform::db::AnyConnection;

diesel::table! {
    customers (id) {
        id -> BigInt,
        name -> Text,
        email -> Text,
        bill_name -> Text,
        bill_line1 -> Text,
        bill_city -> Text,
        bill_zip -> Text,
        bill_country -> Text,
        created_at -> Timestamp,
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = customers)]
struct CustomerRow {
    id: i64,
    name: String,
    email: String,
    bill_name: String,
    bill_line1: String,
    bill_city: String,
    bill_zip: String,
    bill_country: String,
    created_at: chrono::NaiveDateTime,
}

impl From<CustomerRow> for Customer {
    fn from(r: CustomerRow) -> Self {
        Customer {
            id: r.id,
            name: r.name,
            email: r.email,
            billing: Billing {
                name: r.bill_name,
                line1: r.bill_line1,
                city: r.bill_city,
                zip: r.bill_zip,
                country: r.bill_country,
            },
            created_at: r.created_at,
        }
    }
}

pub fn insert(
    conn: &mut AnyConnection,
    new: &NewCustomer,
    now: chrono::NaiveDateTime,
) -> AppResult<Customer> {
    let b = &new.billing;
    // RETURNING a whole row is not supported across both backends: read it back.
    let row = diesel::insert_into(customers::table)
        .values((
            customers::name.eq(&new.name),
            customers::email.eq(&new.email),
            customers::bill_name.eq(&b.name),
            customers::bill_line1.eq(&b.line1),
            customers::bill_city.eq(&b.city),
            customers::bill_zip.eq(&b.zip),
            customers::bill_country.eq(&b.country),
            customers::created_at.eq(now),
        ))
        .returning(customers::id)
        .get_result::<i64>(conn)?;
    get(conn, row)
}

pub fn get(conn: &mut AnyConnection, id: i64) -> AppResult<Customer> {
    customers::table
        .find(id)
        .select(CustomerRow::as_select())
        .first(conn)
        .optional()?
        .map(Customer::from)
        .ok_or_else(|| AppError::not_found(format!("customer {id}")))
}

pub fn list(conn: &mut AnyConnection, page: PageRequest) -> AppResult<(Vec<Customer>, i64)> {
    let rows = customers::table
        .order(customers::id)
        .limit(page.per_page)
        .offset(page.offset())
        .select(CustomerRow::as_select())
        .load(conn)?;
    let total = customers::table.count().get_result(conn)?;
    Ok((rows.into_iter().map(Customer::from).collect(), total))
}

pub fn update_billing(conn: &mut AnyConnection, id: i64, b: &Billing) -> AppResult<Customer> {
    let changed = diesel::update(customers::table.find(id))
        .set((
            customers::bill_name.eq(&b.name),
            customers::bill_line1.eq(&b.line1),
            customers::bill_city.eq(&b.city),
            customers::bill_zip.eq(&b.zip),
            customers::bill_country.eq(&b.country),
        ))
        .execute(conn)?;
    if changed == 0 {
        return Err(AppError::not_found(format!("customer {id}")));
    }
    get(conn, id)
}
