-- Counting afresh: each row starts a new epoch of a route's shadow results
-- (after a backfill, or a fix to the ACL), with who started it and why. The
-- report and the promotion gate count only results created at or after the
-- route's latest epoch began.
CREATE TABLE route_epochs (
    id BIGSERIAL PRIMARY KEY,
    route TEXT NOT NULL,
    started_by TEXT NOT NULL,
    reason TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL
);
CREATE INDEX route_epochs_by_route ON route_epochs (route, started_at);
