//! Request and response headers of the v2 API.

/// On every create: the same key with the same body answers with the first
/// response (status and body) and causes no second effect; the same key with
/// a different body is refused with 422. 1–255 visible ASCII characters.
pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

/// On any write: `1` (or `true`) runs the whole request inside a transaction
/// that is rolled back, emits no event and performs no external effect. The
/// response repeats the header with the value [`DRY_RUN_ROLLED_BACK`].
pub const DRY_RUN: &str = "X-Strangler-Dry-Run";

/// The value of [`DRY_RUN`] on a response whose effects were rolled back.
pub const DRY_RUN_ROLLED_BACK: &str = "rolled-back";

/// On a response replayed from the idempotency store: `true`.
pub const IDEMPOTENT_REPLAYED: &str = "Idempotent-Replayed";
