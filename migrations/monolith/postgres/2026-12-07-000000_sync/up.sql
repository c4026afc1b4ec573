-- A change of each payment or invoice, written with it (platform::outbox, platform::sync).
CREATE TABLE outbox (
    seq BIGSERIAL PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    aggregate_type TEXT NOT NULL,
    aggregate_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP NULL,
    traceparent TEXT NULL,
    tracestate TEXT NULL
);
CREATE INDEX outbox_undelivered ON outbox (seq) WHERE delivered_at IS NULL;

-- Changes applied from the other side, once each (platform::inbox).
CREATE TABLE inbox (
    event_id TEXT PRIMARY KEY,
    event_type TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL
);

-- Last change published and applied per record, each direction (platform::sync).
CREATE TABLE sync_records (
    entity TEXT NOT NULL,
    record_key TEXT NOT NULL,
    published BIGINT NOT NULL,
    applied BIGINT NOT NULL,
    PRIMARY KEY (entity, record_key)
);
