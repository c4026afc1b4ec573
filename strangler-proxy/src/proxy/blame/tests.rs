use super::*;
use crate::proxy::decide::Mode;
use http_body_util::{BodyExt, StreamBody};

fn request(frames: Vec<Result<Frame<Bytes>, BoxError>>) -> Request<Body> {
    let body = body::stream(StreamBody::new(futures_util::stream::iter(frames)));
    Request::new(body)
}

#[tokio::test]
async fn the_last_byte_is_when_the_body_ended() {
    let started = Instant::now();
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Frame<Bytes>, BoxError>>(4);
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|frame| (frame, rx))
    });
    let mut req = Request::new(body::stream(StreamBody::new(stream)));
    let received = watch(&mut req, started, Duration::from_secs(60)).unwrap();
    assert!(
        watched(&req).is_some(),
        "stages find the watch on the request"
    );
    let reading =
        tokio::spawn(async move { req.into_body().collect().await.map(|b| b.to_bytes()) });
    tx.send(Ok(Frame::data(Bytes::from_static(b"{"))))
        .await
        .unwrap();
    // Real time: the request path measures with `std::time::Instant`.
    tokio::time::sleep(Duration::from_millis(40)).await;
    tx.send(Ok(Frame::data(Bytes::from_static(b"}"))))
        .await
        .unwrap();
    drop(tx);
    assert_eq!(reading.await.unwrap().unwrap(), "{}");
    let took = received.last_byte().unwrap() - started;
    assert!(took >= Duration::from_millis(40), "{took:?}");
    assert!(!received.broken());
}

#[tokio::test]
async fn a_broken_body_is_the_clients() {
    let mut req = request(vec![
        Ok(Frame::data(Bytes::from_static(b"12"))),
        Err("bad chunk size".into()),
    ]);
    let received = watch(&mut req, Instant::now(), Duration::from_secs(60)).unwrap();
    assert!(req.into_body().collect().await.is_err());
    assert!(received.broken());
    let res = broken_body(Some(&received), "bad chunk size");
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(fault_of(&res), Some(ClientError::BadBody));
    assert_eq!(upstream_failed(&res), None, "counts neither way");
}

#[test]
fn a_request_without_a_body_is_not_watched() {
    let mut req = Request::new(body::empty());
    assert!(watch(&mut req, Instant::now(), Duration::from_secs(60)).is_none());
    assert!(watched(&req).is_none());
}

#[test]
fn upstream_answers_count_by_their_status() {
    let mut res = body::problem(StatusCode::BAD_GATEWAY, "upstream-failed", "x");
    assert_eq!(upstream_failed(&res), Some(true));
    *res.status_mut() = StatusCode::NOT_FOUND;
    assert_eq!(upstream_failed(&res), Some(false));
}

#[test]
fn a_clients_fault_and_time_are_not_the_new_sides() {
    let table = crate::routes::tests::build(
        r#"
[[routes]]
name = "things"
patterns = ["/things/**"]
new = "http://127.0.0.1:9"
"#,
    )
    .unwrap();
    let stats = Stats::new().unwrap();
    let route = &table.routes()[0];
    let since = Instant::now();
    let answered = |fault, status, last_byte| Answered {
        mode: Mode::New,
        backend: Backend::New,
        new_side: true,
        status,
        started: since,
        last_byte,
        fault,
    };
    record(
        &stats,
        route,
        &answered(Some(ClientError::BadBody), 400, None),
    );
    record(
        &stats,
        route,
        &answered(Some(ClientError::TooLarge), 413, None),
    );
    assert!(route.counters.new_side_since(since).is_empty());
    // Sixty seconds of the client's body: the upstream's latency is what
    // came after its last byte.
    let slow_client = since.checked_sub(Duration::from_secs(60)).unwrap();
    let slow = Answered {
        started: slow_client,
        last_byte: Some(since),
        ..answered(None, 200, None)
    };
    assert!(record(&stats, route, &slow) < 1_000);
    record(&stats, route, &answered(None, 502, None));
    let outcomes = route.counters.new_side_since(since);
    assert_eq!(outcomes.len(), 2);
    assert!(outcomes[0].latency_ms < 1_000 && !outcomes[0].failed);
    assert!(outcomes[1].failed);
    let text = stats.metrics().render().unwrap();
    assert!(
        text.contains("strangler_client_errors_total{kind=\"bad_body\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("strangler_client_body_seconds_count 1"),
        "{text}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_stalled_body_times_out_and_is_answered_408() {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Frame<Bytes>, BoxError>>(4);
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|frame| (frame, rx))
    });
    let mut req = Request::new(body::stream(StreamBody::new(stream)));
    let received = watch(&mut req, Instant::now(), Duration::from_secs(60)).unwrap();
    let mut body = req.into_body();
    // Progress resets the clock: 50 s, a byte, 50 s more is no stall.
    tokio::time::sleep(Duration::from_secs(50)).await;
    tx.send(Ok(Frame::data(Bytes::from_static(b"{"))))
        .await
        .unwrap();
    assert!(body.frame().await.unwrap().is_ok());
    let waited = tokio::time::Instant::now();
    let stalled = body.frame().await.unwrap();
    assert!(stalled.is_err());
    assert_eq!(waited.elapsed(), Duration::from_secs(60));
    assert!(received.stalled() && received.broken());
    let res = broken_body(Some(&received), stalled.unwrap_err());
    assert_eq!(res.status(), StatusCode::REQUEST_TIMEOUT);
    assert_eq!(res.headers()[http::header::CONNECTION], "close");
    assert_eq!(fault_of(&res), Some(ClientError::BodyTimeout));
    drop(tx);
}

#[tokio::test(start_paused = true)]
async fn a_body_the_upstream_is_slow_to_take_is_not_stalled() {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Frame<Bytes>, BoxError>>(4);
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|frame| (frame, rx))
    });
    let mut req = Request::new(body::stream(StreamBody::new(stream)));
    let received = watch(&mut req, Instant::now(), Duration::from_secs(60)).unwrap();
    let mut body = req.into_body();
    tx.send(Ok(Frame::data(Bytes::from_static(b"{"))))
        .await
        .unwrap();
    assert!(body.frame().await.unwrap().is_ok());
    // Nobody reads the body for two minutes (the upstream is busy); then
    // the client is waited for, and sends its next byte 30 s later.
    tokio::time::sleep(Duration::from_secs(120)).await;
    let sender = tx.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(30)).await;
        sender
            .send(Ok(Frame::data(Bytes::from_static(b"}"))))
            .await
            .unwrap();
    });
    assert!(
        body.frame().await.unwrap().is_ok(),
        "30 s of waiting is no stall"
    );
    // The clock starts when the client is waited for.
    let waited = tokio::time::Instant::now();
    assert!(body.frame().await.unwrap().is_err());
    assert_eq!(waited.elapsed(), Duration::from_secs(60));
    assert!(received.stalled());
    drop(tx);
}
