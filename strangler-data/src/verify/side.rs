//! One side of the merge-join: the legacy source's records, or the
//! service's records translated to their legacy view, read a page at a time
//! in legacy-key order (only one page held).

use crate::fulfillment::{order_legacy_view, stock_legacy_view};
use crate::payments::{invoice_legacy_view, legacy_view};
use crate::source::{self, LegacyKey, LegacySource, List};
use crate::target::Service;
use acl::LegacyClock;
use anyhow::{Context, bail};
use fulfillment_api::paths::templates as fulfillment_paths;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::VecDeque;

enum From<'a, S> {
    Legacy(&'a S),
    New(&'a Service, &'a LegacyClock),
}

type Record = (LegacyKey, Result<Value, String>);

/// A buffered reader of one side; `Err` bodies are records with no legacy view.
pub struct Reader<'a, S> {
    from: From<'a, S>,
    list: List,
    page_size: u32,
    buf: VecDeque<Record>,
    after: LegacyKey,
    done: bool,
}

impl<'a, S: LegacySource> Reader<'a, S> {
    /// The legacy side.
    pub fn legacy(source: &'a S, list: List, page_size: u32) -> Self {
        Self::with(From::Legacy(source), list, page_size)
    }

    /// The service's side, in legacy view.
    pub fn new_side(
        service: &'a Service,
        list: List,
        clock: &'a LegacyClock,
        page_size: u32,
    ) -> Self {
        Self::with(From::New(service, clock), list, page_size)
    }

    fn with(from: From<'a, S>, list: List, page_size: u32) -> Self {
        Self {
            from,
            list,
            page_size,
            buf: VecDeque::new(),
            after: list.start(),
            done: false,
        }
    }

    /// The next record's key, reading a page when the buffer is empty.
    pub async fn peek_id(&mut self) -> anyhow::Result<Option<LegacyKey>> {
        if self.buf.is_empty() && !self.done {
            self.fill().await?;
        }
        Ok(self.buf.front().map(|(id, _)| id.clone()))
    }

    /// Takes the record [`Self::peek_id`] showed.
    pub fn take(&mut self) -> anyhow::Result<Record> {
        self.buf
            .pop_front()
            .context("verify read past the end of a list")
    }

    async fn fill(&mut self) -> anyhow::Result<()> {
        let (records, next) = match &self.from {
            From::Legacy(source) => {
                let page = source::read(*source, self.list, &self.after, self.page_size).await?;
                let records = page.items.into_iter().map(|i| (i.id, Ok(i.body))).collect();
                (records, page.next)
            }
            From::New(service, clock) => self.new_page(service, clock).await?,
        };
        // The merge-join is only right when both sides page in the same
        // order: a database sorting keys by a locale's collation does not.
        let mut last = &self.after;
        for (key, _) in &records {
            if key <= last {
                bail!(
                    "the {} list is not in key order ({key} after {last}): its database must sort keys byte by byte (PostgreSQL: a C collation)",
                    self.list.name()
                );
            }
            last = key;
        }
        self.buf.extend(records);
        match next {
            Some(n) => self.after = n,
            None => self.done = true,
        }
        Ok(())
    }

    async fn new_page(
        &self,
        service: &Service,
        clock: &LegacyClock,
    ) -> anyhow::Result<(Vec<Record>, Option<LegacyKey>)> {
        let (after, size) = (&self.after, self.page_size);
        Ok(match self.list {
            List::Payments => {
                let page = export(service, payment_api::paths::EXPORT_PAYMENTS, after, size);
                let (items, next) = page.await?;
                let view = |p: &payment_api::PaymentExport| legacy_view(p, clock);
                (keyed(&items, |p| p.payment.legacy_id.into(), view), next)
            }
            List::Invoices => {
                let page = export(service, payment_api::paths::EXPORT_INVOICES, after, size);
                let (items, next) = page.await?;
                let view = |i: &payment_api::Invoice| invoice_legacy_view(i, clock);
                (keyed(&items, |i| i.legacy_id.into(), view), next)
            }
            List::Stock => {
                let page = export(service, fulfillment_paths::STOCK_EXPORT, after, size);
                let (items, next) = page.await?;
                let key = |i: &fulfillment_api::StockItem| LegacyKey::from(i.sku.as_str());
                (keyed(&items, key, stock_legacy_view), next)
            }
            List::Orders => {
                let page = export(service, fulfillment_paths::ORDER_EXPORT, after, size);
                let (items, next) = page.await?;
                let view = |o: &fulfillment_api::OrderExport| order_legacy_view(o, clock);
                (keyed(&items, |o| o.order.legacy_id.into(), view), next)
            }
        })
    }
}

async fn export<T: DeserializeOwned>(
    service: &Service,
    path: &str,
    after: &LegacyKey,
    size: u32,
) -> anyhow::Result<(Vec<T>, Option<LegacyKey>)> {
    let page = service.export::<T>(path, after, size).await?;
    Ok((page.items, page.next))
}

fn keyed<T>(
    items: &[T],
    key: impl Fn(&T) -> LegacyKey,
    view: impl Fn(&T) -> Result<Value, String>,
) -> Vec<Record> {
    items.iter().map(|i| (key(i), view(i))).collect()
}
