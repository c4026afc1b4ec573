//! Bearer-token check for the admin API, in constant time so the token cannot
//! be guessed byte by byte from response timings.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{Error, web};
use platform::Problem;
use platform::settings::Secret;
use subtle::ConstantTimeEq;

/// The configured admin token.
pub struct Token(Vec<u8>);

/// The cookie the dashboard keeps its session in after signing in
/// ([`super::session`]: a proof derived from the token, never the token).
pub const COOKIE: &str = "strangler_session";

impl Token {
    /// Holds the configured token's bytes.
    pub fn new(token: &Secret) -> Self {
        Self(token.expose().as_bytes().to_vec())
    }

    pub(in crate::admin) fn bytes(&self) -> &[u8] {
        &self.0
    }

    pub(in crate::admin) fn matches(&self, presented: &[u8]) -> bool {
        // `ct_eq` is constant-time for equal lengths; a length mismatch is
        // refused without comparing, which only reveals the length.
        presented.len() == self.0.len() && bool::from(presented.ct_eq(&self.0))
    }
}

/// Refuses requests without the right `Authorization: Bearer` token (401).
pub async fn require_bearer(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let token = req.app_data::<web::Data<Token>>().cloned();
    let presented = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::as_bytes);
    match (token, presented) {
        (Some(token), Some(presented)) if token.matches(presented) => next.call(req).await,
        (_, None) => Err(unauthorized(
            "the admin API needs `Authorization: Bearer <admin.token>`",
        )),
        _ => Err(unauthorized("the bearer token is not the admin token")),
    }
}

fn unauthorized(detail: &str) -> Error {
    Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", detail).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_token_matches() {
        let t = Token::new(&"0123456789abcdef".into());
        assert!(t.matches(b"0123456789abcdef"));
        assert!(!t.matches(b"0123456789abcdeF"));
        assert!(!t.matches(b"0123456789abcde"));
        assert!(!t.matches(b""));
    }
}
