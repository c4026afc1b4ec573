-- Events applied from other services, once each (platform::inbox).
CREATE TABLE inbox (
    event_id TEXT PRIMARY KEY,
    event_type TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL
);
