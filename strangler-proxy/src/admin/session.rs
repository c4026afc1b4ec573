//! The dashboard's session cookie. A browser cannot send a bearer header, so
//! signing in sets a cookie; it holds a proof derived from the admin token, not
//! the token itself: `<issued>.<HMAC-SHA256(token, issued)>`. A stolen cookie
//! expires after [`LIFETIME`] and cannot be replayed against `/admin/`; changing
//! the token signs every session out. Stateless, so any replica that shares the
//! token accepts it.

use super::auth::Token;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::Duration;

/// How long a dashboard session lasts.
pub const LIFETIME: Duration = Duration::from_secs(12 * 3600);

/// Tolerated clock skew between replicas for a session issued "in the future".
const SKEW_SECS: u64 = 60;

/// What the MAC covers besides the time, so the value means nothing elsewhere.
const CONTEXT: &[u8] = b"strangler dashboard session v1\n";

fn mac(token: &Token, issued: u64) -> Hmac<Sha256> {
    // HMAC takes keys of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(token.bytes()).unwrap_or_else(|_| unreachable!());
    mac.update(CONTEXT);
    mac.update(issued.to_string().as_bytes());
    mac
}

/// A session value issued at `now` (seconds since the Unix epoch).
pub fn issue(token: &Token, now: u64) -> String {
    let tag = mac(token, now).finalize().into_bytes();
    let mut out = format!("{now}.");
    for byte in tag {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// True when `value` was issued under `token` and has not expired at `now`.
pub fn accepts(token: &Token, value: &str, now: u64) -> bool {
    let Some((issued, tag)) = value.split_once('.') else {
        return false;
    };
    let Ok(issued) = issued.parse::<u64>() else {
        return false;
    };
    if issued > now + SKEW_SECS || now.saturating_sub(issued) > LIFETIME.as_secs() {
        return false;
    }
    let Some(tag) = unhex(tag) else {
        return false;
    };
    // `verify_slice` compares in constant time.
    mac(token, issued).verify_slice(&tag).is_ok()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_800_000_000;

    fn token() -> Token {
        Token::new(&"0123456789abcdef0123".into())
    }

    #[test]
    fn a_session_is_not_the_token_and_is_accepted_until_it_expires() {
        let value = issue(&token(), T0);
        assert!(!value.contains("0123456789abcdef0123"));
        assert!(accepts(&token(), &value, T0));
        assert!(accepts(&token(), &value, T0 + LIFETIME.as_secs()));
        assert!(!accepts(&token(), &value, T0 + LIFETIME.as_secs() + 1));
        assert!(!accepts(&token(), &value, T0 - SKEW_SECS - 1));
    }

    #[test]
    fn another_token_or_a_changed_value_is_refused() {
        let value = issue(&token(), T0);
        assert!(!accepts(
            &Token::new(&"another-token-of-20ch".into()),
            &value,
            T0
        ));
        let later = value.replacen(&T0.to_string(), &(T0 + 5).to_string(), 1);
        assert!(!accepts(&token(), &later, T0 + 5));
        for bad in [
            "",
            ".",
            "x.y",
            "1800000000",
            "1800000000.zz",
            "0123456789abcdef0123",
        ] {
            assert!(!accepts(&token(), bad, T0), "{bad:?}");
        }
        let mut flipped = value.clone();
        let last = flipped.pop().unwrap();
        flipped.push(if last == '0' { '1' } else { '0' });
        assert!(!accepts(&token(), &flipped, T0));
    }
}
