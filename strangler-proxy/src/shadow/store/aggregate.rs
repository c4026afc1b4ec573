//! The report queries: SQL aggregates over the window, grouped per route,
//! verdict and field pattern, assembled into a [`Report`] (definitions there).

use super::model::{DiffKind, Verdict};
use super::report::{
    FieldReport, GateStats, MismatchGroup, Report, RouteReport, VerdictCounts, rate,
};
use super::retention::cutoff;
use super::schema::{shadow_differences as d, shadow_results as r};
use super::{ShadowStore, StoreError};
use chrono::Utc;
use diesel::IntoSql;
use diesel::dsl::{count as count_of, count_star};
use diesel::prelude::*;
use diesel::sql_types::Bool;
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

impl ShadowStore {
    /// Summarises results of the last `since` for `route`, or for every route.
    pub async fn report(&self, route: Option<&str>, since: Duration) -> Result<Report, StoreError> {
        let until = Utc::now();
        let from = cutoff(until, since);
        let route = route.map(str::to_owned);
        self.db
            .read(move |conn| {
                let verdicts = verdict_counts(conn, from, route.as_deref())?;
                let fields = field_counts(conn, from, route.as_deref())?;
                let routes = assemble(verdicts, fields);
                let top_mismatches = top_groups(conn, from, &routes)?;
                Ok(Report {
                    from: from.and_utc(),
                    until,
                    routes,
                    top_mismatches,
                })
            })
            .await
    }

    /// The promotion gate's counts for `route` over the last `since`; all zero
    /// for a route without results.
    pub async fn gate_stats(&self, route: &str, since: Duration) -> Result<GateStats, StoreError> {
        let from = cutoff(Utc::now(), since);
        let route = route.to_owned();
        self.db
            .read(move |conn| {
                let counts = verdict_counts(conn, from, Some(&route))?
                    .remove(&route)
                    .unwrap_or_default();
                Ok(GateStats {
                    samples: counts.samples(),
                    matches: counts.matched,
                    mismatches: counts.mismatch,
                    ignored_only: counts.ignored,
                    noise_only: counts.noise,
                    candidate_errors: counts.candidate_error,
                })
            })
            .await
    }
}

type Since = chrono::NaiveDateTime;

/// `route = $name OR $all`: one query shape for one route or all of them
/// (diesel cannot box grouped queries to add the filter conditionally).
fn in_scope(
    route: Option<&str>,
) -> diesel::dsl::Or<diesel::dsl::Eq<r::route, String>, diesel::dsl::AsExprOf<bool, Bool>> {
    r::route
        .eq(route.unwrap_or_default().to_owned())
        .or(route.is_none().into_sql::<Bool>())
}

fn verdict_counts(
    conn: &mut AnyConnection,
    from: Since,
    route: Option<&str>,
) -> Result<BTreeMap<String, VerdictCounts>, StoreError> {
    let rows = r::table
        .filter(r::created_at.ge(from))
        .filter(in_scope(route))
        .group_by((r::route, r::verdict))
        .select((r::route, r::verdict, count_star()))
        .load::<(String, String, i64)>(conn)?;
    let mut out: BTreeMap<String, VerdictCounts> = BTreeMap::new();
    for (route, verdict, n) in rows {
        let verdict: Verdict = verdict
            .parse()
            .map_err(|reason| StoreError::Corrupt { id: 0, reason })?;
        out.entry(route).or_default().add(verdict, count(n));
    }
    Ok(out)
}

/// (route, pattern, kind) → results with such a difference.
type FieldRows = Vec<(String, String, DiffKind, u64)>;

fn field_counts(
    conn: &mut AnyConnection,
    from: Since,
    route: Option<&str>,
) -> Result<FieldRows, StoreError> {
    // Distinct result ids: `$.items[*].amt` may differ several times in one result.
    d::table
        .inner_join(r::table)
        .filter(r::created_at.ge(from))
        .filter(in_scope(route))
        .group_by((r::route, d::pattern, d::kind))
        .select((
            r::route,
            d::pattern,
            d::kind,
            count_of(d::result_id).aggregate_distinct(),
        ))
        .load::<(String, String, String, i64)>(conn)?
        .into_iter()
        .map(|(route, pattern, kind, n)| {
            let kind = kind
                .parse()
                .map_err(|reason| StoreError::Corrupt { id: 0, reason })?;
            Ok((route, pattern, kind, count(n)))
        })
        .collect()
}

fn assemble(verdicts: BTreeMap<String, VerdictCounts>, fields: FieldRows) -> Vec<RouteReport> {
    let mut per_route: BTreeMap<String, BTreeMap<String, FieldReport>> = BTreeMap::new();
    for (route, pattern, kind, n) in fields {
        let field = per_route
            .entry(route)
            .or_default()
            .entry(pattern.clone())
            .or_insert(FieldReport {
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
    verdicts
        .into_iter()
        .map(|(route, verdicts)| {
            let samples = verdicts.samples();
            let mut fields: Vec<FieldReport> = per_route
                .remove(&route)
                .unwrap_or_default()
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
                samples,
                match_rate: rate(verdicts.matched, samples),
                agreement_rate: rate(
                    verdicts.matched + verdicts.ignored + verdicts.noise,
                    samples,
                ),
                verdicts,
                fields,
            }
        })
        .collect()
}

fn top_groups(
    conn: &mut AnyConnection,
    from: Since,
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
        group.examples = d::table
            .inner_join(r::table)
            .filter(r::created_at.ge(from))
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
