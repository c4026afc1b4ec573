//! The legacy HTTP API as a source: its export lists
//! (`GET /api/v1/export/{payments,invoices}?after=&limit=`).

use super::{LegacyItem, LegacySource, SourcePage};
use anyhow::{Context, bail};
use serde_json::Value;

/// Reads the monolith's export lists over HTTP.
#[derive(Debug, Clone)]
pub struct ApiSource {
    base: String,
    client: reqwest::Client,
}

impl ApiSource {
    /// A source at `base` (e.g. `http://127.0.0.1:8080`).
    pub fn new(base: &str) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(60))
            .build()?;
        Ok(Self {
            base: base.trim_end_matches('/').to_owned(),
            client,
        })
    }

    async fn page(
        &self,
        list: &str,
        after: i64,
        limit: u32,
        id: fn(&Value) -> Option<i64>,
    ) -> anyhow::Result<SourcePage> {
        let url = format!(
            "{}/api/v1/export/{list}?after={after}&limit={limit}",
            self.base
        );
        let res = self
            .client
            .get(&url)
            .send()
            .await
            .with_context(|| format!("the legacy API does not answer at {url}"))?;
        let status = res.status();
        let body: Value = res
            .json()
            .await
            .with_context(|| format!("{url}: not JSON"))?;
        if !status.is_success() {
            bail!(
                "{url} answered {status}: {}",
                body["detail"].as_str().unwrap_or("no detail")
            );
        }
        let Some(items) = body["items"].as_array() else {
            bail!("{url}: no `items` list in the answer");
        };
        let items = items
            .iter()
            .map(|item| {
                let id =
                    id(item).with_context(|| format!("{url}: a record without an id: {item}"))?;
                Ok(LegacyItem {
                    id,
                    body: item.clone(),
                })
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(SourcePage {
            items,
            next: body["next"].as_i64(),
            total: body["total"].as_u64().unwrap_or(0),
        })
    }
}

impl LegacySource for ApiSource {
    async fn payments(&self, after: i64, limit: u32) -> anyhow::Result<SourcePage> {
        self.page("payments", after, limit, |v| v["payment"]["id"].as_i64())
            .await
    }

    async fn invoices(&self, after: i64, limit: u32) -> anyhow::Result<SourcePage> {
        self.page("invoices", after, limit, |v| v["id"].as_i64())
            .await
    }
}
