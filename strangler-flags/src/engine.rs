//! The Unleash client that evaluates every flag. It never touches the network
//! itself: the sources ([`super::file_source`], [`super::server_source`]) fetch the
//! client-features document and hand it to the client's `memoize`, so both sources
//! give the same answers through the same evaluation code.
//!
//! Flags whose answer cannot depend on the request (switched off, or on with an
//! unconditional `default` strategy and no parent flags) are answered from a
//! table built at load, without the client: that is most flags of a strangler
//! route table most of the time, and the client's evaluation costs more than
//! routing the request.

use super::FlagsError;
use arc_swap::ArcSwap;
use rustc_hash::FxHashMap;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use unleash_api_client::client::{Client, ClientBuilder, FeatureKey};
use unleash_api_client::context::Context;
use unleash_api_client::http::{Request, Response, Transport};
use unleash_types::client_features::{ClientFeature, ClientFeatures};

/// The client is generic over a compile-time flag enum; the proxy's flags are
/// named at run time (by string), so the enum has no values.
#[derive(Debug, Clone, Copy)]
pub(crate) enum RuntimeNamed {}

impl FeatureKey for RuntimeNamed {
    fn name(self) -> &'static str {
        match self {}
    }
}

/// A transport that refuses every request: fetching is the sources' job (with
/// status checks, ETags and error reporting the client's own poll loop lacks).
struct NoNetwork;

impl Transport for NoNetwork {
    fn execute<'life0, 'async_trait>(
        &'life0 self,
        request: Request,
    ) -> Pin<Box<dyn Future<Output = Result<Response, anyhow::Error>> + Send + 'async_trait>>
    where
        'life0: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(async move {
            Err(anyhow::anyhow!(
                "the flags engine does not fetch ({}); its source does",
                request.url
            ))
        })
    }
}

/// The Unleash client, holding the last good document.
pub(crate) struct Engine {
    client: Client<RuntimeNamed>,
    /// Flags whose answer is the same for every request.
    constant: ArcSwap<FxHashMap<Box<str>, bool>>,
}

impl Engine {
    pub(crate) fn new(app_name: &str, instance_id: &str) -> Result<Self, FlagsError> {
        let client = ClientBuilder::default()
            .disable_metric_submission()
            .enable_string_features()
            .into_client_with_transport::<RuntimeNamed>(
                "http://unused.invalid/api",
                app_name,
                instance_id,
                None,
                Arc::new(NoNetwork),
            )
            .map_err(|err| FlagsError::Client(err.to_string()))?;
        Ok(Self {
            client,
            constant: ArcSwap::default(),
        })
    }

    /// Replaces the whole state (flags absent from `doc` become unknown: `false`).
    pub(crate) fn load(&self, doc: ClientFeatures) -> Result<(), FlagsError> {
        let constant = doc
            .features
            .iter()
            .filter_map(|f| constant_answer(f).map(|on| (f.name.as_str().into(), on)))
            .collect();
        // Cleared first: while the client changes, every flag asks the client.
        self.constant.store(Default::default());
        self.client
            .memoize(doc)
            .map_err(|err| FlagsError::Client(err.to_string()))?;
        self.constant.store(std::sync::Arc::new(constant));
        Ok(())
    }

    /// The answer of `flag` when it is the same for every request.
    pub(crate) fn constant(&self, flag: &str) -> Option<bool> {
        self.constant.load().get(flag).copied()
    }

    /// The client's answer; `false` for unknown flags, before the first load, and
    /// should the client ever panic (the hot path must not take the proxy down).
    pub(crate) fn is_enabled(&self, flag: &str, ctx: &Context) -> bool {
        catch_unwind(AssertUnwindSafe(|| {
            self.client.is_enabled_str(flag, Some(ctx), false)
        }))
        .unwrap_or(false)
    }
}

/// `Some` when no context can change the flag's answer: off, or on through a
/// `default` strategy without constraints or segments and with no parent flags
/// (strategies are OR-ed, so one unconditional `default` decides).
pub(crate) fn constant_answer(feature: &ClientFeature) -> Option<bool> {
    if !feature.enabled {
        return Some(false);
    }
    if feature.dependencies.as_ref().is_some_and(|d| !d.is_empty()) {
        return None;
    }
    let unconditional = feature.strategies.iter().flatten().any(|s| {
        s.name == "default"
            && s.constraints.as_ref().is_none_or(Vec::is_empty)
            && s.segments.as_ref().is_none_or(Vec::is_empty)
    });
    unconditional.then_some(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use unleash_api_client::context::Context;

    const DOC: &str = r#"{"version": 2, "features": [
      {"name": "off", "enabled": false, "strategies": [{"name": "default"}]},
      {"name": "on", "enabled": true, "strategies": [{"name": "default"}]},
      {"name": "on-or-rollout", "enabled": true, "strategies": [
        {"name": "flexibleRollout", "parameters": {"rollout": "0", "stickiness": "userId", "groupId": "g"}},
        {"name": "default"}]},
      {"name": "constrained", "enabled": true, "strategies": [{"name": "default",
        "constraints": [{"contextName": "userId", "operator": "IN", "values": ["7"]}]}]},
      {"name": "rollout", "enabled": true, "strategies": [{"name": "flexibleRollout",
        "parameters": {"rollout": "50", "stickiness": "userId", "groupId": "g"}}]},
      {"name": "child", "enabled": true, "strategies": [{"name": "default"}],
        "dependencies": [{"feature": "off"}]}
    ]}"#;

    fn engine() -> Engine {
        let engine = Engine::new("test", "test-1").unwrap();
        engine.load(serde_json::from_str(DOC).unwrap()).unwrap();
        engine
    }

    #[test]
    fn only_request_independent_flags_are_constant() {
        let engine = engine();
        assert_eq!(engine.constant("off"), Some(false));
        assert_eq!(engine.constant("on"), Some(true));
        assert_eq!(engine.constant("on-or-rollout"), Some(true));
        for flag in ["constrained", "rollout", "child", "unknown"] {
            assert_eq!(engine.constant(flag), None, "{flag}");
        }
    }

    #[test]
    fn constant_answers_are_the_clients_answers() {
        let engine = engine();
        for user in ["1", "7", "42", "customer-4711"] {
            let ctx = Context {
                user_id: Some(user.into()),
                ..Context::default()
            };
            for flag in ["off", "on", "on-or-rollout"] {
                assert_eq!(
                    engine.constant(flag),
                    Some(engine.is_enabled(flag, &ctx)),
                    "{flag} for {user}"
                );
            }
        }
        // A parent that is off turns its child off, so the child is not constant.
        assert!(!engine.is_enabled("child", &Context::default()));
    }

    #[test]
    fn a_reload_replaces_the_constant_answers() {
        let engine = engine();
        let doc = DOC.replace(
            r#""name": "off", "enabled": false"#,
            r#""name": "off", "enabled": true"#,
        );
        engine.load(serde_json::from_str(&doc).unwrap()).unwrap();
        assert_eq!(engine.constant("off"), Some(true));
        engine
            .load(serde_json::from_str(r#"{"version": 2, "features": []}"#).unwrap())
            .unwrap();
        assert_eq!(engine.constant("on"), None);
    }
}
