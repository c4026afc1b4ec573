-- What each order saga did, one row per move or failed try, written in the
-- transaction of the move (or of the retry's scheduling) it records, so the
-- history never shows a step whose outcome the saga does not have. Read by
-- GET /v2/sagas/{id} and `fulfillment sagas show`.
CREATE TABLE saga_history (
    id TEXT PRIMARY KEY NOT NULL,
    saga_id TEXT NOT NULL REFERENCES sagas (id),
    at TIMESTAMP NOT NULL,
    step TEXT NOT NULL,
    to_step TEXT NULL,
    status TEXT NOT NULL,
    error TEXT NULL
);
CREATE INDEX saga_history_saga ON saga_history (saga_id, at);
