DROP TABLE route_decisions;
