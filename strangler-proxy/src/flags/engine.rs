//! The Unleash client that evaluates every flag. It never touches the network
//! itself: the sources ([`super::file_source`], [`super::server_source`]) fetch the
//! client-features document and hand it to the client's `memoize`, so both sources
//! give the same answers through the same evaluation code.

use super::FlagsError;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use unleash_api_client::client::{Client, ClientBuilder, FeatureKey};
use unleash_api_client::context::Context;
use unleash_api_client::http::{Request, Response, Transport};
use unleash_types::client_features::ClientFeatures;

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
        Ok(Self { client })
    }

    /// Replaces the whole state (flags absent from `doc` become unknown: `false`).
    pub(crate) fn load(&self, doc: ClientFeatures) -> Result<(), FlagsError> {
        self.client
            .memoize(doc)
            .map(|_metrics| ())
            .map_err(|err| FlagsError::Client(err.to_string()))
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
