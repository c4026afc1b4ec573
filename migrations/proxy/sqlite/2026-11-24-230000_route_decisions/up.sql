-- Every change of a route's mode the proxy made or refused on an operator's
-- (or the watchdog's) behalf, with the numbers it decided on: the audit trail
-- of promotions and rollbacks.
CREATE TABLE route_decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    route TEXT NOT NULL,
    action TEXT NOT NULL,
    from_mode TEXT NOT NULL,
    to_mode TEXT NOT NULL,
    outcome TEXT NOT NULL,
    forced BOOLEAN NOT NULL,
    reason TEXT NOT NULL,
    evidence TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX route_decisions_by_route ON route_decisions (route, created_at);
