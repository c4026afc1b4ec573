//! Where each part of the local stack listens: fixed offsets from one base
//! port. The default base, 8000, gives the ports of
//! `strangler-proxy/config/example.toml` (proxy 8000, admin 8001, monolith
//! 8080, payment 8082, fulfillment 8083); `--base-port 9000` moves the whole
//! stack at once and keeps the last digits, so a reader still tells which
//! port is which.

use std::net::TcpListener;

/// The base port when none is given.
pub const DEFAULT_BASE: u16 = 8000;

/// Something of the stack that listens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The strangler proxy's data plane: clients talk here.
    Proxy,
    /// The proxy's admin API and dashboard.
    Admin,
    /// The reference monolith (legacy `/api/v1`).
    Monolith,
    /// The extracted payment service (`/v2`).
    Payment,
    /// The extracted fulfillment service (`/v2`).
    Fulfillment,
    /// A real Unleash server (`--unleash` only).
    Unleash,
}

impl Part {
    /// Every part, in the order they are listed to the user.
    pub const ALL: [Part; 6] = [
        Part::Proxy,
        Part::Admin,
        Part::Monolith,
        Part::Payment,
        Part::Fulfillment,
        Part::Unleash,
    ];

    /// Distance from the base port.
    pub fn offset(self) -> u16 {
        match self {
            Part::Proxy => 0,
            Part::Admin => 1,
            Part::Monolith => 80,
            Part::Payment => 82,
            Part::Fulfillment => 83,
            Part::Unleash => 242,
        }
    }

    /// How the user reads it.
    pub fn name(self) -> &'static str {
        match self {
            Part::Proxy => "proxy",
            Part::Admin => "admin",
            Part::Monolith => "monolith",
            Part::Payment => "payment",
            Part::Fulfillment => "fulfillment",
            Part::Unleash => "unleash",
        }
    }
}

/// The ports of one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ports {
    base: u16,
}

impl Default for Ports {
    fn default() -> Self {
        Self { base: DEFAULT_BASE }
    }
}

impl Ports {
    /// The layout from `base`; refused when the highest port would not exist.
    pub fn new(base: u16) -> Result<Self, String> {
        let highest = Part::ALL.iter().map(|p| p.offset()).max().unwrap_or(0);
        if base == 0 || base.checked_add(highest).is_none() {
            return Err(format!(
                "--base-port {base} does not fit: the stack needs ports base to base+{highest}, \
                 at most 65535"
            ));
        }
        Ok(Self { base })
    }

    /// The port of `part`.
    pub fn port(&self, part: Part) -> u16 {
        self.base + part.offset()
    }

    /// `127.0.0.1:<port>`.
    pub fn addr(&self, part: Part) -> String {
        format!("127.0.0.1:{}", self.port(part))
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self, part: Part) -> String {
        format!("http://{}", self.addr(part))
    }

    /// Fails naming the first of `parts` whose port something else holds, so
    /// the stack stops before it builds or starts anything.
    pub fn check_free(&self, parts: &[Part]) -> Result<(), String> {
        for &part in parts {
            let port = self.port(part);
            if TcpListener::bind(("127.0.0.1", port)).is_err() {
                return Err(format!(
                    "port {port} ({}) is in use: stop what listens there, or move the whole \
                     stack with --base-port",
                    part.name()
                ));
            }
        }
        Ok(())
    }
}

/// A base port whose whole layout is free right now, between 20000 and
/// 32700 (for tests and runs side by side; another process may still take
/// a port before the stack binds it). Below Linux's ephemeral range (from
/// 32768): the stack binds minutes after the check (it builds first), and an
/// ephemeral port handed to any other test's connection meanwhile would take
/// a part's port. Where the search starts depends on the process id, so
/// parallel test processes rarely collide.
pub fn find_free_base() -> Option<Ports> {
    let slots = 127u32;
    let start = std::process::id() % slots;
    (0..slots)
        .map(|i| 20_000 + ((start + i * 37) % slots) * 100)
        .filter_map(|base| u16::try_from(base).ok())
        .filter_map(|base| Ports::new(base).ok())
        .find(|ports| ports.check_free(&Part::ALL).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_layout_is_the_example_route_table_s() {
        let ports = Ports::default();
        assert_eq!(ports.url(Part::Proxy), "http://127.0.0.1:8000");
        assert_eq!(ports.port(Part::Admin), 8001);
        assert_eq!(ports.port(Part::Monolith), 8080);
        assert_eq!(ports.port(Part::Payment), 8082);
        assert_eq!(ports.port(Part::Fulfillment), 8083);
        let example = include_str!("../../strangler-proxy/config/example.toml");
        for part in [
            Part::Proxy,
            Part::Monolith,
            Part::Payment,
            Part::Fulfillment,
        ] {
            assert!(example.contains(&ports.addr(part)), "{part:?}");
        }
    }

    #[test]
    fn a_base_port_moves_every_part_and_keeps_the_last_digits() {
        let ports = Ports::new(9000).unwrap();
        assert_eq!(ports.port(Part::Proxy), 9000);
        assert_eq!(ports.port(Part::Fulfillment), 9083);
        assert!(Ports::new(65400).unwrap_err().contains("65535"));
        assert!(Ports::new(0).is_err());
    }

    #[test]
    fn a_free_base_has_every_port_free() {
        let ports = find_free_base().unwrap();
        assert!(ports.check_free(&Part::ALL).is_ok());
    }

    #[test]
    fn a_busy_port_is_named() {
        let held = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = held.local_addr().unwrap().port();
        let ports = Ports::new(port - Part::Monolith.offset()).unwrap();
        let err = ports.check_free(&[Part::Monolith]).unwrap_err();
        assert!(
            err.starts_with(&format!("port {port} (monolith) is in use")),
            "{err}"
        );
    }
}
