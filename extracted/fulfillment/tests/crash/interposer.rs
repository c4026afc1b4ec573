//! A hold point between the orchestrator and the payment service: it
//! forwards every call, except the first one a [`Trap`] matches, which it
//! stops at a chosen [`Moment`] and reports, so a test can kill a process at
//! exactly that point of a saga (not at a random one).

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

/// Where the trapped call stops.
#[derive(Debug, Clone, Copy)]
pub enum Moment {
    /// Before the payment service sees it: the step's call is in flight.
    Before,
    /// Handed to the payment service, reported at once (the service is
    /// still working on it when the test reacts).
    Inside,
    /// After the payment service answered; the answer is never passed on.
    Answered,
}

/// Which call to stop: the first with this method whose path (query
/// included) ends with `path_end`.
#[derive(Debug, Clone, Copy)]
pub struct Trap {
    pub method: &'static str,
    pub path_end: &'static str,
    pub moment: Moment,
}

struct State {
    target: String,
    trap: Mutex<Option<Trap>>,
    sprung: Arc<Notify>,
    client: reqwest::Client,
}

/// A running interposer; dropping it stops it.
pub struct Interposer {
    pub url: String,
    sprung: Arc<Notify>,
    server: actix_web::dev::ServerHandle,
}

impl Interposer {
    /// Forwards to `target`, stopping the call `trap` matches.
    pub fn start(target: String, trap: Trap) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let sprung = Arc::new(Notify::new());
        let state = web::Data::new(State {
            target,
            trap: Mutex::new(Some(trap)),
            sprung: sprung.clone(),
            client: reqwest::Client::new(),
        });
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .default_service(web::to(relay))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            url,
            sprung,
            server: handle,
        }
    }

    /// Waits until the trapped call reached its moment.
    pub async fn sprung(&self) {
        tokio::time::timeout(std::time::Duration::from_secs(30), self.sprung.notified())
            .await
            .expect("the trapped call never came");
    }
}

impl Drop for Interposer {
    fn drop(&mut self) {
        drop(self.server.stop(false));
    }
}

async fn relay(req: HttpRequest, body: web::Bytes, state: web::Data<State>) -> HttpResponse {
    let path = req
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let trapped = {
        let mut trap = state.trap.lock().unwrap();
        let hit = trap.is_some_and(|t| req.method() == t.method && path.ends_with(t.path_end));
        if hit { trap.take() } else { None }
    };
    let moment = trapped.map(|t| t.moment);
    if let Some(Moment::Before) = moment {
        state.sprung.notify_one();
        return std::future::pending().await;
    }
    let method = reqwest::Method::from_bytes(req.method().as_str().as_bytes()).unwrap();
    let mut forward = state
        .client
        .request(method, format!("{}{path}", state.target))
        .body(body);
    for (name, value) in req.headers() {
        if name != "host" && name != "content-length" {
            forward = forward.header(name.as_str(), value.as_bytes());
        }
    }
    if let Some(Moment::Inside) = moment {
        state.sprung.notify_one();
    }
    let answer = match forward.send().await {
        Ok(answer) => answer,
        Err(e) => return HttpResponse::BadGateway().body(format!("interposer: {e}")),
    };
    let status = actix_web::http::StatusCode::from_u16(answer.status().as_u16()).unwrap();
    let kind = answer
        .headers()
        .get("content-type")
        .map(|v| v.as_bytes().to_vec());
    let body = answer.bytes().await.unwrap_or_default();
    if let Some(Moment::Answered) = moment {
        state.sprung.notify_one();
        return std::future::pending().await;
    }
    let mut out = HttpResponse::build(status);
    if let Some(kind) = kind {
        out.insert_header(("content-type", String::from_utf8_lossy(&kind).into_owned()));
    }
    out.body(body)
}
