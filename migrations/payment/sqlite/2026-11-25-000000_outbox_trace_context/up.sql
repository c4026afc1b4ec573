-- The trace context of the transaction that recorded each event (platform::outbox).
ALTER TABLE outbox ADD COLUMN traceparent TEXT NULL;
ALTER TABLE outbox ADD COLUMN tracestate TEXT NULL;
