-- Shadow comparison results kept by the strangler proxy. One row per shadowed
-- request (skips and drops included, so nothing is silently lost), one child
-- row per field difference so per-field reports are SQL aggregates.
CREATE TABLE shadow_results (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    route TEXT NOT NULL,
    method TEXT NOT NULL,
    path_template TEXT NOT NULL,
    path TEXT NOT NULL,
    correlation_id TEXT NOT NULL,
    primary_status INTEGER NOT NULL,
    candidate_status INTEGER NULL,
    primary_latency_ms BIGINT NOT NULL,
    candidate_latency_ms BIGINT NULL,
    verdict TEXT NOT NULL,
    request TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX shadow_results_by_route ON shadow_results (route, created_at);
CREATE INDEX shadow_results_by_age ON shadow_results (created_at, id);

CREATE TABLE shadow_differences (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    result_id BIGINT NOT NULL REFERENCES shadow_results (id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    pattern TEXT NOT NULL,
    kind TEXT NOT NULL,
    primary_value TEXT NULL,
    candidate_value TEXT NULL
);
CREATE INDEX shadow_differences_by_result ON shadow_differences (result_id);
