//! The fixed bodies, built once. The payment is a real `payment_api::Payment`
//! and its legacy form comes from the ACL's own translation, so the proxy's
//! `new` mode translates a document the payment service could have sent.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use payment_api::{Payment, PaymentMethod, PaymentStatus};
use std::str::FromStr;
use uuid::Uuid;
use v2_common::{Currency, Decimal, Money};

/// Size of the large document.
pub const LARGE_BYTES: usize = 16 * 1024;

/// The legacy id of the one payment the backend knows.
pub const PAYMENT_LEGACY_ID: i64 = 1234;

/// Every body the backend sends.
#[derive(Debug, Clone)]
pub struct Answers {
    small: Bytes,
    large: Bytes,
    payment_v2: Bytes,
    payment_legacy: Bytes,
}

impl Answers {
    /// Builds the bodies.
    pub fn build() -> anyhow::Result<Self> {
        let payment = payment()?;
        let legacy =
            acl::records::payments::payment_to_legacy(&payment, &acl::LegacyClock::default())
                .map_err(|e| anyhow::anyhow!("the payment has no legacy form: {e}"))?;
        Ok(Self {
            small: Bytes::from_static(
                br#"{"id":1,"name":"widget","price":"9.99","in_stock":true}"#,
            ),
            large: Bytes::from(large()),
            payment_v2: Bytes::from(serde_json::to_vec(&payment)?),
            payment_legacy: Bytes::from(serde_json::to_vec(&legacy)?),
        })
    }

    /// The body for `path` (cheap: a reference-counted clone).
    pub fn for_path(&self, path: &str) -> Bytes {
        if path.starts_with("/large") {
            self.large.clone()
        } else if path.starts_with("/v2/payments/") {
            self.payment_v2.clone()
        } else if path.starts_with("/api/v1/payments/") {
            self.payment_legacy.clone()
        } else {
            self.small.clone()
        }
    }
}

fn payment() -> anyhow::Result<Payment> {
    let eur = |amount: &str| -> anyhow::Result<Money> {
        Ok(Money::new(Decimal::from_str(amount)?, Currency::Eur)?)
    };
    let at = |text: &str| -> anyhow::Result<DateTime<Utc>> {
        Ok(DateTime::parse_from_rfc3339(text)?.with_timezone(&Utc))
    };
    Ok(Payment {
        id: Uuid::from_u128(1),
        legacy_id: PAYMENT_LEGACY_ID,
        order_id: Some(Uuid::from_u128(2)),
        order_legacy_id: 77,
        customer_id: None,
        customer_legacy_id: Some(5),
        method: PaymentMethod::Card,
        status: PaymentStatus::PartiallyRefunded,
        amount: eur("125.00")?,
        captured: eur("125.00")?,
        refunded: eur("25.50")?,
        failure_reason: None,
        version: 3,
        created_at: at("2026-07-15T10:00:00Z")?,
        updated_at: at("2026-10-25T01:30:00Z")?,
    })
}

/// A JSON array of items padded to exactly [`LARGE_BYTES`].
fn large() -> Vec<u8> {
    let mut out = String::from("[");
    let mut n = 0;
    loop {
        let item = format!(
            r#"{{"id":{n},"sku":"SKU-{n:06}","name":"item number {n}","qty":{},"price":"{}.99"}}"#,
            n % 17,
            n % 100
        );
        // Room for a separator, the item, and the closing `]`.
        if out.len() + 1 + item.len() + 1 > LARGE_BYTES {
            break;
        }
        if n > 0 {
            out.push(',');
        }
        out.push_str(&item);
        n += 1;
    }
    out.push(']');
    // Pad with whitespace (valid JSON) to the exact size.
    let pad = LARGE_BYTES - out.len();
    out.insert_str(out.len() - 1, &" ".repeat(pad));
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_large_document_is_16_kib_of_valid_json() {
        let body = large();
        assert_eq!(body.len(), LARGE_BYTES);
        let items: Vec<serde_json::Value> = serde_json::from_slice(&body).unwrap();
        assert!(items.len() > 100);
    }

    #[test]
    fn paths_choose_their_answer() {
        let answers = Answers::build().unwrap();
        assert_eq!(answers.for_path("/large").len(), LARGE_BYTES);
        let small: serde_json::Value = serde_json::from_slice(&answers.for_path("/small")).unwrap();
        assert_eq!(small["name"], "widget");
        let v2: Payment =
            serde_json::from_slice(&answers.for_path("/v2/payments/by-legacy-id/1234")).unwrap();
        assert_eq!(v2.legacy_id, PAYMENT_LEGACY_ID);
        let legacy: acl::legacy::Payment =
            serde_json::from_slice(&answers.for_path("/api/v1/payments/1234")).unwrap();
        assert_eq!(legacy.id, PAYMENT_LEGACY_ID);
    }
}
