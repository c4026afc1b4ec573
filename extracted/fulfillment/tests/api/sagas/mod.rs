//! Order sagas against the real payment service: the happy paths, business
//! failures compensated, capture and cancel, outages retried, a restart
//! resumed, a deadline compensated, and a refund racing the confirm.

mod capture_cancel;
mod outages;
mod place;
mod support;
