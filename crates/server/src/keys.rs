//! Secret keys, derived from one master secret: token signing, OTP hashing, photo-id hashing.
//!
//! The master secret comes from configuration or from a file in the data directory, created on
//! first start.  The photo-id key must never change: it is what makes duplicate ids detectable.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The derived keys.  `Debug` never prints them.
#[derive(Clone)]
pub struct Keys {
    token: [u8; 32],
    otp: [u8; 32],
    photo_id: [u8; 32],
    sms: [u8; 32],
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys([redacted])")
    }
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = match <Hmac<Sha256> as KeyInit>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return [0; 32],
    };
    mac.update(data);
    mac.finalize().into_bytes().into()
}

impl Keys {
    /// Derives the keys from a master secret (at least 32 bytes recommended).
    pub fn derive(master: &[u8]) -> Self {
        Self {
            token: hmac(master, b"tika token signing v1"),
            otp: hmac(master, b"tika otp hashing v1"),
            photo_id: hmac(master, b"tika photo id hashing v1"),
            sms: hmac(master, b"tika sms callback v1"),
        }
    }

    /// The JWT signing key.
    pub fn token_key(&self) -> &[u8] {
        &self.token
    }

    /// Keyed hash of an OTP's SHA-256 hex, as stored.
    pub fn hash_otp(&self, otp_sha256_hex: &str) -> String {
        hex::encode(hmac(&self.otp, otp_sha256_hex.to_ascii_lowercase().as_bytes()))
    }

    /// The tag that authenticates a delivery-report address for one message (16 hex digits:
    /// a gateway can only report on the messages it was given).
    pub fn sms_callback_tag(&self, message: &uuid::Uuid) -> String {
        hex::encode(&hmac(&self.sms, message.as_bytes())[..8])
    }

    /// Keyed hash of a normalized photo id number, as stored.
    pub fn hash_photo_id(&self, id_type: i64, normalized: &str) -> String {
        hex::encode(hmac(&self.photo_id, format!("{id_type}:{normalized}").as_bytes()))
    }
}

/// Hex SHA-256 of a string (what clients send instead of the OTP).
pub fn sha256_hex(s: &str) -> String {
    use sha2::Digest;
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// Constant-time comparison of two strings.
pub fn ct_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_matches_the_cowin_example() {
        assert_eq!(
            sha256_hex("123456"),
            "8d969eef6ecad3c29a3a629280e686cf0c3f5d5a86aff3ca12020c923adc6c92"
        );
    }

    #[test]
    fn keys_are_distinct_and_stable() {
        let k = Keys::derive(b"0123456789abcdef0123456789abcdef");
        assert_eq!(
            k.hash_photo_id(1, "1234"),
            Keys::derive(b"0123456789abcdef0123456789abcdef").hash_photo_id(1, "1234")
        );
        assert_ne!(k.hash_photo_id(1, "1234"), k.hash_photo_id(2, "1234"));
        assert_ne!(
            k.hash_otp("x"),
            Keys::derive(b"another master secret of 32 bytes").hash_otp("x")
        );
        assert!(ct_eq("abc", "abc") && !ct_eq("abc", "abd") && !ct_eq("abc", "ab"));
        assert_eq!(format!("{k:?}"), "Keys([redacted])");
    }
}
