//! An extracted service as a backfill target and a verify side: its import
//! paths (`POST /v2/imports/*`, answering an [`ImportReport`]) and export
//! lists (`GET /v2/exports/*?after=&limit=`, answering an [`ExportPage`]),
//! the same shapes for every service.

use anyhow::{Context, bail};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;
use v2_common::{ExportPage, ImportReport, LegacyKey};

/// A client of one service's data-migration paths.
#[derive(Debug, Clone)]
pub struct Service {
    base: String,
    client: reqwest::Client,
}

impl Service {
    /// The service at `base` (e.g. `http://127.0.0.1:8082`).
    pub fn new(base: &str) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(120))
            .build()?;
        Ok(Self {
            base: base.trim_end_matches('/').to_owned(),
            client,
        })
    }

    /// Imports records already in the import shape, as JSON (`key` is the
    /// body's list: `payments`, `invoices`, `stock`, `orders`); with
    /// `dry_run` the service checks and keeps nothing.
    pub async fn import_raw(
        &self,
        path: &str,
        key: &str,
        records: &[serde_json::Value],
        dry_run: bool,
    ) -> anyhow::Result<ImportReport> {
        self.post(path, &json!({ key: records }), dry_run).await
    }

    /// One page of the export list at `path` after `after`.
    pub async fn export<T: DeserializeOwned>(
        &self,
        path: &str,
        after: &LegacyKey,
        limit: u32,
    ) -> anyhow::Result<ExportPage<T>> {
        let url = format!("{}{path}", self.base);
        let res = self
            .client
            .get(&url)
            .query(&[("after", after.to_string()), ("limit", limit.to_string())])
            .send()
            .await
            .with_context(|| format!("the service does not answer at {url}"))?;
        read(&url, res).await
    }

    async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        dry_run: bool,
    ) -> anyhow::Result<T> {
        let url = format!("{}{path}", self.base);
        let mut req = self.client.post(&url).json(body);
        if dry_run {
            req = req.header("X-Strangler-Dry-Run", "1");
        }
        let res = req
            .send()
            .await
            .with_context(|| format!("the service does not answer at {url}"))?;
        read(&url, res).await
    }
}

/// The service refused a request body as too large (413): the caller sends
/// smaller batches.
#[derive(Debug)]
pub struct TooLarge(pub String);

impl std::fmt::Display for TooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TooLarge {}

async fn read<T: DeserializeOwned>(url: &str, res: reqwest::Response) -> anyhow::Result<T> {
    let status = res.status();
    if status == reqwest::StatusCode::PAYLOAD_TOO_LARGE {
        return Err(TooLarge(format!(
            "{url} answered {status}: the batch is larger than its body limit"
        ))
        .into());
    }
    let text = res.text().await?;
    if !status.is_success() {
        let problem: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        bail!(
            "{url} answered {status}: {}",
            problem["detail"].as_str().unwrap_or(&text)
        );
    }
    serde_json::from_str(&text).with_context(|| format!("{url}: unexpected answer"))
}
