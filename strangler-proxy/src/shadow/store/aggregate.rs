//! The report queries: sums of the counters per route over the window (from
//! the start of the route's counting, when that is later), grouped by
//! verdict, statuses and field pattern, assembled into a [`Report`]
//! (definitions there); the examples come from the results kept whole. Each result is classified by [`ResultClass::of`], the one place
//! that decides what a sample says.

use super::classes::{ResultClass, ResultClasses};
use super::epochs::counting_from;
use super::model::{DiffKind, Verdict};
use super::report::{
    FieldReport, GateStats, MismatchGroup, Report, RouteReport, VerdictCounts, rate,
};
use super::retention::cutoff;
use super::schema::{
    shadow_counts as c, shadow_differences as d, shadow_field_counts as f, shadow_results as r,
};
use super::{ShadowStore, StoreError};
use chrono::Utc;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use platform::db::AnyConnection;
use std::collections::BTreeMap;
use std::time::Duration;

/// How many mismatch groups a report lists.
const TOP_GROUPS: usize = 10;
/// How many example result ids each mismatch group carries.
const GROUP_EXAMPLES: i64 = 3;

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// `SUM(n)` as a BIGINT on both backends (PostgreSQL sums BIGINT to NUMERIC).
fn summed() -> diesel::expression::SqlLiteral<BigInt> {
    sql::<BigInt>("CAST(SUM(n) AS BIGINT)")
}

impl ShadowStore {
    /// Summarises results of the last `since` for `route`, or for every route
    /// with results in that window.
    pub async fn report(&self, route: Option<&str>, since: Duration) -> Result<Report, StoreError> {
        let until = Utc::now();
        let from = cutoff(until, since);
        let route = route.map(str::to_owned);
        self.db
            .read(move |conn| {
                let names = match route {
                    Some(route) => vec![route],
                    None => c::table
                        .filter(c::first_at.ge(from))
                        .select(c::route)
                        .distinct()
                        .order(c::route.asc())
                        .load(conn)?,
                };
                let mut routes = Vec::with_capacity(names.len());
                let mut starts = BTreeMap::new();
                for name in names {
                    let start = counting_from(conn, &name, from)?;
                    let counts = route_counts(conn, start, &name)?;
                    if counts.verdicts == VerdictCounts::default() {
                        continue;
                    }
                    let fields = field_counts(conn, start, &name)?;
                    routes.push(assemble(name.clone(), start, counts, fields));
                    starts.insert(name, start);
                }
                let top_mismatches = top_groups(conn, &starts, &routes)?;
                Ok(Report {
                    from: from.and_utc(),
                    until,
                    routes,
                    top_mismatches,
                })
            })
            .await
    }

    /// The promotion gate's counts for `route` over the last `since` (from
    /// the start of its counting, when that is later); all zero for a route
    /// without results.
    pub async fn gate_stats(&self, route: &str, since: Duration) -> Result<GateStats, StoreError> {
        let from = cutoff(Utc::now(), since);
        let route = route.to_owned();
        self.db
            .read(move |conn| {
                let start = counting_from(conn, &route, from)?;
                Ok(GateStats::from_classes(
                    route_counts(conn, start, &route)?.classes,
                ))
            })
            .await
    }
}

type Since = chrono::NaiveDateTime;

/// One route's results by stored verdict and by class.
#[derive(Default)]
struct Counts {
    verdicts: VerdictCounts,
    classes: ResultClasses,
}

fn route_counts(conn: &mut AnyConnection, from: Since, route: &str) -> Result<Counts, StoreError> {
    let rows = c::table
        .filter(c::first_at.ge(from))
        .filter(c::route.eq(route))
        .group_by((c::verdict, c::primary_status, c::candidate_status))
        .select((c::verdict, c::primary_status, c::candidate_status, summed()))
        .load::<(String, i32, Option<i32>, i64)>(conn)?;
    let mut out = Counts::default();
    for (verdict, primary, candidate, n) in rows {
        let verdict: Verdict = verdict
            .parse()
            .map_err(|reason| StoreError::Corrupt { id: 0, reason })?;
        let status = |s: i32| u16::try_from(s).unwrap_or(0);
        let n = count(n);
        out.verdicts.add(verdict, n);
        if let Some(class) = ResultClass::of(verdict, status(primary), candidate.map(status)) {
            out.classes.add(class, n);
        }
    }
    Ok(out)
}

/// Results whose candidate lacks the record ([`ResultClass::CandidateMissing`])
/// are left out of the per-field counts (see `Batch::add`) and of the examples:
/// their fields all differ only because the record is not there.
macro_rules! not_candidate_missing {
    () => {
        r::verdict
            .ne(Verdict::Mismatch.as_str())
            .or(r::primary_status.not_between(200, 299))
            .or(r::candidate_status.is_null())
            .or(r::candidate_status.ne(404).assume_not_null())
    };
}

/// (pattern, kind) → results with such a difference.
type FieldRows = Vec<(String, DiffKind, u64)>;

fn field_counts(
    conn: &mut AnyConnection,
    from: Since,
    route: &str,
) -> Result<FieldRows, StoreError> {
    f::table
        .filter(f::first_at.ge(from))
        .filter(f::route.eq(route))
        .group_by((f::pattern, f::kind))
        .select((f::pattern, f::kind, summed()))
        .load::<(String, String, i64)>(conn)?
        .into_iter()
        .map(|(pattern, kind, n)| {
            let kind = kind
                .parse()
                .map_err(|reason| StoreError::Corrupt { id: 0, reason })?;
            Ok((pattern, kind, count(n)))
        })
        .collect()
}

fn assemble(route: String, start: Since, counts: Counts, rows: FieldRows) -> RouteReport {
    let mut per_pattern: BTreeMap<String, FieldReport> = BTreeMap::new();
    for (pattern, kind, n) in rows {
        let field = per_pattern.entry(pattern.clone()).or_insert(FieldReport {
            pattern,
            mismatches: 0,
            ignored: 0,
            noise: 0,
            mismatch_rate: None,
        });
        match kind {
            DiffKind::Mismatch => field.mismatches += n,
            DiffKind::Ignored => field.ignored += n,
            DiffKind::Noise => field.noise += n,
        }
    }
    let samples = counts.classes.total();
    let mut fields: Vec<FieldReport> = per_pattern
        .into_values()
        .map(|f| FieldReport {
            mismatch_rate: rate(f.mismatches, samples),
            ..f
        })
        .collect();
    // Stable sort keeps patterns alphabetical within equal counts.
    fields.sort_by_key(|f| std::cmp::Reverse(f.mismatches));
    RouteReport {
        route,
        counted_from: start.and_utc(),
        samples,
        match_rate: rate(counts.classes.matching(), samples),
        exact_match_rate: rate(counts.classes.matched, samples),
        classes: counts.classes,
        verdicts: counts.verdicts,
        fields,
    }
}

fn top_groups(
    conn: &mut AnyConnection,
    starts: &BTreeMap<String, Since>,
    routes: &[RouteReport],
) -> Result<Vec<MismatchGroup>, StoreError> {
    let mut groups: Vec<MismatchGroup> = routes
        .iter()
        .flat_map(|r| {
            r.fields
                .iter()
                .filter(|f| f.mismatches > 0)
                .map(|f| MismatchGroup {
                    route: r.route.clone(),
                    pattern: f.pattern.clone(),
                    count: f.mismatches,
                    examples: Vec::new(),
                })
        })
        .collect();
    groups.sort_by_key(|g| std::cmp::Reverse(g.count));
    groups.truncate(TOP_GROUPS);
    for group in &mut groups {
        let from = starts.get(&group.route).copied().unwrap_or_default();
        group.examples = d::table
            .inner_join(r::table)
            .filter(r::created_at.ge(from))
            .filter(not_candidate_missing!())
            .filter(r::route.eq(&group.route))
            .filter(d::pattern.eq(&group.pattern))
            .filter(d::kind.eq(DiffKind::Mismatch.as_str()))
            .select(d::result_id)
            .distinct()
            .order(d::result_id.desc())
            .limit(GROUP_EXAMPLES)
            .load(conn)?;
    }
    Ok(groups)
}
