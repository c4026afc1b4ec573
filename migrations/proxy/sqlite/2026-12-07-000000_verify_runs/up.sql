-- The results of `strangler verify <context>` (legacy data against the new
-- service's, record by record), posted to the admin API by the verify command.
-- The promotion gate reads the last run of a route's data context; the admin
-- API, the CLI and the dashboard show it. `differences` is a JSON array of at
-- most 100 entries; the counts are the whole run's.
CREATE TABLE verify_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    context TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP NOT NULL,
    legacy_records BIGINT NOT NULL,
    new_records BIGINT NOT NULL,
    matching_records BIGINT NOT NULL,
    missing_in_new BIGINT NOT NULL,
    missing_in_legacy BIGINT NOT NULL,
    differing_records BIGINT NOT NULL,
    differences TEXT NOT NULL,
    truncated BOOLEAN NOT NULL,
    passed BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX verify_runs_by_context ON verify_runs (context, finished_at);
