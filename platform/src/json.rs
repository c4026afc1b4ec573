//! A JSON body extractor whose errors name the offending field.
//!
//! actix's `web::Json` reports a wrong type as "invalid type: string, expected
//! i64 at line 1 column 14", which leaves the client counting columns. This one
//! deserializes through `serde_path_to_error`, so the 422 says
//! `lines[0].qty: invalid type …` and carries the path as the `field`
//! extension. Syntax errors stay 400, oversize bodies 413, non-JSON content 415.

use crate::problem::Problem;
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

/// The request body limit the extractor reports in its 413 (set by
/// [`crate::server::base_app`]).
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// A JSON request body of type `T`.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T> Json<T> {
    /// The body.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Json<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|m| {
                let m = m.trim().to_ascii_lowercase();
                m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
            })
            .unwrap_or(false);
        let limit = req.app_data::<BodyLimit>().map(|l| l.0);
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !is_json {
                return Err(Problem::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported-media-type",
                    "the body must be JSON with Content-Type: application/json",
                )
                .into());
            }
            let bytes = bytes
                .await
                .map_err(|e| match e.as_response_error().status_code() {
                    StatusCode::PAYLOAD_TOO_LARGE => Problem::payload_too_large(limit.unwrap_or(0)),
                    _ => Problem::bad_request(format!("the body cannot be read: {e}")),
                })?;
            parse(&bytes).map(Json).map_err(Into::into)
        })
    }
}

/// Deserializes `bytes`, naming the field on a data error.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_data() {
            let field = if path == "." {
                "the body".to_owned()
            } else {
                path.clone()
            };
            Problem::unprocessable(format!("{field}: {inner}")).with("field", path)
        } else {
            Problem::bad_request(format!("the body is not valid JSON: {inner}"))
        }
    })?;
    de.end()
        .map_err(|e| Problem::bad_request(format!("the body is not valid JSON: {e}")))?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Line {
        qty: i64,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Order {
        lines: Vec<Line>,
    }

    #[test]
    fn data_errors_name_the_field() {
        let err = parse::<Order>(br#"{"lines": [{"qty": 1}, {"qty": "two"}]}"#).unwrap_err();
        assert_eq!(err.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            err.detail().starts_with("lines[1].qty: invalid type"),
            "{}",
            err.detail()
        );
        assert_eq!(err.to_json()["field"], "lines[1].qty");
    }

    #[test]
    fn syntax_errors_are_400() {
        let err = parse::<Order>(br#"{"lines": ["#).unwrap_err();
        assert_eq!(err.status(), StatusCode::BAD_REQUEST);
        let err = parse::<Order>(br#"{"lines": []} trailing"#).unwrap_err();
        assert_eq!(err.status(), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn missing_and_unknown_fields_are_422() {
        let err = parse::<Order>(br#"{}"#).unwrap_err();
        assert!(
            err.detail().contains("missing field `lines`"),
            "{}",
            err.detail()
        );
        let err = parse::<Order>(br#"{"lines": [], "x": 1}"#).unwrap_err();
        assert!(
            err.detail().contains("unknown field `x`"),
            "{}",
            err.detail()
        );
    }
}
