//! Operator API keys: `bspg_` + 32 random characters + a 6-character checksum.
//!
//! The prefix makes leaked keys greppable (secret scanners); the checksum lets a
//! mistyped or forged key be refused without a database lookup. The database keeps
//! only a SHA-256 digest of the whole key (enough for 192 random bits; no salt or slow
//! hash is needed for keys that are not human-chosen) and a short display prefix.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

/// Every operator key starts with this.
pub const KEY_PREFIX: &str = "bspg_";
const BODY_LEN: usize = 32; // 24 random bytes in base64url
const CHECKSUM_LEN: usize = 6;

/// A freshly made key: the secret shown once, and what the database keeps.
pub struct NewKey {
    /// The whole key, to print once.
    pub secret: SecretString,
    /// SHA-256 of the whole key, hex.
    pub digest: String,
    /// The first characters, to tell keys apart in `keys list`.
    pub display_prefix: String,
}

fn checksum(body: &str) -> String {
    let hash = Sha256::digest(format!("{KEY_PREFIX}{body}").as_bytes());
    hex::encode(&hash[..CHECKSUM_LEN / 2])
}

/// SHA-256 of a key, hex: the only form stored.
pub fn digest(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// Make a new random key.
pub fn generate() -> NewKey {
    let mut bytes = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut bytes);
    let body = URL_SAFE_NO_PAD.encode(bytes);
    let key = format!("{KEY_PREFIX}{body}{}", checksum(&body));
    NewKey { digest: digest(&key), display_prefix: key[..KEY_PREFIX.len() + 6].to_owned(), secret: key.into() }
}

/// Whether `key` has the shape and checksum of a key bspgraph made (no lookup).
pub fn well_formed(key: &SecretString) -> bool {
    let key = key.expose_secret();
    let Some(rest) = key.strip_prefix(KEY_PREFIX) else { return false };
    if rest.len() != BODY_LEN + CHECKSUM_LEN || !rest.is_ascii() {
        return false;
    }
    let (body, sum) = rest.split_at(BODY_LEN);
    URL_SAFE_NO_PAD.decode(body).is_ok() && checksum(body) == sum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_well_formed_and_a_changed_character_is_not() {
        let key = generate();
        assert!(well_formed(&key.secret));
        assert!(key.secret.expose_secret().starts_with("bspg_"));
        assert_eq!(key.digest, digest(key.secret.expose_secret()));
        let mut tampered = key.secret.expose_secret().to_owned();
        let last = tampered.pop().map(|c| if c == '0' { '1' } else { '0' });
        tampered.extend(last);
        assert!(!well_formed(&tampered.into()));
        assert!(!well_formed(&"bspg_short".to_owned().into()));
        assert!(!well_formed(&"Bearer nonsense".to_owned().into()));
    }
}
