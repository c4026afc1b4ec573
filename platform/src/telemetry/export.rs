//! OTLP/HTTP JSON span export. The SDK's batch processor exports from its own
//! plain thread, and the hyper client needs a Tokio reactor: the client below
//! runs each request on a one-thread runtime of its own, so export works the
//! same under actix's per-worker runtimes, the proxy's runtime, or none.

use opentelemetry_http::hyper::HyperClient;
use opentelemetry_http::{Bytes, HttpClient, HttpError, Request, Response};
use opentelemetry_otlp::{Protocol, SpanExporter, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{SdkTracerProvider, TracerProviderBuilder};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// How long one export request may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Why span export could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The exporter refused its configuration (the endpoint, mostly).
    #[error("cannot export spans to `{endpoint}`: {reason}")]
    Exporter {
        /// The configured endpoint.
        endpoint: String,
        /// The exporter's reason.
        reason: String,
    },
    /// The export runtime could not start.
    #[error("cannot start the span export thread: {0}")]
    Runtime(#[from] std::io::Error),
}

/// A provider that batches finished spans and posts them to
/// `{endpoint}/v1/traces`, with `service.name` set to `service`.
pub fn provider(
    builder: TracerProviderBuilder,
    endpoint: &str,
    service: &str,
) -> Result<SdkTracerProvider, ExportError> {
    let traces = format!("{}/v1/traces", endpoint.trim_end_matches('/'));
    let exporter = SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpJson)
        .with_endpoint(traces.clone())
        .with_timeout(TIMEOUT)
        .with_http_client(RuntimeClient::new()?)
        .build()
        .map_err(|e| ExportError::Exporter {
            endpoint: traces,
            reason: e.to_string(),
        })?;
    Ok(builder
        .with_resource(
            Resource::builder()
                .with_service_name(service.to_owned())
                .build(),
        )
        .with_batch_exporter(exporter)
        .build())
}

/// The hyper client, driven by a runtime of its own.
#[derive(Debug)]
struct RuntimeClient {
    client: HyperClient,
    runtime: Option<tokio::runtime::Runtime>,
}

impl RuntimeClient {
    fn new() -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("otlp-export")
            .enable_all()
            .build()?;
        // The client's connection pool must live on the runtime that drives it.
        let client = {
            let _entered = runtime.enter();
            HyperClient::with_default_connector(TIMEOUT, None)
        };
        Ok(Self {
            client,
            runtime: Some(runtime),
        })
    }
}

impl HttpClient for RuntimeClient {
    fn send_bytes<'life0, 'async_trait>(
        &'life0 self,
        request: Request<Bytes>,
    ) -> Pin<Box<dyn Future<Output = Result<Response<Bytes>, HttpError>> + Send + 'async_trait>>
    where
        'life0: 'async_trait,
        Self: 'async_trait,
    {
        let client = self.client.clone();
        let sent = self
            .runtime
            .as_ref()
            .map(|rt| rt.spawn(async move { client.send_bytes(request).await }));
        Box::pin(async move {
            match sent {
                Some(task) => task.await?,
                None => Err("the export runtime has stopped".into()),
            }
        })
    }
}

impl Drop for RuntimeClient {
    fn drop(&mut self) {
        // Dropping a runtime blocks, which panics inside another runtime.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
