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
