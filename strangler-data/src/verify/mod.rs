//! Verify: are the records in the service the monolith's records?
//!
//! Both sides are read in legacy-id order, a page at a time, and
//! merge-joined by legacy id, so memory stays bounded by the page size
//! whatever the table size. Each record of the service is translated back to
//! its legacy view by the ACL (`acl::records`); a pair matches when the
//! canonical SHA-256 checksums of the two legacy views are equal, and where
//! they are not, `acl::parity::diff` names each differing field.

mod side;

use crate::canonical::checksum;
use crate::source::{LegacyKey, LegacySource, List};
use crate::target::Service;
use acl::{FieldPath, LegacyClock};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::Value;
use side::Reader;
use std::cmp::Ordering;

/// The most differences a result carries (the rest are counted).
pub const MAX_DIFFERENCES: usize = 100;

/// The outcome of one verify run, as recorded by the admin API.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerifyResult {
    /// The context (`payments`, `fulfillment`).
    pub context: String,
    /// RFC 3339 UTC.
    pub started_at: String,
    /// RFC 3339 UTC.
    pub finished_at: String,
    /// Records on the legacy side.
    pub legacy_records: u64,
    /// Records on the new side.
    pub new_records: u64,
    /// Records equal on both sides.
    pub matching_records: u64,
    /// Legacy records the service does not have.
    pub missing_in_new: u64,
    /// Service records the monolith does not have.
    pub missing_in_legacy: u64,
    /// Records on both sides that differ.
    pub differing_records: u64,
    /// The first [`MAX_DIFFERENCES`] differences, in legacy-id order.
    pub differences: Vec<DiffEntry>,
    /// Whether more differences were found than listed.
    pub truncated: bool,
}

/// One differing field, or one missing record (`field` null).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DiffEntry {
    /// `payment`, `refund`, `invoice`, `stock item`, `order`, `shipment`.
    pub entity: String,
    /// The record's legacy key (a stock item's: its SKU).
    pub legacy_id: LegacyKey,
    /// The field, in the legacy shape (`$.amt`); null for a missing record.
    pub field: Option<String>,
    /// The monolith's value (null if absent).
    pub legacy: Value,
    /// The legacy view of the service's value (null if absent).
    pub new: Value,
}

impl VerifyResult {
    /// No record missing on either side, none differing.
    pub fn passed(&self) -> bool {
        self.missing_in_new == 0 && self.missing_in_legacy == 0 && self.differing_records == 0
    }

    /// The human summary.
    pub fn render(&self) -> String {
        format!(
            "verify {}: {} legacy records, {} new, {} matching, {} missing in new, {} missing in legacy, {} differing: {}\n",
            self.context,
            self.legacy_records,
            self.new_records,
            self.matching_records,
            self.missing_in_new,
            self.missing_in_legacy,
            self.differing_records,
            if self.passed() { "PASSED" } else { "FAILED" }
        )
    }
}

impl DiffEntry {
    /// One line naming the record and field.
    pub fn line(&self) -> String {
        match &self.field {
            None if self.new.is_null() => {
                format!("{} {}: missing in new", self.entity, self.legacy_id)
            }
            None => format!("{} {}: missing in legacy", self.entity, self.legacy_id),
            Some(f) => format!(
                "{} {} {f}: legacy {} ≠ new {}",
                self.entity, self.legacy_id, self.legacy, self.new
            ),
        }
    }
}

/// Collects counts and differences; hands every difference to `report` as it
/// is found (so all are shown even past the cap).
struct Tally<'a> {
    result: VerifyResult,
    report: &'a mut dyn FnMut(&DiffEntry),
}

impl Tally<'_> {
    fn push(&mut self, entry: DiffEntry) {
        (self.report)(&entry);
        if self.result.differences.len() < MAX_DIFFERENCES {
            self.result.differences.push(entry);
        } else {
            self.result.truncated = true;
        }
    }

    fn missing(&mut self, entity: &str, id: LegacyKey, in_new: bool) {
        if in_new {
            self.result.missing_in_new += 1;
        } else {
            self.result.missing_in_legacy += 1;
        }
        let present = Value::Bool(true);
        let (legacy, new) = if in_new {
            (present, Value::Null)
        } else {
            (Value::Null, present)
        };
        self.push(DiffEntry {
            entity: entity.into(),
            legacy_id: id,
            field: None,
            legacy,
            new,
        });
    }

    /// Compares one record present on both sides.
    fn pair(&mut self, entity: &str, id: &LegacyKey, legacy: &Value, new: &Result<Value, String>) {
        let new = match new {
            Ok(v) => v,
            Err(reason) => {
                self.result.differing_records += 1;
                let why = Value::String(format!("no legacy view: {reason}"));
                self.push(DiffEntry {
                    entity: entity.into(),
                    legacy_id: id.clone(),
                    field: Some("$".into()),
                    legacy: legacy.clone(),
                    new: why,
                });
                return;
            }
        };
        if checksum(legacy) == checksum(new) {
            self.result.matching_records += 1;
            return;
        }
        self.result.differing_records += 1;
        let mut out = Vec::new();
        acl::parity::diff(&FieldPath::root(), legacy, new, &mut out);
        for d in out {
            self.push(DiffEntry {
                entity: entity.into(),
                legacy_id: id.clone(),
                field: Some(d.field.to_string()),
                legacy: d.legacy,
                new: d.translated,
            });
        }
    }
}

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
