-- The fulfillment service's own tables. Ids are UUIDs stored as TEXT (the same
-- on both backends); every entity also carries its legacy id, unique.

-- Legacy ids the service hands out itself, one counter per entity kind, kept
-- in a range the monolith never reaches.
CREATE TABLE legacy_id_counters (
    entity TEXT PRIMARY KEY NOT NULL,
    last_assigned BIGINT NOT NULL
);

CREATE TABLE stock_items (
    id TEXT PRIMARY KEY NOT NULL,
    legacy_id BIGINT NOT NULL UNIQUE,
    sku TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    unit_price_minor BIGINT NOT NULL CHECK (unit_price_minor >= 0),
    currency TEXT NOT NULL,
    on_hand BIGINT NOT NULL DEFAULT 0 CHECK (on_hand >= 0),
    reserved BIGINT NOT NULL DEFAULT 0 CHECK (reserved >= 0 AND reserved <= on_hand),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE orders (
    id TEXT PRIMARY KEY NOT NULL,
    legacy_id BIGINT NOT NULL UNIQUE,
    customer_legacy_id BIGINT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'confirmed', 'shipped', 'delivered', 'cancelled')),
    currency TEXT NOT NULL,
    total_minor BIGINT NOT NULL CHECK (total_minor >= 0),
    payment_legacy_id BIGINT,
    invoice_legacy_id BIGINT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX orders_customer ON orders (customer_legacy_id, legacy_id);

CREATE TABLE order_lines (
    order_id TEXT NOT NULL REFERENCES orders (id),
    line_no INTEGER NOT NULL,
    sku TEXT NOT NULL,
    quantity BIGINT NOT NULL CHECK (quantity > 0),
    unit_price_minor BIGINT NOT NULL CHECK (unit_price_minor >= 0),
    amount_minor BIGINT NOT NULL CHECK (amount_minor >= 0),
    PRIMARY KEY (order_id, line_no)
);

-- Units held for an open order; deleted when it ships or is cancelled.
CREATE TABLE reservations (
    order_id TEXT NOT NULL REFERENCES orders (id),
    sku TEXT NOT NULL REFERENCES stock_items (sku),
    quantity BIGINT NOT NULL CHECK (quantity > 0),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (order_id, sku)
);
CREATE INDEX reservations_sku ON reservations (sku, created_at);

CREATE TABLE shipments (
    id TEXT PRIMARY KEY NOT NULL,
    legacy_id BIGINT NOT NULL UNIQUE,
    order_id TEXT NOT NULL UNIQUE REFERENCES orders (id),
    state TEXT NOT NULL CHECK (state IN ('shipped', 'delivered')),
    carrier TEXT NOT NULL,
    tracking_number TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP
);

-- Idempotency keys of creates (platform::idempotency).
CREATE TABLE idempotency_keys (
    idempotency_key TEXT PRIMARY KEY,
    request_hash TEXT NOT NULL,
    response_status INTEGER NOT NULL,
    response_content_type TEXT NOT NULL,
    response_body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- Events written with each state change (platform::outbox).
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
