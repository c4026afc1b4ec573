//! Order sagas against the real payment service: the happy paths, business
//! failures compensated, an unknown customer refused, capture and cancel,
//! outages retried, a restart resumed, a deadline compensated, and a refund
//! racing the confirm; and the operators' `fulfillment sagas` command line.

mod capture_cancel;
mod cli;
mod customer_check;
mod customers;
mod outages;
mod place;
mod support;
