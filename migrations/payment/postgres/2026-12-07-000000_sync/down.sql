DROP TABLE sync_records;
DROP TABLE inbox;
