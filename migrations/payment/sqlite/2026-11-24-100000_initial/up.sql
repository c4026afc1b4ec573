-- The payment service's own database. UUIDs are TEXT on both backends;
-- money is integer minor units plus an ISO 4217 code.

-- The event-sourced ledger: one append-only stream per payment.
CREATE TABLE payment_events (
    stream_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    event_id TEXT NOT NULL UNIQUE,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    PRIMARY KEY (stream_id, version)
);

-- Projections of the ledger (rebuildable with `payment rebuild-projections`).
CREATE TABLE payments (
    id TEXT PRIMARY KEY,
    legacy_id BIGINT NOT NULL UNIQUE,
    order_id TEXT NULL,
    order_legacy_id BIGINT NOT NULL,
    customer_id TEXT NULL,
    customer_legacy_id BIGINT NULL,
    method TEXT NOT NULL,
    status TEXT NOT NULL,
    currency TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    captured_minor BIGINT NOT NULL,
    refunded_minor BIGINT NOT NULL,
    failure_reason TEXT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX payments_by_order ON payments (order_legacy_id, legacy_id);

CREATE TABLE refunds (
    id TEXT PRIMARY KEY,
    legacy_id BIGINT NOT NULL UNIQUE,
    payment_id TEXT NOT NULL REFERENCES payments (id),
    payment_legacy_id BIGINT NOT NULL,
    currency TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    reason TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX refunds_by_payment ON refunds (payment_id, legacy_id);

-- Invoices are plain state (not event-sourced).
CREATE TABLE invoices (
    id TEXT PRIMARY KEY,
    legacy_id BIGINT NOT NULL UNIQUE,
    number TEXT NOT NULL UNIQUE,
    order_id TEXT NULL,
    order_legacy_id BIGINT NOT NULL,
    customer_id TEXT NULL,
    customer_legacy_id BIGINT NOT NULL,
    payment_id TEXT NULL REFERENCES payments (id),
    payment_legacy_id BIGINT NULL,
    currency TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    status TEXT NOT NULL,
    bill_name TEXT NOT NULL,
    bill_line1 TEXT NOT NULL,
    bill_city TEXT NOT NULL,
    bill_postal_code TEXT NOT NULL,
    bill_country TEXT NOT NULL,
    issued_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX invoices_by_order ON invoices (order_legacy_id, legacy_id);

-- Legacy ids the service assigns itself, from a range the monolith never uses.
CREATE TABLE legacy_id_counters (
    entity TEXT PRIMARY KEY,
    next_value BIGINT NOT NULL
);

-- platform::idempotency
CREATE TABLE idempotency_keys (
    idempotency_key TEXT PRIMARY KEY,
    request_hash TEXT NOT NULL,
    response_status INTEGER NOT NULL,
    response_content_type TEXT NOT NULL,
    response_body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- platform::outbox
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    aggregate_type TEXT NOT NULL,
    aggregate_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP NULL
);
CREATE INDEX outbox_undelivered ON outbox (seq) WHERE delivered_at IS NULL;
