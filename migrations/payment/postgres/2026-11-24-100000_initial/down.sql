DROP TABLE outbox;
DROP TABLE idempotency_keys;
DROP TABLE legacy_id_counters;
DROP TABLE invoices;
DROP TABLE refunds;
DROP TABLE payments;
DROP TABLE payment_events;
