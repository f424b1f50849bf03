//! HMAC-SHA256 helpers shared by the three webhook schemes (and by the simulators
//! that sign their deliveries). Verification is constant time and length-checked
//! (`Mac::verify_slice`); empty secrets and empty signatures never verify.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use super::WebhookError;

type HmacSha256 = Hmac<Sha256>;

/// Largest accepted distance between a signed timestamp and now, both directions.
pub const TIMESTAMP_TOLERANCE_SECS: i64 = 300;

/// HMAC-SHA256 of the concatenated `parts` under `secret`.
pub fn sign(secret: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail; fall back to zeros anyway.
    let Ok(mut mac) = HmacSha256::new_from_slice(secret) else {
        return [0; 32];
    };
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// Whether `signature` is the HMAC of `parts` under `secret`: constant time, and a
/// signature of the wrong length (including empty) never matches.
pub fn verify(secret: &[u8], parts: &[&[u8]], signature: &[u8]) -> bool {
    if secret.is_empty() || signature.is_empty() {
        return false;
    }
    let Ok(mut mac) = HmacSha256::new_from_slice(secret) else {
        return false;
    };
    for part in parts {
        mac.update(part);
    }
    mac.verify_slice(signature).is_ok()
}

/// The usable secrets: empty ones are dropped; none left is [`WebhookError::NoSecret`].
pub fn usable(secrets: &[SecretString]) -> Result<Vec<&[u8]>, WebhookError> {
    let keys: Vec<&[u8]> = secrets.iter().map(|s| s.expose_secret().as_bytes()).filter(|k| !k.is_empty()).collect();
    if keys.is_empty() {
        Err(WebhookError::NoSecret)
    } else {
        Ok(keys)
    }
}

/// Reject a unix-seconds timestamp more than [`TIMESTAMP_TOLERANCE_SECS`] from `now`.
pub fn check_window(timestamp: &str, now: DateTime<Utc>) -> Result<(), WebhookError> {
    let t: i64 = timestamp.trim().parse().map_err(|_| WebhookError::MalformedSignature)?;
    if (now.timestamp() - t).abs() > TIMESTAMP_TOLERANCE_SECS {
        return Err(WebhookError::Stale);
    }
    Ok(())
}

/// Hex SHA-256 of the body: the dedupe key where a provider sends no event id.
pub fn body_digest(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn empty_or_truncated_signatures_never_verify() {
        let mac = sign(b"secret", &[b"body"]);
        assert!(verify(b"secret", &[b"body"], &mac));
        assert!(!verify(b"secret", &[b"body"], &[]));
        assert!(!verify(b"secret", &[b"body"], &mac[..16]));
        assert!(!verify(b"", &[b"body"], &sign(b"", &[b"body"])));
    }
}
