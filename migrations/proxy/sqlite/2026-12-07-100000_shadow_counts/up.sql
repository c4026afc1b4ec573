-- Every comparison is counted here; shadow_results keeps full rows only for
-- mismatches, candidate errors and a sample of matches. One row per key and
-- flush of the proxy's in-memory counters (first_at..last_at: the samples it
-- holds); the pruner merges rows older than an hour into one per key and
-- prune, so the table stays small. Reports and the gate count a row when its
-- first sample is inside the window and the route's current epoch.
CREATE TABLE shadow_counts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    route TEXT NOT NULL,
    verdict TEXT NOT NULL,
    primary_status INTEGER NOT NULL,
    candidate_status INTEGER NULL,
    n BIGINT NOT NULL,
    first_at TIMESTAMP NOT NULL,
    last_at TIMESTAMP NOT NULL,
    compacted BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX shadow_counts_by_route ON shadow_counts (route, first_at);
CREATE INDEX shadow_counts_by_age ON shadow_counts (compacted, first_at);

-- Per route and field pattern: how many results had a difference of a kind on
-- it (results whose candidate lacks the record are left out, as in reports).
CREATE TABLE shadow_field_counts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    route TEXT NOT NULL,
    pattern TEXT NOT NULL,
    kind TEXT NOT NULL,
    n BIGINT NOT NULL,
    first_at TIMESTAMP NOT NULL,
    last_at TIMESTAMP NOT NULL,
    compacted BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX shadow_field_counts_by_route ON shadow_field_counts (route, first_at);
CREATE INDEX shadow_field_counts_by_age ON shadow_field_counts (compacted, first_at);

-- Results recorded before this migration keep counting.
INSERT INTO shadow_counts (route, verdict, primary_status, candidate_status, n, first_at, last_at)
SELECT route, verdict, primary_status, candidate_status, COUNT(*), created_at, created_at
FROM shadow_results
GROUP BY route, verdict, primary_status, candidate_status, created_at;

INSERT INTO shadow_field_counts (route, pattern, kind, n, first_at, last_at)
SELECT r.route, d.pattern, d.kind, COUNT(DISTINCT d.result_id), r.created_at, r.created_at
FROM shadow_differences d JOIN shadow_results r ON r.id = d.result_id
WHERE NOT (r.verdict = 'mismatch' AND r.primary_status BETWEEN 200 AND 299
           AND r.candidate_status IS NOT NULL AND r.candidate_status = 404)
GROUP BY r.route, d.pattern, d.kind, r.created_at;
