//! Unleash feature flags for the proxy (being built).
