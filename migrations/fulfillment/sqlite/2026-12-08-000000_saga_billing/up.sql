-- The billing details a place_order saga's start read from the customers'
-- owner (the monolith), kept with the saga so that issuing its invoice, on a
-- first try or after a crash, needs no second lookup. JSON of
-- payment_api::BillingDetails; NULL for other kinds.
ALTER TABLE sagas ADD COLUMN billing TEXT NULL;
