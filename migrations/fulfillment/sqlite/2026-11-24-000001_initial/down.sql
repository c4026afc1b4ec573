DROP TABLE outbox;
DROP TABLE idempotency_keys;
DROP TABLE shipments;
DROP TABLE reservations;
DROP TABLE order_lines;
DROP TABLE orders;
DROP TABLE stock_items;
DROP TABLE legacy_id_counters;
