//! The legacy HTTP API as a source: its export lists
//! (`GET /api/v1/export/{payments,invoices,stock,orders}?after=&limit=`).

use super::{LegacyItem, LegacyKey, LegacySource, SourcePage};
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
        after: String,
        limit: u32,
        id: fn(&Value) -> Option<LegacyKey>,
    ) -> anyhow::Result<SourcePage> {
        let url = format!(
            "{}/api/v1/export/{list}?after={after}&limit={limit}",
            self.base
        );
        let base = format!("{}/api/v1/export/{list}", self.base);
        let res = self
            .client
            .get(base)
            .query(&[("after", after), ("limit", limit.to_string())])
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
            next: serde_json::from_value(body["next"].clone())
                .with_context(|| format!("{url}: `next` is not a cursor"))?,
            total: body["total"].as_u64().unwrap_or(0),
        })
    }
}

impl LegacySource for ApiSource {
    async fn payments(&self, after: i64, limit: u32) -> anyhow::Result<SourcePage> {
        self.page("payments", after.to_string(), limit, |v| id(&v["payment"]))
            .await
    }

    async fn invoices(&self, after: i64, limit: u32) -> anyhow::Result<SourcePage> {
        self.page("invoices", after.to_string(), limit, id).await
    }

    async fn stock(&self, after: &str, limit: u32) -> anyhow::Result<SourcePage> {
        self.page("stock", after.to_owned(), limit, |v| {
            v["sku"].as_str().map(LegacyKey::from)
        })
        .await
    }

    async fn orders(&self, after: i64, limit: u32) -> anyhow::Result<SourcePage> {
        self.page("orders", after.to_string(), limit, |v| id(&v["order"]))
            .await
    }
}

fn id(record: &Value) -> Option<LegacyKey> {
    record["id"].as_i64().map(LegacyKey::Id)
}
