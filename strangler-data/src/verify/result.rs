//! What a verify run found: counts, and each difference as it is found.

use crate::canonical::checksum;
use crate::source::LegacyKey;
use acl::FieldPath;
use serde::Serialize;
use serde_json::Value;

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
pub(super) struct Tally<'a> {
    pub(super) result: VerifyResult,
    pub(super) report: &'a mut dyn FnMut(&DiffEntry),
}

impl Tally<'_> {
    pub(super) fn push(&mut self, entry: DiffEntry) {
        (self.report)(&entry);
        if self.result.differences.len() < MAX_DIFFERENCES {
            self.result.differences.push(entry);
        } else {
            self.result.truncated = true;
        }
    }

    pub(super) fn missing(&mut self, entity: &str, id: LegacyKey, in_new: bool) {
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
    pub(super) fn pair(
        &mut self,
        entity: &str,
        id: &LegacyKey,
        legacy: &Value,
        new: &Result<Value, String>,
    ) {
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
