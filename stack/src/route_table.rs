//! The proxy's settings file for one run: the example route table
//! (`strangler-proxy/config/example.toml`, the one the tests check) with its
//! listeners, upstreams, flags source and shadow database pointed at what the
//! stack started. An upstream is recognised by its default address (the
//! monolith's `127.0.0.1:8080`, …) and moved to where that part listens. A
//! route retired in an earlier run (`strangler retire`) stays retired.

use crate::layout::{Part, Ports};
use anyhow::Context;
use std::path::Path;
use toml::{Table, Value};

/// The example route table.
pub const EXAMPLE: &str = include_str!("../../strangler-proxy/config/example.toml");
/// The example's flags, all off: the first content of the stack's flags file.
pub const EXAMPLE_FLAGS: &str = include_str!("../../strangler-proxy/config/example-flags.json");

/// Where the proxy reads its flags. Either way `flags.file` names the stack's
/// own file, so `strangler flags` never edits the example in the repository.
#[derive(Debug, Clone)]
pub enum FlagsSource<'a> {
    /// The local Unleash-format file, edited by `strangler flags`.
    File(&'a Path),
    /// A real Unleash server: its client API root and a client token.
    Server {
        /// The local file, unused while the server is the source.
        file: &'a Path,
        /// `http://127.0.0.1:<port>/api`.
        api_url: String,
        /// A client token of the server.
        token: &'a str,
    },
}

/// The settings file's text; the routes named in `retired` keep
/// `retired = true` (set by `strangler retire` in an earlier run).
pub fn render(
    ports: &Ports,
    flags: &FlagsSource<'_>,
    shadow_database: Option<&str>,
    retired: &[String],
) -> anyhow::Result<String> {
    let mut table: Table = EXAMPLE.parse().context("the example route table")?;
    let section = |table: &mut Table, name: &str| -> anyhow::Result<Table> {
        match table.remove(name) {
            Some(Value::Table(t)) => Ok(t),
            None => Ok(Table::new()),
            Some(_) => anyhow::bail!("[{name}] of the example route table is not a table"),
        }
    };
    let mut proxy = section(&mut table, "proxy")?;
    proxy.insert("listen".into(), ports.addr(Part::Proxy).into());
    proxy.insert("legacy".into(), ports.url(Part::Monolith).into());
    table.insert("proxy".into(), proxy.into());

    let mut admin = section(&mut table, "admin")?;
    admin.insert("listen".into(), ports.addr(Part::Admin).into());
    table.insert("admin".into(), admin.into());

    let mut flags_table = section(&mut table, "flags")?;
    point_flags(&mut flags_table, flags);
    table.insert("flags".into(), flags_table.into());

    if let Some(url) = shadow_database {
        let mut shadow = section(&mut table, "shadow")?;
        shadow.insert("database_url".into(), url.into());
        table.insert("shadow".into(), shadow.into());
    }

    if let Some(Value::Array(routes)) = table.get_mut("routes") {
        for route in routes.iter_mut().filter_map(Value::as_table_mut) {
            if let Some(Value::String(new)) = route.get_mut("new") {
                *new = moved(new, ports);
            }
            if route
                .get("name")
                .and_then(Value::as_str)
                .is_some_and(|name| retired.iter().any(|r| r == name))
            {
                route.insert("retired".into(), true.into());
            }
        }
    }
    Ok(format!(
        "# Written by the local stack (`cargo run -p stack`) for this run, from\n\
         # strangler-proxy/config/example.toml; rewritten at every start.\n\
         # The admin token comes from STRANGLER__ADMIN__TOKEN (data/stack.env).\n\n{}",
        toml::to_string(&table).context("writing the route table")?
    ))
}

/// The routes retired in the route table a run left in `file` (none on a
/// first run).
pub fn retired_routes(file: &Path) -> Vec<String> {
    let table: Option<Table> = std::fs::read_to_string(file)
        .ok()
        .and_then(|text| text.parse().ok());
    let routes = table
        .as_ref()
        .and_then(|t| t.get("routes")?.as_array().cloned());
    routes
        .unwrap_or_default()
        .iter()
        .filter(|r| r.get("retired").and_then(Value::as_bool) == Some(true))
        .filter_map(|r| Some(r.get("name")?.as_str()?.to_owned()))
        .collect()
}

/// Points a flags table (the proxy's `[flags]`, the monolith's
/// `[payments.flags]`: one shape) at `flags`, so every reader of the
/// route's flags reads the same ones.
pub fn point_flags(table: &mut Table, flags: &FlagsSource<'_>) {
    match flags {
        FlagsSource::File(path) => {
            table.insert("source".into(), "file".into());
            table.insert("file".into(), path.display().to_string().into());
        }
        FlagsSource::Server {
            file,
            api_url,
            token,
        } => {
            table.insert("source".into(), "server".into());
            table.insert("file".into(), file.display().to_string().into());
            table.insert("server_url".into(), api_url.clone().into());
            table.insert("api_token".into(), (*token).into());
            // A toggle flipped in Unleash reaches the reader within a second.
            table.insert("poll_interval_ms".into(), 1000.into());
        }
    }
}

/// `url` moved from the default layout to `ports`, when it is one of the
/// default addresses.
fn moved(url: &str, ports: &Ports) -> String {
    let default = Ports::default();
    Part::ALL
        .iter()
        .find(|part| url.trim_end_matches('/') == default.url(**part))
        .map_or_else(|| url.to_owned(), |part| ports.url(*part))
}

/// Every flag the route table names (`[routes.flags]`), in order, once each.
pub fn flag_names() -> anyhow::Result<Vec<String>> {
    let table: Table = EXAMPLE.parse().context("the example route table")?;
    let mut names = Vec::new();
    let routes = table.get("routes").and_then(Value::as_array);
    for route in routes.into_iter().flatten() {
        let flags = route.get("flags").and_then(Value::as_table);
        for name in flags
            .into_iter()
            .flat_map(|f| f.values())
            .filter_map(Value::as_str)
        {
            if !names.iter().any(|n| n == name) {
                names.push(name.to_owned());
            }
        }
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_address_follows_the_base_port() {
        let ports = Ports::new(9000).unwrap();
        let retired = ["invoices".to_owned()];
        let text = render(
            &ports,
            &FlagsSource::File(Path::new("/d/flags.json")),
            None,
            &retired,
        )
        .unwrap();
        let table: Table = text.parse().unwrap();
        assert_eq!(table["proxy"]["listen"].as_str(), Some("127.0.0.1:9000"));
        assert_eq!(
            table["proxy"]["legacy"].as_str(),
            Some("http://127.0.0.1:9080")
        );
        assert_eq!(table["admin"]["listen"].as_str(), Some("127.0.0.1:9001"));
        assert_eq!(table["flags"]["file"].as_str(), Some("/d/flags.json"));
        let news: Vec<&str> = table["routes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["new"].as_str().unwrap())
            .collect();
        assert_eq!(
            news,
            [
                "http://127.0.0.1:9082",
                "http://127.0.0.1:9082",
                "http://127.0.0.1:9083",
                "http://127.0.0.1:9083",
                "http://127.0.0.1:9083"
            ]
        );
        assert!(!text.contains(":8080") && !text.contains(":8082"), "{text}");
        let retired: Vec<bool> = table["routes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.get("retired").and_then(Value::as_bool) == Some(true))
            .collect();
        assert_eq!(retired, [false, true, false, false, false], "kept retired");
        let file = std::env::temp_dir().join(format!("routes-{}.toml", std::process::id()));
        std::fs::write(&file, &text).unwrap();
        assert_eq!(retired_routes(&file), ["invoices"]);
        std::fs::remove_file(&file).unwrap();
        assert!(retired_routes(&file).is_empty(), "a first run has none");
    }

    #[test]
    fn a_server_source_and_a_shadow_database_are_set() {
        let flags = FlagsSource::Server {
            file: Path::new("/d/flags.json"),
            api_url: "http://127.0.0.1:8242/api".into(),
            token: "default:development.x",
        };
        let text = render(&Ports::default(), &flags, Some("postgres://h/s"), &[]).unwrap();
        let table: Table = text.parse().unwrap();
        assert_eq!(table["flags"]["source"].as_str(), Some("server"));
        assert_eq!(
            table["flags"]["server_url"].as_str(),
            Some("http://127.0.0.1:8242/api")
        );
        assert_eq!(
            table["shadow"]["database_url"].as_str(),
            Some("postgres://h/s")
        );
    }

    #[test]
    fn the_flags_are_those_the_routes_name() {
        let names = flag_names().unwrap();
        for flag in ["payments.shadow", "payments.canary", "payments.new"] {
            assert_eq!(names.iter().filter(|n| *n == flag).count(), 1, "{flag}");
        }
        for flag in ["inventory.new", "orders.new", "shipments.new"] {
            assert!(names.contains(&flag.to_owned()), "{flag}");
        }
        for name in &names {
            assert!(EXAMPLE_FLAGS.contains(&format!("\"{name}\"")), "{name}");
        }
    }
}
