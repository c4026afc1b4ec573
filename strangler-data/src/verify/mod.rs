//! Verify: are the records in the service the monolith's records?
//!
//! Both sides are read in legacy-id order, a page at a time, and
//! merge-joined by legacy id, so memory stays bounded by the page size
//! whatever the table size. Each record of the service is translated back to
//! its legacy view by the ACL (`acl::records`); a pair matches when the
//! canonical SHA-256 checksums of the two legacy views are equal, and where
//! they are not, `acl::parity::diff` names each differing field.

mod result;
mod side;

pub use result::{DiffEntry, MAX_DIFFERENCES, VerifyResult};

use crate::source::{LegacyKey, LegacySource, List};
use crate::target::Service;
use acl::LegacyClock;
use chrono::{DateTime, SecondsFormat, Utc};
use result::Tally;
use serde_json::Value;
use side::Reader;
use std::cmp::Ordering;

/// `strangler verify payments`: payments, their refunds and invoices.
pub async fn payments<S: LegacySource>(
    source: &S,
    service: &Service,
    clock: &LegacyClock,
    page_size: u32,
    report: &mut dyn FnMut(&DiffEntry),
) -> anyhow::Result<VerifyResult> {
    let lists = [List::Payments, List::Invoices];
    run(
        "payments", &lists, source, service, clock, page_size, report,
    )
    .await
}

/// `strangler verify fulfillment`: stock items, orders and their shipments.
pub async fn fulfillment<S: LegacySource>(
    source: &S,
    service: &Service,
    clock: &LegacyClock,
    page_size: u32,
    report: &mut dyn FnMut(&DiffEntry),
) -> anyhow::Result<VerifyResult> {
    let lists = [List::Stock, List::Orders];
    run(
        "fulfillment",
        &lists,
        source,
        service,
        clock,
        page_size,
        report,
    )
    .await
}

async fn run<S: LegacySource>(
    context: &str,
    lists: &[List],
    source: &S,
    service: &Service,
    clock: &LegacyClock,
    page_size: u32,
    report: &mut dyn FnMut(&DiffEntry),
) -> anyhow::Result<VerifyResult> {
    let mut tally = Tally {
        result: VerifyResult {
            context: context.into(),
            started_at: now(),
            finished_at: String::new(),
            legacy_records: 0,
            new_records: 0,
            matching_records: 0,
            missing_in_new: 0,
            missing_in_legacy: 0,
            differing_records: 0,
            differences: Vec::new(),
            truncated: false,
        },
        report,
    };
    for &list in lists {
        let mut legacy = Reader::legacy(source, list, page_size);
        let mut new = Reader::new_side(service, list, clock, page_size);
        join(&mut legacy, &mut new, list, &mut tally).await?;
    }
    tally.result.finished_at = now();
    Ok(tally.result)
}

/// A record that carries its children in the same body: `(parent field,
/// children field, child entity)`, both sides alike.
fn nested(list: List) -> Option<(&'static str, &'static str, &'static str)> {
    match list {
        List::Payments => Some(("payment", "refunds", "refund")),
        List::Orders => Some(("order", "shipments", "shipment")),
        List::Invoices | List::Stock => None,
    }
}

async fn join<S: LegacySource>(
    legacy: &mut Reader<'_, S>,
    new: &mut Reader<'_, S>,
    list: List,
    t: &mut Tally<'_>,
) -> anyhow::Result<()> {
    loop {
        let (l, n) = (legacy.peek_id().await?, new.peek_id().await?);
        let order = match (l, n) {
            (None, None) => return Ok(()),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some(a), Some(b)) => a.cmp(&b),
        };
        match order {
            Ordering::Less => {
                let (id, body) = legacy.take()?;
                let body = body.map_err(anyhow::Error::msg)?;
                count_missing(list, id, &body, true, t);
            }
            Ordering::Greater => {
                let (id, body) = new.take()?;
                count_missing(list, id, body.as_ref().unwrap_or(&Value::Null), false, t);
            }
            Ordering::Equal => {
                let (id, l) = legacy.take()?;
                let (_, n) = new.take()?;
                compare(list, &id, &l.map_err(anyhow::Error::msg)?, &n, t);
            }
        }
    }
}

fn child_key(v: &Value) -> LegacyKey {
    LegacyKey::Id(v["id"].as_i64().unwrap_or(0))
}

/// A record (and each record nested in it) on one side only.
fn count_missing(list: List, id: LegacyKey, body: &Value, in_new: bool, t: &mut Tally<'_>) {
    let side = |t: &mut Tally<'_>, n: u64| {
        if in_new {
            t.result.legacy_records += n
        } else {
            t.result.new_records += n
        }
    };
    side(t, 1);
    t.missing(list.record(), id, in_new);
    if let Some((_, children, child)) = nested(list) {
        for c in body[children].as_array().into_iter().flatten() {
            side(t, 1);
            t.missing(child, child_key(c), in_new);
        }
    }
}

/// A record on both sides; the records nested in it merge-joined by id in
/// turn.
fn compare(
    list: List,
    id: &LegacyKey,
    legacy: &Value,
    new: &Result<Value, String>,
    t: &mut Tally<'_>,
) {
    t.result.legacy_records += 1;
    t.result.new_records += 1;
    let Some((parent, children, child)) = nested(list) else {
        return t.pair(list.record(), id, legacy, new);
    };
    let new_parent = new
        .as_ref()
        .map(|v| v[parent].clone())
        .map_err(Clone::clone);
    t.pair(list.record(), id, &legacy[parent], &new_parent);
    let empty = Vec::new();
    let lr = legacy[children].as_array().unwrap_or(&empty);
    let nr = new
        .as_ref()
        .ok()
        .and_then(|v| v[children].as_array())
        .unwrap_or(&empty);
    let (mut i, mut j) = (0, 0);
    while i < lr.len() || j < nr.len() {
        let order = match (lr.get(i), nr.get(j)) {
            (Some(a), Some(b)) => child_key(a).cmp(&child_key(b)),
            (Some(_), None) => Ordering::Less,
            _ => Ordering::Greater,
        };
        match order {
            Ordering::Less => {
                t.result.legacy_records += 1;
                t.missing(child, child_key(&lr[i]), true);
                i += 1;
            }
            Ordering::Greater => {
                t.result.new_records += 1;
                t.missing(child, child_key(&nr[j]), false);
                j += 1;
            }
            Ordering::Equal => {
                t.result.legacy_records += 1;
                t.result.new_records += 1;
                t.pair(child, &child_key(&lr[i]), &lr[i], &Ok(nr[j].clone()));
                i += 1;
                j += 1;
            }
        }
    }
}

fn now() -> String {
    let t: DateTime<Utc> = Utc::now();
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}
