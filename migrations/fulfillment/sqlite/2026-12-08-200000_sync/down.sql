DROP TABLE sync_records;
