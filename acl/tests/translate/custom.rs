//! A team's own translator, registered beside the standard ones: what the
//! proxy engineer builds on when a monolith is not the reference one.

use acl::paging::PageRequest;
use acl::{
    Exchange, LegacyClock, Method, Registry, Request, Response, RouteTranslator, Side, Step,
    TranslateError, problem_to_legacy,
};
use serde_json::json;
use std::sync::Arc;

/// `/api/v1/notes` (legacy `{"items", "page", ...}` of `{"txt"}`) served by
/// `/v2/notes?limit=&offset=` (`{"data": [{"text"}], ...}`).
#[derive(Debug)]
struct Notes;

impl RouteTranslator for Notes {
    fn group(&self) -> &str {
        "notes"
    }

    fn service(&self) -> &str {
        "notes"
    }

    fn handles(&self, method: Method, path: &str) -> bool {
        method == Method::Get && path == "/api/v1/notes"
    }

    fn start(&self, request: &Request) -> Result<Exchange, TranslateError> {
        if !self.handles(request.method, &request.path) {
            return Err(TranslateError::NoRoute {
                group: "notes".into(),
                method: request.method.to_string(),
                path: request.path.clone(),
            });
        }
        let asked = PageRequest::from_query(&request.query)?;
        let target = format!(
            "/v2/notes?limit={}&offset={}",
            asked.limit(),
            asked.offset()
        );
        Ok(Exchange::new(
            "notes.list",
            Request::with_target(Method::Get, &target),
            move |v2| {
                if v2.status != 200 {
                    return Ok(Step::Reply(problem_to_legacy(v2, &[("text", "txt")])));
                }
                #[derive(serde::Deserialize)]
                struct Note {
                    text: String,
                }
                let page: v2_common::Page<Note> = TranslateError::read_json(Side::V2, &v2.body)?;
                let legacy = asked.envelope(&page, |n| Ok(json!({"txt": n.text})))?;
                let body = serde_json::to_vec(&legacy).unwrap_or_default();
                Ok(Step::Reply(Response::new(200).with_body(body)))
            },
        ))
    }
}

#[test]
fn a_custom_translator_sits_beside_the_standard_ones() {
    let mut registry = Registry::standard(LegacyClock::default());
    assert!(registry.register(Arc::new(Notes)).is_none());
    let shared = Arc::new(registry);
    assert_eq!(
        shared.group_for(Method::Get, "/api/v1/notes"),
        Some("notes")
    );

    let translator = shared.get("notes").unwrap();
    let exchange = translator
        .start(&Request::with_target(
            Method::Get,
            "/api/v1/notes?page=2&per_page=1",
        ))
        .unwrap();
    assert_eq!(exchange.request().target(), "/v2/notes?limit=1&offset=1");
    let v2 = Response::new(200).with_body(
        json!({"data": [{"text": "hi"}], "total": 2, "limit": 1, "offset": 1}).to_string(),
    );
    let Step::Reply(reply) = exchange.respond(&v2).unwrap() else {
        panic!("one call")
    };
    let body: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(
        body,
        json!({"items": [{"txt": "hi"}], "page": 2, "per_page": 1, "total": 2})
    );
}
