//! A stand-in for the monolith as the customers' owner: `GET
//! /api/v1/customers/{id}` answers 200 with the customer in the monolith's
//! shape (billing details included, which the saga prints on the invoice)
//! for the ids it knows and the monolith's 404 otherwise. The monolith is another crate's application; the
//! saga asks it one question, and this answers it as the monolith does.

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpResponse, HttpServer, web};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The customers every test order may name.
pub const KNOWN: &[i64] = &[7];

/// Their billing details, as the monolith shows them.
pub fn bill() -> serde_json::Value {
    json!({"nm": "Ada Lovelace", "ln1": "12 St James's Square", "city": "London",
        "zip": "SW1Y 4JH", "ctry": "GB"})
}

pub struct Customers {
    url: String,
    server: ServerHandle,
    lookups: Arc<AtomicUsize>,
}

impl Customers {
    /// Serves `KNOWN` on a port of its own.
    pub async fn spawn() -> Self {
        let lookups = Arc::new(AtomicUsize::new(0));
        let counted = web::Data::from(lookups.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(counted.clone())
                .route("/api/v1/customers/{id}", web::get().to(customer))
        })
        .workers(1)
        .bind(("127.0.0.1", 0))
        .expect("the customers stub binds");
        let url = format!("http://{}", server.addrs()[0]);
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            url,
            server: handle,
            lookups,
        }
    }

    /// How many customers were looked up so far.
    pub fn lookups(&self) -> usize {
        self.lookups.load(Ordering::SeqCst)
    }

    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// Stops it: lookups now fail as with a crashed monolith.
    pub async fn stop(&self) {
        self.server.stop(false).await;
    }
}

async fn customer(id: web::Path<i64>, lookups: web::Data<AtomicUsize>) -> HttpResponse {
    lookups.fetch_add(1, Ordering::SeqCst);
    let id = id.into_inner();
    if KNOWN.contains(&id) {
        HttpResponse::Ok().json(json!({"id": id, "nm": "Ada", "eml": "ada@example.com",
            "bill": bill()}))
    } else {
        HttpResponse::NotFound()
            .content_type("application/problem+json")
            .json(
                json!({"type": "urn:strangler-kit:problem:not-found", "title": "Not Found",
                "status": 404, "detail": format!("customer {id} does not exist")}),
            )
    }
}
