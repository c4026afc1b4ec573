DROP TABLE saga_history;
