DROP TABLE sync_records;
DROP TABLE inbox;
DROP TABLE outbox;
