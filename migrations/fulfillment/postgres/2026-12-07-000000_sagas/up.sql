-- Order sagas (extracted/fulfillment/src/saga): one row per saga, updated in
-- the same transaction as each local step, so a crash never loses a step's
-- outcome. `next_attempt_at` is both the schedule and the lease: a driver
-- claims a saga by moving it into the future; NULL once the saga has ended.
CREATE TABLE sagas (
    id TEXT PRIMARY KEY NOT NULL,
    start_key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('place_order', 'capture_order', 'cancel_order')),
    status TEXT NOT NULL CHECK (status IN ('running', 'compensating', 'completed', 'compensated', 'failed')),
    step TEXT NOT NULL,
    request TEXT NOT NULL,
    order_id TEXT NULL,
    payment_id TEXT NULL,
    payment_legacy_id BIGINT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NULL,
    step_deadline_at TIMESTAMP NULL,
    last_error TEXT NULL,
    failure TEXT NULL,
    traceparent TEXT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX sagas_due ON sagas (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX sagas_order ON sagas (order_id);
CREATE INDEX sagas_created ON sagas (created_at);
