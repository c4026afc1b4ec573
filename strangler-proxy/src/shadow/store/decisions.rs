//! The audit trail of route decisions: promotions (granted, refused, forced)
//! and rollbacks, each with the numbers it was decided on.

use super::schema::route_decisions;
use super::{ShadowStore, StoreError};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

/// A decision to record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// The route.
    pub route: String,
    /// `promote` or `rollback`.
    pub action: String,
    /// Mode before.
    pub from_mode: String,
    /// Mode asked for.
    pub to_mode: String,
    /// `granted`, `refused` or `forced`.
    pub outcome: String,
    /// Whether an operator overrode the gate.
    pub forced: bool,
    /// Why: the operator's reason, or what the gate or watchdog saw.
    pub reason: String,
    /// The numbers (JSON), e.g. samples and match rate.
    pub evidence: serde_json::Value,
}

/// A recorded decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredDecision {
    /// Its id.
    pub id: i64,
    /// What was decided.
    #[serde(flatten)]
    pub decision: Decision,
    /// When.
    pub at: DateTime<Utc>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = route_decisions)]
struct Row {
    id: i64,
    route: String,
    action: String,
    from_mode: String,
    to_mode: String,
    outcome: String,
    forced: bool,
    reason: String,
    evidence: String,
    created_at: NaiveDateTime,
}

impl ShadowStore {
    /// Records a decision; returns its id.
    pub async fn record_decision(&self, d: Decision) -> Result<i64, StoreError> {
        let evidence = d.evidence.to_string();
        let now = Utc::now().naive_utc();
        self.db()
            .write(move |conn| {
                let id = diesel::insert_into(route_decisions::table)
                    .values((
                        route_decisions::route.eq(&d.route),
                        route_decisions::action.eq(&d.action),
                        route_decisions::from_mode.eq(&d.from_mode),
                        route_decisions::to_mode.eq(&d.to_mode),
                        route_decisions::outcome.eq(&d.outcome),
                        route_decisions::forced.eq(d.forced),
                        route_decisions::reason.eq(&d.reason),
                        route_decisions::evidence.eq(&evidence),
                        route_decisions::created_at.eq(now),
                    ))
                    .returning(route_decisions::id)
                    .get_result::<i64>(conn)?;
                Ok::<_, StoreError>(id)
            })
            .await
    }

    /// The latest `limit` decisions, newest first, for one route or all.
    pub async fn decisions(
        &self,
        route: Option<String>,
        limit: i64,
    ) -> Result<Vec<StoredDecision>, StoreError> {
        let rows: Vec<Row> = self
            .db()
            .read(move |conn| {
                let mut query = route_decisions::table.select(Row::as_select()).into_boxed();
                if let Some(route) = route {
                    query = query.filter(route_decisions::route.eq(route));
                }
                Ok::<_, StoreError>(
                    query
                        .order(route_decisions::id.desc())
                        .limit(limit)
                        .load(conn)?,
                )
            })
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| StoredDecision {
                id: r.id,
                decision: Decision {
                    route: r.route,
                    action: r.action,
                    from_mode: r.from_mode,
                    to_mode: r.to_mode,
                    outcome: r.outcome,
                    forced: r.forced,
                    reason: r.reason,
                    evidence: serde_json::from_str(&r.evidence).unwrap_or(serde_json::Value::Null),
                },
                at: r.created_at.and_utc(),
            })
            .collect())
    }
}
