-- Last change published and applied per record, each direction (platform::sync):
-- orders and stock items synced with the monolith.
CREATE TABLE sync_records (
    entity TEXT NOT NULL,
    record_key TEXT NOT NULL,
    published BIGINT NOT NULL,
    applied BIGINT NOT NULL,
    PRIMARY KEY (entity, record_key)
);
