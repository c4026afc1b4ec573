//! The monolith's typed settings: embedded defaults (`config/default.toml`), an
//! optional file, then `MONOLITH__SECTION__KEY` variables.

use crate::legacy::LegacyClock;
use platform::relay::EventsSettings;
use platform::settings::{
    self, DatabaseSettings, InvalidSetting, ServerSettings, SettingsError, TelemetrySettings,
    Validate,
};
use serde::Deserialize;
use std::path::Path;
use strangler_flags::FlagsSettings;

/// The embedded defaults, also the documented reference.
pub const DEFAULTS: &str = include_str!("../config/default.toml");

/// Everything the monolith reads at start.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The HTTP listener.
    pub server: ServerSettings,
    /// Its one database.
    pub database: DatabaseSettings,
    /// Logs.
    pub telemetry: TelemetrySettings,
    /// How the legacy API shows things.
    pub legacy: LegacySettings,
    /// Who owns each payment: this module, or the payment service when the
    /// route's flags say so (branch by abstraction).
    pub payments: PaymentsSettings,
    /// Who owns each order: this module, or the fulfillment service when
    /// the orders route's flags say so.
    pub orders: OrdersSettings,
    /// How payment changes reach the payment service (sync, legacy → new)
    /// and, with NATS, where its changes come back from.
    pub events: EventsSettings,
}

/// Which side owns a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PaymentsOwner {
    /// Every payment is the in-process module's (no flags read).
    Monolith,
    /// Per call, by the payments route's flags, as the proxy decides.
    Flags,
    /// Every payment is the payment service's (no flags read): the route is
    /// retired; no local path is taken, no change of the service's is
    /// applied here, and `monolith retire payments` may drop the tables.
    Service,
}

/// The payments port's choice and the payment service.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentsSettings {
    /// `monolith`, `flags` or `service`.
    #[serde(deserialize_with = "settings::named")]
    pub owner: PaymentsOwner,
    /// The payment service's base URL.
    pub service_url: String,
    /// One call to it, whole, in ms.
    pub timeout_ms: u64,
    /// The proxy route whose flags decide (the `route` property).
    pub route: String,
    /// The route's canary flag.
    pub canary_flag: String,
    /// The route's new flag.
    pub new_flag: String,
    /// Changes are synced both ways with the payment service: the port's own
    /// writes wait during a handover (`port::handover`).
    pub sync: bool,
    /// Where the flags come from.
    pub flags: FlagsSettings,
}

/// Which side owns an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrdersOwner {
    /// Every order is this module's (no flags read).
    Monolith,
    /// Per order, by the orders route's flags asked with the order's id, as
    /// the proxy decides: the monolith refuses to change an order the
    /// service owns.
    Flags,
    /// Every order is the fulfillment service's: not supported yet (the
    /// monolith's order flows have no remote path), refused at start.
    Service,
}

/// The orders route whose flags name each order's owner.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrdersSettings {
    /// `monolith` or `flags` (`service` is refused).
    #[serde(deserialize_with = "settings::named")]
    pub owner: OrdersOwner,
    /// The proxy route whose flags decide (the `route` property).
    pub route: String,
    /// The route's canary flag.
    pub canary_flag: String,
    /// The route's new flag.
    pub new_flag: String,
    /// Where the flags come from.
    pub flags: FlagsSettings,
}

/// Legacy wire conventions.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegacySettings {
    /// IANA zone of the legacy local-time strings.
    pub timezone: String,
}

impl Validate for Settings {
    fn validate(&self) -> Result<(), InvalidSetting> {
        self.server.validate()?;
        self.database.validate()?;
        self.telemetry.validate()?;
        self.events.validate()?;
        LegacyClock::parse(&self.legacy.timezone)
            .map_err(|e| InvalidSetting::new("legacy.timezone", e))?;
        if self.payments.owner != PaymentsOwner::Monolith {
            let url = &self.payments.service_url;
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(InvalidSetting::new(
                    "payments.service_url",
                    format!("`{url}` is not a URL like http://127.0.0.1:8082"),
                ));
            }
            if self.payments.timeout_ms == 0 {
                return Err(InvalidSetting::new(
                    "payments.timeout_ms",
                    "must be greater than 0",
                ));
            }
        }
        if self.payments.owner == PaymentsOwner::Flags {
            self.payments.flags.check("payments.flags")?;
        }
        match self.orders.owner {
            OrdersOwner::Monolith => {}
            OrdersOwner::Flags => self.orders.flags.check("orders.flags")?,
            OrdersOwner::Service => {
                return Err(InvalidSetting::new(
                    "orders.owner",
                    "\"service\" is not supported yet: the monolith's order flows have no \
                     path to the fulfillment service; use \"monolith\" or \"flags\"",
                ));
            }
        }
        Ok(())
    }
}

impl Settings {
    /// Loads and validates the settings.
    pub fn load(file: Option<&Path>) -> Result<Self, SettingsError> {
        settings::load(DEFAULTS, file, "MONOLITH")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_defaults_are_valid() {
        let s: Settings = settings::load(DEFAULTS, None, "MONOLITH_TEST_NONE").unwrap();
        assert_eq!(s.database.url.as_str(), "sqlite://data/monolith.db");
    }

    #[test]
    fn owner_by_flags_needs_a_service_url() {
        let bad = DEFAULTS
            .replace("owner = \"monolith\"", "owner = \"flags\"")
            .replace("http://127.0.0.1:8082", "127.0.0.1:8082");
        let err = settings::load::<Settings>(&bad, None, "MONOLITH_TEST_NONE").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("invalid setting `payments.service_url`"),
            "{err}"
        );
    }

    #[test]
    fn owner_service_needs_a_service_url_but_no_flags() {
        let service = DEFAULTS
            .replacen("owner = \"monolith\"", "owner = \"service\"", 1)
            .replace("source = \"file\"", "source = \"server\"");
        let s: Settings = settings::load(&service, None, "MONOLITH_TEST_NONE").unwrap();
        assert_eq!(s.payments.owner, PaymentsOwner::Service);
        let bad = service.replace("http://127.0.0.1:8082", "");
        let err = settings::load::<Settings>(&bad, None, "MONOLITH_TEST_NONE").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("invalid setting `payments.service_url`"),
            "{err}"
        );
    }

    #[test]
    fn orders_owner_service_is_refused_and_flags_needs_its_flags() {
        let service = DEFAULTS.replace(
            "owner = \"monolith\"          # orders",
            "owner = \"service\"          # orders",
        );
        assert_ne!(service, DEFAULTS);
        let err = settings::load::<Settings>(&service, None, "MONOLITH_TEST_NONE").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("invalid setting `orders.owner`"),
            "{err}"
        );
        let flags = DEFAULTS.replace(
            "owner = \"monolith\"          # orders",
            "owner = \"flags\"             # orders",
        );
        let s: Settings = settings::load(&flags, None, "MONOLITH_TEST_NONE").unwrap();
        assert_eq!(s.orders.owner, OrdersOwner::Flags);
    }

    #[test]
    fn a_bad_zone_names_its_key() {
        let bad = DEFAULTS.replace("Europe/Berlin", "Nowhere/City");
        let err = settings::load::<Settings>(&bad, None, "MONOLITH_TEST_NONE").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("invalid setting `legacy.timezone`"),
            "{err}"
        );
    }
}
