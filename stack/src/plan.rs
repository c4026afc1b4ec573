//! What each part of the stack is started with: its binary, its settings
//! (each through its own mechanism: `<PREFIX>__SECTION__KEY` variables, and a
//! file where a value is a list or a table), its health endpoint; and the
//! `data/stack.env` file that gives a second terminal the addresses, the
//! admin token and the `strangler` CLI.

use crate::binaries::Binaries;
use crate::layout::{Part, Ports};
use crate::supervisor::Component;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Everything decided before the first process starts.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The ports.
    pub ports: Ports,
    /// The run's folder (absolute); parts run in it.
    pub dir: PathBuf,
    /// The binaries.
    pub binaries: Binaries,
    /// The folder of the `stack` executable itself (for `stack stop` in a
    /// second terminal; not the parts' folder with `--release`).
    pub own_dir: PathBuf,
    /// Database URL per part when on PostgreSQL (`None`: the SQLite defaults).
    pub databases: Option<Databases>,
    /// `--nats`.
    pub nats: Option<String>,
    /// `--otlp`.
    pub otlp: Option<String>,
    /// The proxy's admin token.
    pub token: String,
}

/// One PostgreSQL database per part.
#[derive(Debug, Clone)]
pub struct Databases {
    /// The monolith's.
    pub monolith: String,
    /// The payment service's.
    pub payment: String,
    /// The fulfillment service's.
    pub fulfillment: String,
    /// The proxy's shadow results.
    pub proxy: String,
    /// Unleash's toggles.
    pub unleash: String,
}

/// The stack's generated files, under `data/stack/`.
pub fn generated(dir: &Path) -> PathBuf {
    dir.join("data").join("stack")
}

/// The proxy's settings file.
pub fn route_table_file(dir: &Path) -> PathBuf {
    generated(dir).join("strangler.toml")
}

/// The payment service's settings file ([`crate::wiring`]).
pub fn payment_file(dir: &Path) -> PathBuf {
    generated(dir).join("payment.toml")
}

/// The monolith's settings file ([`crate::wiring`]).
pub fn monolith_file(dir: &Path) -> PathBuf {
    generated(dir).join("monolith.toml")
}

/// The flags file (kept across runs).
pub fn flags_file(dir: &Path) -> PathBuf {
    dir.join("data").join("flags.json")
}

impl Plan {
    fn common(&self, prefix: &str, part: Part, database: Option<&str>) -> Vec<(String, String)> {
        let mut env = vec![(
            format!("{prefix}__SERVER__PORT"),
            self.ports.port(part).to_string(),
        )];
        if let Some(url) = database {
            env.push((format!("{prefix}__DATABASE__URL"), url.to_owned()));
        }
        if let Some(otlp) = &self.otlp {
            env.push((format!("{prefix}__TELEMETRY__OTLP_ENDPOINT"), otlp.clone()));
        }
        env
    }

    fn events(&self, prefix: &str, env: &mut Vec<(String, String)>) {
        if let Some(nats) = &self.nats {
            env.push((format!("{prefix}__EVENTS__TRANSPORT"), "nats".into()));
            env.push((format!("{prefix}__EVENTS__NATS_URL"), nats.clone()));
        }
    }

    fn configured(&self, component: &mut Component, file: PathBuf) {
        component.args = vec!["--config".into(), file.display().to_string()];
    }

    fn component(&self, name: &'static str, program: &Path, part: Part) -> Component {
        Component {
            name,
            program: program.to_path_buf(),
            args: Vec::new(),
            env: Vec::new(),
            cwd: self.dir.clone(),
            health: format!("{}/readyz", self.ports.url(part)),
            start_limit: Duration::from_secs(60),
        }
    }

    /// The four parts in start order: the monolith (everything falls back to
    /// it, and it owns the customers fulfillment's sagas look up), fulfillment
    /// (payment's events go to it), payment, then the proxy (it forwards to
    /// all three).
    pub fn components(&self) -> Vec<Component> {
        let db = |pick: fn(&Databases) -> &String| self.databases.as_ref().map(pick);

        let mut monolith = self.component("monolith", &self.binaries.monolith, Part::Monolith);
        self.configured(&mut monolith, monolith_file(&self.dir));
        monolith.env = self.common(
            "MONOLITH",
            Part::Monolith,
            db(|d| &d.monolith).map(|s| &**s),
        );

        let mut fulfillment =
            self.component("fulfillment", &self.binaries.fulfillment, Part::Fulfillment);
        fulfillment.env = self.common(
            "FULFILLMENT",
            Part::Fulfillment,
            db(|d| &d.fulfillment).map(|s| &**s),
        );
        self.events("FULFILLMENT", &mut fulfillment.env);
        // Its order sagas charge the payment service where it listens in this run.
        fulfillment.env.push((
            "FULFILLMENT__SAGA__PAYMENTS_URL".into(),
            self.ports.url(Part::Payment),
        ));
        // and ask the monolith, started before it, whether a customer exists.
        fulfillment.env.push((
            "FULFILLMENT__SAGA__CUSTOMERS_URL".into(),
            self.ports.url(Part::Monolith),
        ));

        let mut payment = self.component("payment", &self.binaries.payment, Part::Payment);
        self.configured(&mut payment, payment_file(&self.dir));
        payment.env = self.common("PAYMENT", Part::Payment, db(|d| &d.payment).map(|s| &**s));

        let mut proxy = self.component("proxy", &self.binaries.strangler, Part::Admin);
        proxy.health = format!("{}/healthz", self.ports.url(Part::Admin));
        self.configured(&mut proxy, route_table_file(&self.dir));
        proxy.env = vec![("STRANGLER__ADMIN__TOKEN".into(), self.token.clone())];
        if let Some(otlp) = &self.otlp {
            proxy
                .env
                .push(("STRANGLER__TELEMETRY__OTLP_ENDPOINT".into(), otlp.clone()));
        }
        vec![monolith, fulfillment, payment, proxy]
    }

    /// `data/stack.env`: `source` it to reach the stack from a shell.
    pub fn env_file(&self) -> String {
        let url = |part| self.ports.url(part);
        let vars = [
            ("PROXY", url(Part::Proxy)),
            ("ADMIN", url(Part::Admin)),
            ("DASHBOARD", format!("{}/dashboard", url(Part::Admin))),
            ("MONOLITH", url(Part::Monolith)),
            ("PAYMENT", url(Part::Payment)),
            ("FULFILLMENT", url(Part::Fulfillment)),
            (
                "STRANGLER_CONFIG",
                route_table_file(&self.dir).display().to_string(),
            ),
            ("STRANGLER__ADMIN__TOKEN", self.token.clone()),
        ];
        let mut text = String::from(
            "# Written by the local stack (`cargo run -p stack`) for this run.\n\
             # `source data/stack.env`: the stack's addresses, the admin token, and\n\
             # the `strangler` CLI (and the other binaries) on PATH.\n",
        );
        for (name, value) in vars {
            text.push_str(&format!("export {name}={}\n", quoted(&value)));
        }
        let mut path = quoted(&self.binaries.dir().display().to_string());
        if self.own_dir != self.binaries.dir() {
            path = format!("{path}:{}", quoted(&self.own_dir.display().to_string()));
        }
        text.push_str(&format!("export PATH={path}:\"$PATH\"\n"));
        text
    }
}

/// `value` in single quotes for a POSIX shell.
fn quoted(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        let bin = |n: &str| PathBuf::from("/t/debug").join(n);
        Plan {
            ports: Ports::new(9000).unwrap(),
            dir: PathBuf::from("/run dir"),
            binaries: Binaries {
                monolith: bin("monolith"),
                payment: bin("payment"),
                fulfillment: bin("fulfillment"),
                strangler: bin("strangler"),
            },
            own_dir: PathBuf::from("/t/debug"),
            databases: None,
            nats: Some("127.0.0.1:4222".into()),
            otlp: None,
            token: "it's-a-token-0123456789".into(),
        }
    }

    #[test]
    fn parts_start_in_dependency_order_on_their_ports() {
        let parts = plan().components();
        let names: Vec<_> = parts.iter().map(|c| c.name).collect();
        assert_eq!(names, ["monolith", "fulfillment", "payment", "proxy"]);
        let env = |i: usize, key: &str| {
            parts[i]
                .env
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(env(0, "MONOLITH__SERVER__PORT").as_deref(), Some("9080"));
        assert_eq!(env(0, "MONOLITH__DATABASE__URL"), None);
        assert_eq!(
            env(1, "FULFILLMENT__EVENTS__TRANSPORT").as_deref(),
            Some("nats")
        );
        assert_eq!(
            env(1, "FULFILLMENT__SAGA__CUSTOMERS_URL").as_deref(),
            Some("http://127.0.0.1:9080"),
            "the sagas ask the monolith, started first, about customers"
        );
        assert_eq!(
            parts[0].args,
            ["--config", "/run dir/data/stack/monolith.toml"]
        );
        assert_eq!(parts[3].health, "http://127.0.0.1:9001/healthz");
        assert_eq!(parts[1].health, "http://127.0.0.1:9083/readyz");
    }

    #[test]
    fn the_env_file_quotes_for_the_shell() {
        let text = plan().env_file();
        assert!(
            text.contains("export PROXY='http://127.0.0.1:9000'\n"),
            "{text}"
        );
        assert!(
            text.contains(r"export STRANGLER__ADMIN__TOKEN='it'\''s-a-token-0123456789'"),
            "{text}"
        );
        assert!(
            text.contains("export STRANGLER_CONFIG='/run dir/data/stack/strangler.toml'"),
            "{text}"
        );
        assert!(text.contains("export PATH='/t/debug':\"$PATH\""), "{text}");
        let release = Plan {
            own_dir: PathBuf::from("/t/debug"),
            binaries: Binaries {
                strangler: PathBuf::from("/t/release/strangler"),
                ..plan().binaries
            },
            ..plan()
        };
        let text = release.env_file();
        assert!(
            text.contains("export PATH='/t/release':'/t/debug':\"$PATH\""),
            "{text}"
        );
    }
}
