//! Recording one result at once, kept whole (imports, tests of retention and
//! windows, and anything that wants every row): a batch of one.

use super::batch::Batch;
use super::model::NewResult;
use super::{ShadowStore, StoreError};
use chrono::{DateTime, Utc};

impl ShadowStore {
    /// Records `result` as of now, kept whole; returns its id.
    pub async fn record(&self, result: NewResult) -> Result<i64, StoreError> {
        self.record_at(result, Utc::now()).await
    }

    /// Records `result` as created at `at`, kept whole; returns its id.
    /// Invalid input is refused before any write.
    pub async fn record_at(&self, result: NewResult, at: DateTime<Utc>) -> Result<i64, StoreError> {
        let mut batch = Batch::default();
        batch.add(result, at, true)?;
        let ids = self.write_batch(batch).await.map_err(|(e, _)| e)?;
        ids.first()
            .copied()
            .ok_or_else(|| StoreError::Invalid("the result was not kept".into()))
    }
}
