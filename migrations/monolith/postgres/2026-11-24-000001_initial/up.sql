-- The monolith's tables, grouped by the module that owns them. No foreign key
-- crosses a module boundary: modules refer to each other's rows by id only.

-- customers
CREATE TABLE customers (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    bill_name TEXT NOT NULL,
    bill_line1 TEXT NOT NULL,
    bill_city TEXT NOT NULL,
    bill_zip TEXT NOT NULL,
    bill_country TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- fulfillment
CREATE TABLE items (
    sku TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    unit_price BIGINT NOT NULL CHECK (unit_price >= 0),
    currency TEXT NOT NULL,
    on_hand BIGINT NOT NULL DEFAULT 0 CHECK (on_hand >= 0),
    reserved BIGINT NOT NULL DEFAULT 0 CHECK (reserved >= 0 AND reserved <= on_hand),
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE orders (
    id BIGSERIAL PRIMARY KEY,
    customer_id BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('P', 'C', 'S', 'D', 'X')),
    currency TEXT NOT NULL,
    total BIGINT NOT NULL CHECK (total >= 0),
    payment_id BIGINT,
    invoice_id BIGINT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX orders_customer ON orders (customer_id, id);

CREATE TABLE order_lines (
    id BIGSERIAL PRIMARY KEY,
    order_id BIGINT NOT NULL REFERENCES orders (id),
    sku TEXT NOT NULL REFERENCES items (sku),
    qty BIGINT NOT NULL CHECK (qty > 0),
    unit_price BIGINT NOT NULL,
    amount BIGINT NOT NULL
);
CREATE INDEX order_lines_order ON order_lines (order_id);

CREATE TABLE shipments (
    id BIGSERIAL PRIMARY KEY,
    order_id BIGINT NOT NULL REFERENCES orders (id),
    status TEXT NOT NULL CHECK (status IN ('S', 'D')),
    carrier TEXT NOT NULL,
    tracking TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP
);

-- payments
CREATE TABLE payments (
    id BIGSERIAL PRIMARY KEY,
    order_id BIGINT NOT NULL,
    customer_id BIGINT NOT NULL,
    amount BIGINT NOT NULL CHECK (amount >= 0),
    currency TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('A', 'C', 'P', 'R', 'V')),
    captured BIGINT NOT NULL DEFAULT 0 CHECK (captured >= 0 AND captured <= amount),
    refunded BIGINT NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= captured),
    method TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX payments_order ON payments (order_id);

CREATE TABLE refunds (
    id BIGSERIAL PRIMARY KEY,
    payment_id BIGINT NOT NULL REFERENCES payments (id),
    amount BIGINT NOT NULL CHECK (amount > 0),
    currency TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX refunds_payment ON refunds (payment_id);

CREATE TABLE invoices (
    id BIGSERIAL PRIMARY KEY,
    order_id BIGINT NOT NULL,
    customer_id BIGINT NOT NULL,
    amount BIGINT NOT NULL,
    currency TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('O', 'P', 'V', 'C')),
    bill_name TEXT NOT NULL,
    bill_line1 TEXT NOT NULL,
    bill_city TEXT NOT NULL,
    bill_zip TEXT NOT NULL,
    bill_country TEXT NOT NULL,
    issued_at TIMESTAMP NOT NULL
);
CREATE INDEX invoices_order ON invoices (order_id);
