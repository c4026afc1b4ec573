//! How the monolith and the payment service are wired to each other in one
//! run: the settings files the stack writes for them (`data/stack/
//! monolith.toml`, `data/stack/payment.toml`), small overlays on each
//! binary's embedded defaults (its `config/default.toml`, the reference; the
//! tests load them through the binaries' own settings structs).
//!
//! - **Sync both ways** (docs/data.md, "Sync while both sides live"): the
//!   monolith relays its `legacy.*.changed` to the payment service's inbox,
//!   the service relays its events to fulfillment's inbox and the monolith's;
//!   over JetStream instead with `--nats`.
//! - **Branch by abstraction**: the monolith's payments port asks the proxy's
//!   flags (the same file, or the same Unleash server) who owns a payment.
//!
//! `stack retire payments` ([`crate::retire`]) writes both again with
//! `retired`: the monolith's `payments.owner = "service"`, and the service's
//! events no longer sent to the monolith.
//!
//! The monolith's relay starts **paused** (`transport = "off"`): its outbox
//! records every change from the first write on, and delivers them, oldest
//! first, once `stack sync on` ([`crate::sync_switch`]) lets it, after the
//! backfill copied the history. The service's direction is never paused: an
//! HTTP relay marks an event delivered when every subscriber took it, so
//! leaving the monolith out for a while would lose its events for good.

use crate::layout::{Part, Ports};
use crate::route_table::{FlagsSource, point_flags};
use anyhow::Context;
use std::path::Path;
use toml::{Table, Value};

/// What the two files depend on.
#[derive(Debug, Clone)]
pub struct Wiring<'a> {
    /// Where the parts listen.
    pub ports: &'a Ports,
    /// `--nats`: events over JetStream instead of HTTP inboxes.
    pub nats: Option<&'a str>,
    /// Where the proxy reads its flags.
    pub flags: &'a FlagsSource<'a>,
    /// Whether the monolith's relay delivers (`stack sync on`).
    pub sync: bool,
    /// Whether payments are retired (`stack retire payments`): the service
    /// owns every payment and no longer sends its changes to the monolith.
    pub retired: bool,
}

/// The monolith's relay transport while sync is paused.
const PAUSED: &str = "off";
/// The monolith's payments owner once payments are retired.
const RETIRED: &str = "service";

impl Wiring<'_> {
    fn events(&self, subscribers: Vec<String>) -> Table {
        let mut events = Table::new();
        events.insert(
            "transport".into(),
            if self.nats.is_some() { "nats" } else { "http" }.into(),
        );
        events.insert("subscribers".into(), subscribers.into());
        if let Some(url) = self.nats {
            events.insert("nats_url".into(), url.into());
        }
        events
    }

    fn inbox(&self, part: Part) -> String {
        format!("{}/inbox", self.ports.url(part))
    }

    /// `data/stack/monolith.toml`.
    pub fn monolith_settings(&self) -> anyhow::Result<String> {
        let mut flags = Table::new();
        point_flags(&mut flags, self.flags);
        let mut payments = Table::new();
        payments.insert(
            "owner".into(),
            if self.retired { RETIRED } else { "flags" }.into(),
        );
        payments.insert("service_url".into(), self.ports.url(Part::Payment).into());
        // Both directions are wired: the port's own writes wait out a handover.
        payments.insert("sync".into(), (!self.retired).into());
        payments.insert("flags".into(), flags.into());

        let mut events = self.events(vec![self.inbox(Part::Payment)]);
        if !self.sync {
            events.insert("transport".into(), PAUSED.into());
        }
        let mut table = Table::new();
        table.insert("payments".into(), payments.into());
        table.insert("events".into(), events.into());
        written(
            "the monolith: its payments port asks the proxy's flags who owns a payment;\n\
             # its payment changes go to the payment service (`transport = \"off\"`: kept\n\
             # in its outbox until `stack sync on`).",
            &table,
        )
    }

    /// `data/stack/payment.toml`.
    pub fn payment_settings(&self) -> anyhow::Result<String> {
        let mut subscribers = vec![self.inbox(Part::Fulfillment)];
        if !self.retired {
            subscribers.push(self.inbox(Part::Monolith));
        }
        let mut table = Table::new();
        table.insert("events".into(), self.events(subscribers).into());
        written(
            "the payment service: its events go to fulfillment and, until payments\n\
             # are retired, to the monolith.",
            &table,
        )
    }
}

fn written(what: &str, table: &Table) -> anyhow::Result<String> {
    Ok(format!(
        "# Written by the local stack (`cargo run -p stack`) for {what}\n\n{}",
        toml::to_string(table).context("writing a part's settings")?
    ))
}

/// Whether the monolith's settings `text` give every payment to the service.
pub fn is_retired(text: &str) -> bool {
    let table: Option<Table> = text.parse().ok();
    table
        .as_ref()
        .and_then(|t| t.get("payments")?.get("owner")?.as_str())
        == Some(RETIRED)
}

/// Whether payments were retired in the run before, by the monolith's file
/// it left in `file`.
pub fn was_retired(file: &Path) -> bool {
    std::fs::read_to_string(file).is_ok_and(|text| is_retired(&text))
}

/// Whether the monolith's settings `text` let its relay deliver.
pub fn sync_is_on(text: &str) -> bool {
    transport(text).is_some_and(|t| t != PAUSED)
}

fn transport(text: &str) -> Option<String> {
    let table: Table = text.parse().ok()?;
    let events = table.get("events")?.as_table()?;
    Some(events.get("transport")?.as_str()?.to_owned())
}

/// Whether sync was on in the run before, by the monolith's file it left in
/// `file` (none: a first run, paused).
pub fn was_on(file: &Path) -> bool {
    std::fs::read_to_string(file).is_ok_and(|text| sync_is_on(&text))
}

/// The monolith's settings `text` with its relay delivering (`on`) or
/// paused: over JetStream when the file names a NATS server, else HTTP.
pub fn switched(text: &str, on: bool) -> anyhow::Result<String> {
    edited(text, |table| {
        let events = table
            .get_mut("events")
            .and_then(Value::as_table_mut)
            .context("the monolith's settings file has no [events]")?;
        let transport = match (on, events.contains_key("nats_url")) {
            (false, _) => PAUSED,
            (true, true) => "nats",
            (true, false) => "http",
        };
        events.insert("transport".into(), transport.into());
        Ok(())
    })
}

/// A part's settings `text` changed by `change`, its leading comment kept.
pub fn edited(
    text: &str,
    change: impl FnOnce(&mut Table) -> anyhow::Result<()>,
) -> anyhow::Result<String> {
    let mut table: Table = text.parse().context("a part's settings file")?;
    change(&mut table)?;
    let header: String = text
        .lines()
        .take_while(|l| l.starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect();
    Ok(format!(
        "{header}\n{}",
        toml::to_string(&table).context("writing a part's settings")?
    ))
}

/// Replaces a part's settings `file` with `text`, whole or not at all: the
/// part may restart (after a crash) any time.
pub fn replace(file: &Path, text: &str) -> anyhow::Result<()> {
    let temporary = file.with_extension("toml.tmp");
    std::fs::write(&temporary, text)
        .and_then(|()| std::fs::rename(&temporary, file))
        .with_context(|| format!("cannot write {}", file.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn load_monolith(text: &str) -> monolith::settings::Settings {
        monolith::settings::Settings::load(Some(&temporary("monolith.toml", text))).unwrap()
    }

    fn temporary(name: &str, text: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("wiring-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join(name);
        std::fs::write(&file, text).unwrap();
        file
    }

    fn wiring<'a>(
        ports: &'a Ports,
        flags: &'a FlagsSource<'a>,
        nats: Option<&'a str>,
    ) -> Wiring<'a> {
        Wiring {
            ports,
            nats,
            flags,
            sync: false,
            retired: false,
        }
    }

    #[test]
    fn the_monolith_starts_paused_owned_by_flags_and_sync_switches_it() {
        let ports = Ports::new(9000).unwrap();
        let flags = FlagsSource::File(Path::new("/d/flags.json"));
        let text = wiring(&ports, &flags, None).monolith_settings().unwrap();
        let settings = load_monolith(&text);
        assert_eq!(
            settings.payments.owner,
            monolith::settings::PaymentsOwner::Flags
        );
        assert_eq!(settings.payments.service_url, "http://127.0.0.1:9082");
        assert_eq!(settings.payments.flags.file, PathBuf::from("/d/flags.json"));
        assert_eq!(settings.events.subscribers, ["http://127.0.0.1:9082/inbox"]);
        assert!(settings.payments.sync, "its own writes wait out a handover");
        assert!(!sync_is_on(&text));

        let on = switched(&text, true).unwrap();
        assert!(on.starts_with("# Written by the local stack"), "{on}");
        assert!(sync_is_on(&on));
        assert_eq!(
            load_monolith(&on).events.transport,
            platform::relay::Transport::Http
        );
        assert!(!sync_is_on(&switched(&on, false).unwrap()));
    }

    #[test]
    fn with_nats_both_sides_use_jetstream_and_the_server_s_flags() {
        let ports = Ports::default();
        let flags = FlagsSource::Server {
            file: Path::new("/d/flags.json"),
            api_url: "http://127.0.0.1:8242/api".into(),
            token: "default:development.x",
        };
        let w = wiring(&ports, &flags, Some("127.0.0.1:4222"));
        let on = switched(&w.monolith_settings().unwrap(), true).unwrap();
        let monolith = load_monolith(&on);
        assert_eq!(monolith.events.transport, platform::relay::Transport::Nats);
        assert_eq!(monolith.events.nats_url, "127.0.0.1:4222");
        assert_eq!(
            monolith.payments.flags.server_url,
            "http://127.0.0.1:8242/api"
        );

        let file = temporary("payment.toml", &w.payment_settings().unwrap());
        let payment = payment::settings::Settings::load(Some(&file)).unwrap();
        assert_eq!(payment.events.transport, platform::relay::Transport::Nats);
    }

    #[test]
    fn once_retired_the_monolith_owns_no_payment_and_hears_no_change() {
        let ports = Ports::new(9000).unwrap();
        let flags = FlagsSource::File(Path::new("/d/flags.json"));
        let w = Wiring {
            retired: true,
            ..wiring(&ports, &flags, None)
        };
        let text = w.monolith_settings().unwrap();
        assert!(is_retired(&text));
        assert_eq!(
            load_monolith(&text).payments.owner,
            monolith::settings::PaymentsOwner::Service
        );
        assert!(!load_monolith(&text).payments.sync);
        let file = temporary("payment.toml", &w.payment_settings().unwrap());
        let payment = payment::settings::Settings::load(Some(&file)).unwrap();
        assert_eq!(payment.events.subscribers, ["http://127.0.0.1:9083/inbox"]);
        assert!(!is_retired(
            &wiring(&ports, &flags, None).monolith_settings().unwrap()
        ));
    }

    #[test]
    fn payment_events_go_to_fulfillment_and_the_monolith_where_they_listen() {
        let ports = Ports::new(9000).unwrap();
        let flags = FlagsSource::File(Path::new("/d/flags.json"));
        let text = wiring(&ports, &flags, None).payment_settings().unwrap();
        let file = temporary("payment.toml", &text);
        let payment = payment::settings::Settings::load(Some(&file)).unwrap();
        assert_eq!(
            payment.events.subscribers,
            ["http://127.0.0.1:9083/inbox", "http://127.0.0.1:9080/inbox"]
        );
    }
}
