//! `stack retire payments`: the settings side of retiring payments in a
//! running stack. The monolith's file gets `payments.owner = "service"`
//! (every payment call goes to the payment service; its changes are no
//! longer applied), the payment service's no longer lists the monolith's
//! inbox, and both restart to read them. [`crate::wiring`] writes the same
//! at every later start.

use crate::wiring::{edited, replace};
use crate::{control, plan, wiring};
use anyhow::Context;
use std::path::Path;
use toml::{Table, Value};

/// Retires payments in the stack running in `dir`.
pub fn retire(dir: &Path) -> anyhow::Result<()> {
    let monolith_file = plan::monolith_file(dir);
    let read = |file: &Path| {
        std::fs::read_to_string(file).with_context(|| {
            format!(
                "no stack settings in {}: start the stack in this folder first (`cargo run -p stack`)",
                dir.display()
            )
        })
    };
    let monolith = read(&monolith_file)?;
    if wiring::is_retired(&monolith) {
        println!("payments are already retired in this stack: nothing changed");
        return Ok(());
    }
    let payment_file = plan::payment_file(dir);
    let monolith_inbox = format!("{}/inbox", env_value(dir, "MONOLITH")?);
    let payment = edited(&read(&payment_file)?, |table| {
        let events = section(table, "events")?;
        if let Some(Value::Array(subscribers)) = events.get_mut("subscribers") {
            subscribers.retain(|s| s.as_str() != Some(monolith_inbox.as_str()));
        }
        Ok(())
    })?;
    let monolith = edited(&monolith, |table| {
        section(table, "payments")?.insert("owner".into(), "service".into());
        Ok(())
    })?;
    // The service first: once it no longer sends, the monolith stops applying.
    replace(&payment_file, &payment)?;
    control::restart(dir, "payment").context("restarting the payment service")?;
    replace(&monolith_file, &monolith)?;
    control::restart(dir, "monolith").context("restarting the monolith")?;
    println!(
        "payments retired in the stack: the monolith's payments.owner = \"service\" (every payment \
         call goes to the payment service), and the payment service no longer sends its changes \
         to the monolith; both restarted"
    );
    Ok(())
}

fn section<'a>(table: &'a mut Table, name: &str) -> anyhow::Result<&'a mut Table> {
    table
        .get_mut(name)
        .and_then(Value::as_table_mut)
        .with_context(|| format!("the settings file has no [{name}]"))
}

/// A variable of the run's `data/stack.env` (`export NAME='value'`).
fn env_value(dir: &Path, name: &str) -> anyhow::Result<String> {
    let file = dir.join("data").join("stack.env");
    let text = std::fs::read_to_string(&file)
        .with_context(|| format!("cannot read {}", file.display()))?;
    text.lines()
        .find_map(|line| line.strip_prefix(&format!("export {name}=")))
        .map(|value| value.trim_matches('\'').to_owned())
        .with_context(|| format!("{} has no {name}", file.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edit_keeps_the_header_and_changes_only_what_it_names() {
        let text = "# Written by the local stack\n# for the monolith.\n\n[payments]\nowner = \"flags\"\nservice_url = \"http://x\"\n";
        let out = edited(text, |t| {
            section(t, "payments")?.insert("owner".into(), "service".into());
            Ok(())
        })
        .unwrap();
        assert!(out.starts_with("# Written by the local stack\n# for the monolith.\n"));
        assert!(wiring::is_retired(&out));
        assert!(out.contains("service_url = \"http://x\""));
        let missing = edited(text, |t| section(t, "events").map(|_| ())).unwrap_err();
        assert!(missing.to_string().contains("no [events]"), "{missing}");
    }
}
