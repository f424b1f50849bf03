//! Client-scoped tokens for end-customer UIs: `bspc_<payload>.<mac>`, where the
//! payload (base64url JSON) names one client and an expiry, and the MAC is
//! HMAC-SHA256 under a key derived from the server's secret key. Stateless: a token
//! is valid until it expires (keep TTLs short).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, TimeZone, Utc};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretSlice, SecretString};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// Every client token starts with this.
pub const TOKEN_PREFIX: &str = "bspc_";
/// Longest lifetime a token may be issued for.
pub const MAX_TTL_SECONDS: i64 = 24 * 3600;

#[derive(Serialize, Deserialize)]
struct Claims {
    /// Client row id.
    c: i64,
    /// Expiry, Unix seconds.
    e: i64,
}

/// A verified token: which client, until when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientClaims {
    /// The client the token may act for.
    pub client_id: i64,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

/// Why a token was refused (all answer 401; the reason is for logs only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not a token bspgraph issued, or altered.
    #[error("malformed or forged token")]
    Invalid,
    /// Past its expiry.
    #[error("expired token")]
    Expired,
}

/// Signs and verifies client tokens.
#[derive(Clone)]
pub struct TokenSigner {
    key: SecretSlice<u8>,
}

impl std::fmt::Debug for TokenSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenSigner(<redacted>)")
    }
}

type HmacSha256 = Hmac<Sha256>;

impl TokenSigner {
    /// A signer whose MAC key is derived from `secret_key` for this purpose only.
    pub fn new(secret_key: &[u8]) -> Self {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(secret_key).unwrap_or_else(|_| unreachable_hmac());
        mac.update(b"bspgraph client tokens v1");
        Self { key: mac.finalize().into_bytes().to_vec().into() }
    }

    fn mac(&self, payload: &str) -> HmacSha256 {
        let mut mac =
            <HmacSha256 as Mac>::new_from_slice(self.key.expose_secret()).unwrap_or_else(|_| unreachable_hmac());
        mac.update(payload.as_bytes());
        mac
    }

    /// A token for `client_id` valid until `expires_at`.
    pub fn issue(&self, client_id: i64, expires_at: DateTime<Utc>) -> SecretString {
        let claims = Claims { c: client_id, e: expires_at.timestamp() };
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap_or_default());
        let sig = URL_SAFE_NO_PAD.encode(self.mac(&payload).finalize().into_bytes());
        format!("{TOKEN_PREFIX}{payload}.{sig}").into()
    }

    /// Check a token's MAC (constant time) and expiry.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<ClientClaims, TokenError> {
        let rest = token.strip_prefix(TOKEN_PREFIX).ok_or(TokenError::Invalid)?;
        let (payload, sig) = rest.split_once('.').ok_or(TokenError::Invalid)?;
        let sig = URL_SAFE_NO_PAD.decode(sig).map_err(|_| TokenError::Invalid)?;
        self.mac(payload).verify_slice(&sig).map_err(|_| TokenError::Invalid)?;
        let claims: Claims = URL_SAFE_NO_PAD
            .decode(payload)
            .ok()
            .and_then(|json| serde_json::from_slice(&json).ok())
            .ok_or(TokenError::Invalid)?;
        let expires_at = Utc.timestamp_opt(claims.e, 0).single().ok_or(TokenError::Invalid)?;
        if expires_at <= now {
            return Err(TokenError::Expired);
        }
        Ok(ClientClaims { client_id: claims.c, expires_at })
    }
}

/// HMAC accepts keys of any length, so construction cannot fail.
fn unreachable_hmac() -> HmacSha256 {
    unreachable!("HMAC-SHA256 takes keys of any length")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn tokens_verify_until_they_expire_and_not_when_altered() {
        let signer = TokenSigner::new(b"server secret key material 32 by");
        let now = Utc::now();
        let token = signer.issue(42, now + Duration::seconds(60));
        let claims = signer.verify(token.expose_secret(), now).expect("valid");
        assert_eq!(claims.client_id, 42);
        assert_eq!(signer.verify(token.expose_secret(), now + Duration::seconds(61)), Err(TokenError::Expired));
        let other = TokenSigner::new(b"another server's secret key.....");
        assert_eq!(other.verify(token.expose_secret(), now), Err(TokenError::Invalid));
        // Claim another client with the same signature: refused.
        let forged_payload = URL_SAFE_NO_PAD.encode(br#"{"c":43,"e":9999999999}"#);
        let sig = token.expose_secret().split_once('.').map(|(_, s)| s).unwrap_or_default();
        assert_eq!(signer.verify(&format!("bspc_{forged_payload}.{sig}"), now), Err(TokenError::Invalid));
    }
}
