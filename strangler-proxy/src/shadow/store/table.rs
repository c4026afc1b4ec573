//! A [`Report`] as plain-text tables, for `strangler shadow report`.

use super::report::Report;
use std::fmt::Write as _;

impl Report {
    /// Renders the routes table with each route's samples by class first,
    /// then each route's differing fields, and the top mismatch groups with
    /// example ids (open one with `example(id)`). Rates are percentages with
    /// one decimal, `-` without samples.
    pub fn to_table(&self) -> String {
        if self.routes.is_empty() {
            return format!(
                "no shadow results since {}\n",
                self.from.format("%Y-%m-%d %H:%M:%S UTC")
            );
        }
        let mut rows = vec![row(&[
            "ROUTE",
            "SAMPLES",
            "MATCH_RATE",
            "MATCH",
            "IGNORED",
            "NOISE",
            "CAND_MISSING",
            "STATUS_DIFF",
            "FIELD_DIFF",
            "CAND_ERR",
            "SKIPPED",
            "DROPPED",
        ])];
        for r in &self.routes {
            let (c, v) = (&r.classes, &r.verdicts);
            rows.push(vec![
                r.route.clone(),
                r.samples.to_string(),
                percent(r.match_rate),
                c.matched.to_string(),
                c.ignored.to_string(),
                c.noise.to_string(),
                c.candidate_missing.to_string(),
                c.status_differs.to_string(),
                c.field_differs.to_string(),
                c.candidate_error.to_string(),
                (v.skipped_unsafe + v.skipped_too_large).to_string(),
                v.dropped_overflow.to_string(),
            ]);
        }
        let mut out = render(&rows);
        for r in self.routes.iter().filter(|r| r.counted_from > self.from) {
            let _ = writeln!(
                out,
                "{}: counted from {} (its current epoch)",
                r.route,
                r.counted_from.format("%Y-%m-%d %H:%M:%S UTC")
            );
        }
        let mut fields = vec![row(&[
            "ROUTE",
            "FIELD",
            "MISMATCHES",
            "RATE",
            "IGNORED",
            "NOISE",
        ])];
        for r in &self.routes {
            for f in &r.fields {
                fields.push(vec![
                    r.route.clone(),
                    f.pattern.clone(),
                    f.mismatches.to_string(),
                    percent(f.mismatch_rate),
                    f.ignored.to_string(),
                    f.noise.to_string(),
                ]);
            }
        }
        if fields.len() > 1 {
            out.push('\n');
            out.push_str(&render(&fields));
        }
        if !self.top_mismatches.is_empty() {
            let mut top = vec![row(&["ROUTE", "FIELD", "COUNT", "EXAMPLES"])];
            for g in &self.top_mismatches {
                let ids: Vec<String> = g.examples.iter().map(i64::to_string).collect();
                top.push(vec![
                    g.route.clone(),
                    g.pattern.clone(),
                    g.count.to_string(),
                    ids.join(","),
                ]);
            }
            out.push_str("\ntop mismatches:\n");
            out.push_str(&render(&top));
        }
        out
    }
}

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| (*c).to_owned()).collect()
}

fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "-".to_owned(), |r| format!("{:.1}%", r * 100.0))
}

/// Left-aligned columns separated by two spaces, no trailing blanks.
fn render(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for r in rows {
        let mut line = String::new();
        for (cell, width) in r.iter().zip(&widths) {
            let _ = write!(line, "{cell:<width$}  ");
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::classes::ResultClasses;
    use super::super::report::{FieldReport, MismatchGroup, RouteReport, VerdictCounts};
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn renders_routes_fields_and_groups() {
        let at = Utc.with_ymd_and_hms(2026, 11, 24, 22, 0, 0).unwrap();
        let verdicts = VerdictCounts {
            matched: 90,
            ignored: 5,
            mismatch: 5,
            ..VerdictCounts::default()
        };
        let report = Report {
            from: at,
            until: at,
            routes: vec![RouteReport {
                route: "payments".into(),
                counted_from: at,
                samples: 100,
                classes: ResultClasses {
                    matched: 90,
                    ignored: 5,
                    field_differs: 3,
                    candidate_missing: 2,
                    ..ResultClasses::default()
                },
                match_rate: Some(0.95),
                exact_match_rate: Some(0.9),
                verdicts,
                fields: vec![FieldReport {
                    pattern: "$.amt".into(),
                    mismatches: 5,
                    ignored: 0,
                    noise: 0,
                    mismatch_rate: Some(0.05),
                }],
            }],
            top_mismatches: vec![MismatchGroup {
                route: "payments".into(),
                pattern: "$.amt".into(),
                count: 5,
                examples: vec![90, 70, 50],
            }],
        };
        let expected = "\
ROUTE     SAMPLES  MATCH_RATE  MATCH  IGNORED  NOISE  CAND_MISSING  STATUS_DIFF  FIELD_DIFF  CAND_ERR  SKIPPED  DROPPED
payments  100      95.0%       90     5        0      2             0            3           0         0        0

ROUTE     FIELD  MISMATCHES  RATE  IGNORED  NOISE
payments  $.amt  5           5.0%  0        0

top mismatches:
ROUTE     FIELD  COUNT  EXAMPLES
payments  $.amt  5      90,70,50
";
        assert_eq!(report.to_table(), expected);
        let empty = Report {
            routes: vec![],
            top_mismatches: vec![],
            ..report
        };
        assert_eq!(
            empty.to_table(),
            "no shadow results since 2026-11-24 22:00:00 UTC\n"
        );
    }
}
