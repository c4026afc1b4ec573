//! A set of HTTP methods, as a bit mask: matching checks it per request
//! without allocating.

use http::Method;

const KNOWN: [(&str, u16); 9] = [
    ("GET", 1),
    ("HEAD", 2),
    ("POST", 4),
    ("PUT", 8),
    ("PATCH", 16),
    ("DELETE", 32),
    ("OPTIONS", 64),
    ("CONNECT", 128),
    ("TRACE", 256),
];

/// Methods a route claims; empty in the configuration means all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Methods(u16);

impl Methods {
    /// Every method.
    pub const ALL: Methods = Methods(u16::MAX);

    /// Parses method names; an empty list is [`Methods::ALL`].
    pub fn parse(names: &[String]) -> Result<Self, String> {
        if names.is_empty() {
            return Ok(Self::ALL);
        }
        let mut bits = 0;
        for name in names {
            let upper = name.to_ascii_uppercase();
            let bit = KNOWN.iter().find(|(n, _)| *n == upper).map(|(_, b)| *b).ok_or_else(|| {
                format!("`{name}` is not an HTTP method (one of GET HEAD POST PUT PATCH DELETE OPTIONS CONNECT TRACE)")
            })?;
            bits |= bit;
        }
        Ok(Self(bits))
    }

    /// Whether `method` is in the set (extension methods only in [`Methods::ALL`]).
    pub fn contains(self, method: &Method) -> bool {
        if self == Self::ALL {
            return true;
        }
        KNOWN
            .iter()
            .find(|(n, _)| *n == method.as_str())
            .is_some_and(|(_, b)| self.0 & b != 0)
    }

    /// Whether some method is in both sets.
    pub fn overlaps(self, other: Methods) -> bool {
        self.0 & other.0 != 0
    }

    /// The names, for messages and the admin API.
    pub fn names(self) -> Vec<&'static str> {
        if self == Self::ALL {
            return vec!["*"];
        }
        KNOWN
            .iter()
            .filter(|(_, b)| self.0 & b != 0)
            .map(|(n, _)| *n)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets() {
        let get = Methods::parse(&["get".into()]).unwrap();
        assert!(get.contains(&Method::GET));
        assert!(!get.contains(&Method::POST));
        assert!(Methods::ALL.contains(&Method::from_bytes(b"PURGE").unwrap()));
        assert!(get.overlaps(Methods::ALL));
        assert!(!get.overlaps(Methods::parse(&["POST".into()]).unwrap()));
        assert!(Methods::parse(&["FETCH".into()]).is_err());
        assert_eq!(get.names(), ["GET"]);
    }
}
