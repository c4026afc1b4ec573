//! Choreography across the cut: a refund in the payment service reaches the
//! fulfillment service as `payment.refunded` (through its outbox, the relay
//! and fulfillment's inbox) and cancels the unshipped order; the order's
//! `order.cancelled` event is in the trace of the refund. Once over HTTP
//! (the embedded default: payment POSTs to fulfillment's `/inbox`) and once
//! over NATS JetStream (`TEST_NATS_URL`, default 127.0.0.1:4222, a stream and
//! subjects of the test's own, deleted at the end).

use platform::db::Db;
use platform::outbox::{self, StoredEvent};
use platform::relay::{EventsSettings, Transport};
use platform::testing::{TestBackend, TestDatabase};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

struct Services {
    payment: String,
    fulfillment: String,
    payment_db: Db,
    fulfillment_db: Db,
    client: reqwest::Client,
    stops: Vec<actix_web::dev::ServerHandle>,
    /// The payment service's event settings (its stream, deleted at the end).
    events: EventsSettings,
    _dbs: Vec<TestDatabase>,
}

impl Services {
    /// Fulfillment first, so payment's relay can be pointed at its inbox.
    async fn start(backend: TestBackend, transport: Transport) -> Self {
        platform::telemetry::init_for_tests();
        let unique = uuid::Uuid::new_v4().simple().to_string();
        let events = |mut e: EventsSettings, consumer: &str| {
            e.transport = transport;
            e.stream = format!("E2E_{unique}");
            e.subject_prefix = format!("e2e_{unique}");
            e.consumer = format!("{consumer}_{unique}");
            e.poll_interval_ms = 50;
            e.max_backoff_ms = 500;
            if let Ok(url) = std::env::var("TEST_NATS_URL") {
                e.nats_url = url;
            }
            e
        };

        let fulfillment_db = TestDatabase::create(backend);
        let mut f = fulfillment::settings::load(None).unwrap();
        (f.server.port, f.server.workers, f.database) = (0, 2, fulfillment_db.settings.clone());
        f.events = events(f.events, "fulfillment");
        let ful = fulfillment::startup::Application::build(f.clone())
            .await
            .unwrap();
        let fulfillment = format!("http://127.0.0.1:{}", ful.port());
        let mut stops = vec![ful.handle()];
        tokio::spawn(ful.run_until_stopped());

        let payment_db = TestDatabase::create(backend);
        let mut p: payment::settings::Settings =
            platform::settings::load(payment::settings::DEFAULTS, None, "PAYMENT_E2E_NONE")
                .unwrap();
        (p.server.port, p.server.workers, p.database) = (0, 2, payment_db.settings.clone());
        p.events = events(p.events, "payment");
        p.events.subscribers = vec![format!("{fulfillment}/inbox")];
        let pay = payment::startup::Application::build(&p).await.unwrap();
        let payment = format!("http://127.0.0.1:{}", pay.port());
        stops.push(pay.handle());
        tokio::spawn(pay.run_until_stopped());

        Self {
            payment,
            fulfillment,
            payment_db: Db::connect(&p.database, payment::migrations()).unwrap(),
            fulfillment_db: Db::connect(&f.database, fulfillment::migrations()).unwrap(),
            client: reqwest::Client::new(),
            stops,
            events: p.events,
            _dbs: vec![payment_db, fulfillment_db],
        }
    }

    async fn post(&self, url: String, body: Value) -> Value {
        let res = self
            .client
            .post(url)
            .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "{}", res.status());
        res.json().await.unwrap()
    }

    async fn order_state(&self, id: &str) -> String {
        let res = self
            .client
            .get(format!("{}/v2/orders/{id}", self.fulfillment))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let order: Value = res.json().await.unwrap();
        order["state"].as_str().unwrap().to_owned()
    }

    async fn events(db: &Db, aggregate_type: &'static str, id: String) -> Vec<StoredEvent> {
        db.read(move |c| {
            outbox::for_aggregate(c, aggregate_type, &id).map_err(platform::Problem::from)
        })
        .await
        .unwrap()
    }

    /// Stops both services (relays and consumers with them), then deletes
    /// the test's stream when it used NATS.
    async fn stop(self) {
        for handle in &self.stops {
            handle.stop(true).await;
        }
        if self.events.transport == Transport::Nats {
            let client = async_nats::connect(self.events.nats_url.as_str())
                .await
                .unwrap();
            async_nats::jetstream::new(client)
                .delete_stream(&self.events.stream)
                .await
                .unwrap();
        }
    }
}

async fn a_refund_cancels_the_unshipped_order(backend: TestBackend, transport: Transport) {
    let s = Services::start(backend, transport).await;
    let f = &s.fulfillment;
    let client = &s.client;
    let put = client
        .put(format!("{f}/v2/stock/W-1"))
        .json(&json!({"name": "Widget", "unit_price": {"amount": "12.50", "currency": "EUR"}}))
        .send()
        .await
        .unwrap();
    assert!(put.status().is_success());
    s.post(
        format!("{f}/v2/stock/W-1/adjustments"),
        json!({"delta": 5, "reason": "stock"}),
    )
    .await;
    let order = s
        .post(
            format!("{f}/v2/orders"),
            json!({"customer_legacy_id": 7, "lines": [{"sku": "W-1", "quantity": 2}]}),
        )
        .await;
    let order_id = order["id"].as_str().unwrap().to_owned();

    let payment = s
        .post(
            format!("{}/v2/payments", s.payment),
            json!({"order_legacy_id": order["legacy_id"], "customer_legacy_id": 7,
                   "amount": {"amount": "25.00", "currency": "EUR"}, "method": "card",
                   "card_token": "tok_visa", "capture": true}),
        )
        .await;
    let payment_id = payment["id"].as_str().unwrap().to_owned();
    s.post(
        format!("{}/v2/payments/{payment_id}/refunds", s.payment),
        json!({"amount": {"amount": "25.00", "currency": "EUR"}, "reason": "changed mind"}),
    )
    .await;

    let deadline = Instant::now() + Duration::from_secs(20);
    while s.order_state(&order_id).await != "cancelled" {
        assert!(
            Instant::now() < deadline,
            "the order was not cancelled in time ({transport:?})"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let refund = Services::events(&s.payment_db, "payment", payment_id)
        .await
        .into_iter()
        .find(|e| e.event_type == "payment.refunded")
        .unwrap();
    let cancelled = Services::events(&s.fulfillment_db, "order", order_id)
        .await
        .into_iter()
        .find(|e| e.event_type == "order.cancelled")
        .unwrap();
    let (refund_trace, cancel_trace) = (refund.trace().unwrap(), cancelled.trace().unwrap());
    assert_eq!(
        cancel_trace.trace_id(),
        refund_trace.trace_id(),
        "fulfillment's cancellation is in the refund's trace"
    );
    let payload: Value = serde_json::from_str(&cancelled.payload).unwrap();
    assert!(
        payload["reason"]
            .as_str()
            .unwrap()
            .contains("refunded in full"),
        "{payload}"
    );
    s.stop().await;
}

async fn over_http(backend: TestBackend) {
    a_refund_cancels_the_unshipped_order(backend, Transport::Http).await
}

async fn over_nats(backend: TestBackend) {
    a_refund_cancels_the_unshipped_order(backend, Transport::Nats).await
}

platform::both_backends!(over_http, over_nats);
