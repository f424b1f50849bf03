//! HMAC-SHA256 helpers shared by the three webhook schemes (and by the simulators
//! that sign their deliveries).
//!
//! Verification costs the same whatever an attacker sends: at most
//! [`MAX_CANDIDATES`] signatures per scheme are read from a header, each must decode to
//! exactly 32 bytes, and a header breaking either rule is refused before any HMAC runs.
//! Then the HMAC of the signed content is computed once per secret (never per
//! candidate) and compared with every candidate in constant time. Empty secrets and
//! empty signatures never verify.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use super::WebhookError;

type HmacSha256 = Hmac<Sha256>;

/// Largest accepted distance between a signed timestamp and now, both directions.
pub const TIMESTAMP_TOLERANCE_SECS: i64 = 300;

/// Most signatures of one scheme read from a header (rotation needs two or three).
pub const MAX_CANDIDATES: usize = 5;

/// A decoded HMAC-SHA256 signature.
pub type Tag = [u8; 32];

/// HMAC-SHA256 of the concatenated `parts` under `secret`.
pub fn sign(secret: &[u8], parts: &[&[u8]]) -> Tag {
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
    let Ok(tag) = Tag::try_from(signature) else { return false };
    matches_any(&[secret], parts, &[tag])
}

/// Whether any candidate is the HMAC of `parts` under any of `keys`: one HMAC per key,
/// each compared with every candidate in constant time. Empty keys never match.
pub fn matches_any(keys: &[&[u8]], parts: &[&[u8]], candidates: &[Tag]) -> bool {
    let mut found = false;
    for key in keys.iter().filter(|k| !k.is_empty()) {
        let expected = sign(key, parts);
        for candidate in candidates {
            found |= constant_time_eq(&expected, candidate);
        }
    }
    found
}

/// Byte-wise comparison whose time does not depend on where the inputs differ.
fn constant_time_eq(a: &Tag, b: &Tag) -> bool {
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// Collect the candidates `values` name, decoded by `decode`; empty values are skipped.
/// More than [`MAX_CANDIDATES`] is [`WebhookError::TooManySignatures`]; a value that does
/// not decode to exactly 32 bytes is [`WebhookError::MalformedSignature`]. Stops reading
/// at the first problem, so a huge header costs no more than a small one.
pub fn candidates<'a>(
    values: impl IntoIterator<Item = &'a str>,
    decode: impl Fn(&str) -> Option<Vec<u8>>,
) -> Result<Vec<Tag>, WebhookError> {
    let mut out = Vec::new();
    for value in values.into_iter().map(str::trim).filter(|v| !v.is_empty()) {
        if out.len() == MAX_CANDIDATES {
            return Err(WebhookError::TooManySignatures);
        }
        let tag = decode(value).and_then(|b| Tag::try_from(b.as_slice()).ok());
        out.push(tag.ok_or(WebhookError::MalformedSignature)?);
    }
    Ok(out)
}

/// Decode a hex signature (exactly 64 hex digits).
pub fn from_hex(value: &str) -> Option<Vec<u8>> {
    (value.len() == 64).then(|| hex::decode(value).ok()).flatten()
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
    fn candidates_are_capped_and_must_be_32_bytes() {
        let good = hex::encode(sign(b"k", &[b"body"]));
        let five = vec![good.as_str(); MAX_CANDIDATES];
        assert_eq!(candidates(five, from_hex).map(|c| c.len()), Ok(MAX_CANDIDATES));
        let six = vec![good.as_str(); MAX_CANDIDATES + 1];
        assert_eq!(candidates(six, from_hex), Err(WebhookError::TooManySignatures));
        assert_eq!(candidates([&good[..62]], from_hex), Err(WebhookError::MalformedSignature));
        assert_eq!(candidates(["zz".repeat(32).as_str()], from_hex), Err(WebhookError::MalformedSignature));
        assert_eq!(candidates(["", " "], from_hex), Ok(vec![]));
    }

    #[test]
    fn one_hmac_per_key_matches_any_candidate() {
        let tag = sign(b"second", &[b"t", b".", b"body"]);
        let keys: [&[u8]; 3] = [b"", b"first", b"second"];
        assert!(matches_any(&keys, &[b"t", b".", b"body"], &[[0; 32], tag]));
        assert!(!matches_any(&keys, &[b"t", b".", b"other"], &[[0; 32], tag]));
        assert!(!matches_any(&[b""], &[b"body"], &[sign(b"", &[b"body"])]));
    }

    #[test]
    fn empty_or_truncated_signatures_never_verify() {
        let mac = sign(b"secret", &[b"body"]);
        assert!(verify(b"secret", &[b"body"], &mac));
        assert!(!verify(b"secret", &[b"body"], &[]));
        assert!(!verify(b"secret", &[b"body"], &mac[..16]));
        assert!(!verify(b"", &[b"body"], &sign(b"", &[b"body"])));
    }
}
