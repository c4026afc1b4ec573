//! Retiring a route: once it has served from `new` long enough, the legacy
//! side stops being a target (no fallback, no flag asked, no shadow). Only
//! when nothing is left behind: the route in `new`; for a route with
//! `data`, the last verify of that context passed within
//! `gate.verify_max_age` (the gate's rule for `new`); for a route with
//! `sync = true`, both directions read now, relayed, and drained (0 changes
//! pending). Retirement is `retired = true` on the route in the settings
//! file, written here and put in force by a reload, so it reads like every
//! other route setting and holds across restarts. Every attempt is recorded
//! as a decision, granted or refused, with what it was judged on.

use super::{Gate, SyncCheck, VerifyCheck};
use crate::proxy::Proxy;
use crate::proxy::decide::{Mode, current_mode};
use crate::reload::Reloader;
use crate::routes::Route;
use crate::shadow::store::Decision;
use crate::sync_lag::{Direction, Measured};
use chrono::Utc;
use platform::Problem;
use serde_json::{Value, json};
use std::path::Path;

impl Gate {
    /// Retires `route` if nothing is left behind: sets `retired = true` on
    /// it in the settings file and reloads; records the decision either way.
    pub async fn retire(
        &self,
        proxy: &Proxy,
        reloader: &Reloader,
        route: &str,
    ) -> Result<Value, Problem> {
        let table = proxy.table();
        let found = table.routes().iter().find(|r| r.name == route);
        let route = found.ok_or_else(|| Problem::not_found(format!("no route named `{route}`")))?;
        let from = current_mode(&proxy.flags().snapshot(), route);
        if from == Mode::Retired {
            return Ok(
                json!({ "route": route.name, "from": "retired", "to": "retired", "outcome": "unchanged" }),
            );
        }
        let (verify, sync) = self.evidence(proxy, route).await?;
        let mut failed: Vec<String> = Vec::new();
        if from != Mode::New {
            failed.push(format!(
                "it is in {}, not new: the new side must serve everyone first (`strangler promote {} --to new`)",
                from.as_str(),
                route.name
            ));
        }
        failed.extend(verify.iter().filter_map(|v| v.why.clone()));
        failed.extend(sync.iter().filter_map(undrained));
        let evidence = json!({ "verify": verify, "sync": sync });
        let why = (!failed.is_empty()).then(|| failed.join("; "));
        let decision = |outcome: &str, reason: String| Decision {
            route: route.name.clone(),
            action: "retire".into(),
            from_mode: from.as_str().into(),
            to_mode: Mode::Retired.as_str().into(),
            outcome: outcome.into(),
            forced: false,
            reason,
            evidence: evidence.clone(),
        };
        let store = proxy.shadow().store();
        if let Some(why) = why {
            store
                .record_decision(decision("refused", why.clone()))
                .await?;
            return Err(Problem::conflict(format!(
                "retirement of `{}` refused: {why}",
                route.name
            ))
            .with("evidence", evidence.clone()));
        }
        let file = reloader.path().ok_or_else(|| {
            Problem::conflict(format!(
                "the proxy runs without a settings file: set `retired = true` on route `{}` where its routes are configured",
                route.name
            ))
        })?;
        mark_retired(file, &route.name, reloader).map_err(Problem::conflict)?;
        store
            .record_decision(decision("granted", "nothing left behind".into()))
            .await?;
        Ok(
            json!({ "route": route.name, "from": from.as_str(), "to": "retired", "outcome": "granted", "verify": verify, "sync": sync }),
        )
    }

    /// The route's last verify (with `data`) and its sync directions read
    /// now (with `sync = true`), judged by the gate's rules.
    async fn evidence(
        &self,
        proxy: &Proxy,
        route: &Route,
    ) -> Result<(Option<VerifyCheck>, Vec<SyncCheck>), Problem> {
        let (rules, now) = (self.rules(), Utc::now());
        let Some(context) = route.data.as_deref() else {
            return Ok((None, Vec::new()));
        };
        let last = proxy.shadow().store().last_verify_run(context).await?;
        let verify = rules.verify_check(context, last.as_ref(), now);
        if !route.sync {
            return Ok((Some(verify), Vec::new()));
        }
        let readings = self.sync().read_now(&proxy.table(), context).await;
        let sync = Direction::BOTH
            .iter()
            .map(|&direction| {
                let reading = readings.iter().find(|r| r.direction == direction);
                rules.sync_check(context, direction, reading, now)
            })
            .collect();
        Ok((Some(verify), sync))
    }
}

/// Why a sync direction is not drained: the gate's reason, or changes
/// still pending (a write the other side has not applied yet).
fn undrained(check: &SyncCheck) -> Option<String> {
    if check.why.is_some() {
        return check.why.clone();
    }
    match check.reading.as_ref().map(|r| &r.measured) {
        Some(Measured::Known { pending, .. }) if *pending > 0 => Some(format!(
            "sync {} of `{}` has {pending} changes pending: wait until they are delivered",
            check.direction.arrow(),
            check.context
        )),
        _ => None,
    }
}

/// Sets `retired = true` on route `name` in the settings `file` (comments
/// and layout kept; the file replaced whole), then reloads; a reload that
/// refuses the result puts the file back as it was.
fn mark_retired(file: &Path, name: &str, reloader: &Reloader) -> Result<(), String> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let edited = retired_in(&text, name).map_err(|e| format!("{}: {e}", file.display()))?;
    replace(file, &edited)?;
    if let Err(e) = reloader.reload() {
        replace(file, &text)?;
        let _ = reloader.reload();
        return Err(format!(
            "the route table with `{name}` retired was refused: {e}"
        ));
    }
    Ok(())
}

/// `text` (a settings file) with `retired = true` on route `name`.
pub(crate) fn retired_in(text: &str, name: &str) -> Result<String, String> {
    let mut doc: toml_edit::DocumentMut = text.parse().map_err(|e| format!("{e}"))?;
    let route = doc
        .get_mut("routes")
        .and_then(toml_edit::Item::as_array_of_tables_mut)
        .and_then(|routes| {
            routes
                .iter_mut()
                .find(|r| r.get("name").and_then(toml_edit::Item::as_str) == Some(name))
        })
        .ok_or_else(|| format!("no [[routes]] entry named `{name}` to set `retired = true` on"))?;
    route.insert("retired", toml_edit::value(true));
    Ok(doc.to_string())
}

fn replace(file: &Path, text: &str) -> Result<(), String> {
    let temporary = file.with_extension("retire.tmp");
    std::fs::write(&temporary, text)
        .and_then(|()| std::fs::rename(&temporary, file))
        .map_err(|e| format!("cannot write {}: {e}", file.display()))
}

#[cfg(test)]
mod tests {
    use super::retired_in;

    #[test]
    fn retired_is_set_on_the_named_route_only_and_comments_stay() {
        let text = "# the plan\n[[routes]]\nname = \"payments\"  # moved\nnew = \"http://n\"\n[routes.flags]\nnew = \"p.new\"\n\n[[routes]]\nname = \"invoices\"\n";
        let edited = retired_in(text, "payments").unwrap();
        assert!(
            edited.contains("# the plan") && edited.contains("# moved"),
            "{edited}"
        );
        let doc: toml_edit::DocumentMut = edited.parse().unwrap();
        let routes = &doc["routes"];
        assert_eq!(routes[0]["retired"].as_bool(), Some(true));
        assert_eq!(routes[0]["flags"]["new"].as_str(), Some("p.new"));
        assert!(routes[1].get("retired").is_none());
        let again = retired_in(&edited, "payments").unwrap();
        assert_eq!(again, edited, "setting it twice changes nothing");
        let missing = retired_in(text, "orders").unwrap_err();
        assert!(
            missing.contains("no [[routes]] entry named `orders`"),
            "{missing}"
        );
    }
}
