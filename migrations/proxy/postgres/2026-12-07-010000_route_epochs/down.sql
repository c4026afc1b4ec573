DROP TABLE route_epochs;
