//! Every log line written while a request is handled carries its correlation
//! id, in JSON and in human format. (One test binary: it owns the global
//! subscriber.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

use actix_web::{HttpResponse, test, web};
use std::io::Write;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn handler() -> HttpResponse {
    tracing::info!("inside the handler");
    HttpResponse::Ok().finish()
}

#[actix_web::test]
async fn log_lines_of_a_request_carry_its_correlation_id() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .json()
        .with_current_span(true)
        .with_span_list(true)
        .with_writer(move || writer.clone())
        .init();

    let app = test::init_service(
        platform::server::base_app(1024, platform::metrics::Metrics::new().unwrap())
            .route("/work", web::get().to(handler)),
    )
    .await;
    let req = test::TestRequest::get()
        .uri("/work")
        .insert_header(("x-correlation-id", "trace-me-42"))
        .to_request();
    let res = test::call_service(&app, req).await;
    assert_eq!(
        res.headers().get("x-correlation-id").unwrap(),
        "trace-me-42"
    );

    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let line = text
        .lines()
        .find(|l| l.contains("inside the handler"))
        .expect("the handler logged");
    assert!(
        line.contains("\"correlation_id\":\"trace-me-42\""),
        "{line}"
    );
}
