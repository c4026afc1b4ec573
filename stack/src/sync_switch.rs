//! `stack sync on` and `stack sync off`: whether the monolith's outbox relay
//! delivers its payment changes to the payment service ([`crate::wiring`]).
//! The switch is the `[events] transport` of the monolith's settings file in
//! the run's folder; the monolith reads it at start, so the command rewrites
//! it and has the running stack restart the monolith ([`crate::control`]).

use crate::{control, plan, wiring};
use anyhow::Context;
use std::path::Path;

/// Turns the monolith's relay on or off in the stack running in `dir`.
pub fn switch(dir: &Path, on: bool) -> anyhow::Result<()> {
    let file = plan::monolith_file(dir);
    let text = std::fs::read_to_string(&file).with_context(|| {
        format!(
            "no stack settings in {}: start the stack in this folder first (`cargo run -p stack`)",
            dir.display()
        )
    })?;
    let state = if on { "on" } else { "off" };
    if wiring::sync_is_on(&text) == on {
        println!("sync is already {state}: nothing changed");
        return Ok(());
    }
    wiring::replace(&file, &wiring::switched(&text, on)?)?;
    control::restart(dir, "monolith").context("restarting the monolith")?;
    if on {
        println!(
            "sync on: the monolith delivers its payment changes to the payment service, \
             those its outbox kept first; the service's changes reach the monolith as before"
        );
    } else {
        println!(
            "sync off: the monolith keeps its payment changes in its outbox until `stack sync on`"
        );
    }
    Ok(())
}
