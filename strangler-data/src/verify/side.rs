//! One side of the merge-join: the legacy source's records, or the
//! service's records translated to their legacy view, read a page at a time
//! in legacy-id order (only one page held).

use crate::payments::{invoice_legacy_view, legacy_view};
use crate::source::LegacySource;
use crate::target::PaymentService;
use acl::LegacyClock;
use anyhow::Context;
use serde_json::Value;
use std::collections::VecDeque;

/// The lists verify walks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    /// Payments, each with its refunds.
    Payments,
    /// Invoices.
    Invoices,
}

impl Entity {
    /// The record's entity name.
    pub fn record(self) -> &'static str {
        match self {
            Self::Payments => "payment",
            Self::Invoices => "invoice",
        }
    }
}

enum From<'a, S> {
    Legacy(&'a S),
    New(&'a PaymentService, &'a LegacyClock),
}

/// A buffered reader of one side; `Err` bodies are records with no legacy view.
pub struct Reader<'a, S> {
    from: From<'a, S>,
    entity: Entity,
    page_size: u32,
    buf: VecDeque<(i64, Result<Value, String>)>,
    after: i64,
    done: bool,
}

impl<'a, S: LegacySource> Reader<'a, S> {
    /// The legacy side.
    pub fn legacy(source: &'a S, entity: Entity, page_size: u32) -> Self {
        Self::with(From::Legacy(source), entity, page_size)
    }

    /// The service's side, in legacy view.
    pub fn new_side(
        service: &'a PaymentService,
        entity: Entity,
        clock: &'a LegacyClock,
        page_size: u32,
    ) -> Self {
        Self::with(From::New(service, clock), entity, page_size)
    }

    fn with(from: From<'a, S>, entity: Entity, page_size: u32) -> Self {
        Self {
            from,
            entity,
            page_size,
            buf: VecDeque::new(),
            after: 0,
            done: false,
        }
    }

    /// The next record's id, reading a page when the buffer is empty.
    pub async fn peek_id(&mut self) -> anyhow::Result<Option<i64>> {
        if self.buf.is_empty() && !self.done {
            self.fill().await?;
        }
        Ok(self.buf.front().map(|(id, _)| *id))
    }

    /// Takes the record [`Self::peek_id`] showed.
    pub fn take(&mut self) -> anyhow::Result<(i64, Result<Value, String>)> {
        self.buf
            .pop_front()
            .context("verify read past the end of a list")
    }

    async fn fill(&mut self) -> anyhow::Result<()> {
        let next = match &self.from {
            From::Legacy(source) => {
                let page = match self.entity {
                    Entity::Payments => source.payments(self.after, self.page_size).await?,
                    Entity::Invoices => source.invoices(self.after, self.page_size).await?,
                };
                self.buf
                    .extend(page.items.into_iter().map(|i| (i.id, Ok(i.body))));
                page.next
            }
            From::New(service, clock) => match self.entity {
                Entity::Payments => {
                    let page = service.export_payments(self.after, self.page_size).await?;
                    self.buf.extend(
                        page.items
                            .iter()
                            .map(|p| (p.payment.legacy_id, legacy_view(p, clock))),
                    );
                    page.next
                }
                Entity::Invoices => {
                    let page = service.export_invoices(self.after, self.page_size).await?;
                    self.buf.extend(
                        page.items
                            .iter()
                            .map(|i| (i.legacy_id, invoice_legacy_view(i, clock))),
                    );
                    page.next
                }
            },
        };
        match next {
            Some(n) => self.after = n,
            None => self.done = true,
        }
        Ok(())
    }
}
