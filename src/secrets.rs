//! Provider secrets at rest: AES-256-GCM envelopes bound to their row and field.
//!
//! Format: `b"bs1"` | key id (8 bytes, from a hash of the key) | nonce (12) | ciphertext+tag.
//! The associated data is `table:row_id:field`, so a ciphertext copied to another row
//! or column fails to open. The key id lets a later rotation keep old keys readable.
//! The key comes from `BSPGRAPH_SECRET_KEY` (base64 of 32 bytes); in the sandbox/dev
//! default without it, a key file `bspgraph-secret.key` is generated (mode 0600) next to
//! the SQLite database (or in the working directory) and reused on the next start.
//! Plaintext only ever travels as [`SecretString`]; nothing here logs a key or a secret.

use std::path::{Path, PathBuf};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::Digest;

const MAGIC: &[u8; 3] = b"bs1";
const KEY_ID_LEN: usize = 8;
const NONCE_LEN: usize = 12;
/// Name of the generated key file.
pub const KEY_FILE: &str = "bspgraph-secret.key";

/// Why a secret could not be sealed, opened or the key loaded. Never carries plaintext.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The key is not base64 of 32 bytes.
    #[error("BSPGRAPH_SECRET_KEY must be base64 of 32 bytes")]
    BadKey,
    /// The ciphertext is not ours, was made with another key, or belongs to another row.
    #[error("stored secret cannot be opened (wrong key, row or field)")]
    Open,
    /// Encryption failed (never for inputs below 64 GiB).
    #[error("secret could not be sealed")]
    Seal,
    /// Reading or writing the key file failed.
    #[error("secret key file: {0}")]
    Io(#[from] std::io::Error),
}

/// Where a sealed value lives; bound into the ciphertext.
#[derive(Debug, Clone, Copy)]
pub struct Slot<'a> {
    /// Table name.
    pub table: &'a str,
    /// Row id.
    pub row_id: i64,
    /// Column name.
    pub field: &'a str,
}

impl Slot<'_> {
    fn aad(&self) -> Vec<u8> {
        format!("{}:{}:{}", self.table, self.row_id, self.field).into_bytes()
    }
}

/// The cipher with its key id. Cheap to clone behind an `Arc`.
pub struct SecretBox {
    cipher: Aes256Gcm,
    key_id: [u8; KEY_ID_LEN],
    /// A key derived from the secret key for other purposes (signing client tokens),
    /// so the AEAD key itself is never used twice.
    derived: secrecy::SecretSlice<u8>,
    /// Earlier keys, kept only to open what they sealed until `secrets rotate` re-seals it.
    previous: Vec<(Aes256Gcm, [u8; KEY_ID_LEN])>,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretBox").field("key_id", &hex::encode(self.key_id)).finish()
    }
}

impl SecretBox {
    /// A box over raw key bytes (32).
    pub fn from_key(key: &[u8]) -> Result<Self, SecretError> {
        let cipher = Aes256Gcm::new_from_slice(key).map_err(|_| SecretError::BadKey)?;
        let digest = sha2::Sha256::digest([b"bspgraph-key-id:".as_slice(), key].concat());
        let mut key_id = [0u8; KEY_ID_LEN];
        key_id.copy_from_slice(&digest[..KEY_ID_LEN]);
        let derived = sha2::Sha256::digest([b"bspgraph-derived-key:".as_slice(), key].concat()).to_vec();
        Ok(Self { cipher, key_id, derived: derived.into(), previous: Vec::new() })
    }

    /// Also open what `previous` keys (base64, as `BSPGRAPH_PREVIOUS_SECRET_KEYS`) sealed.
    pub fn with_previous(mut self, previous: &[SecretString]) -> Result<Self, SecretError> {
        for key in previous {
            let old = Self::from_base64(key)?;
            if old.key_id != self.key_id {
                self.previous.push((old.cipher, old.key_id));
            }
        }
        Ok(self)
    }

    /// Whether `sealed` was made under the current key (else `secrets rotate` re-seals it).
    pub fn is_current(&self, sealed: &[u8]) -> bool {
        sealed.get(MAGIC.len()..MAGIC.len() + KEY_ID_LEN) == Some(self.key_id.as_slice())
    }

    /// Key material derived from the secret key, for signing (never the AEAD key).
    pub fn derived_key(&self) -> &[u8] {
        self.derived.expose_secret()
    }

    /// A box over a base64 key (`BSPGRAPH_SECRET_KEY`).
    pub fn from_base64(key: &SecretString) -> Result<Self, SecretError> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(key.expose_secret().trim())
            .map_err(|_| SecretError::BadKey)?;
        if bytes.len() != 32 {
            return Err(SecretError::BadKey);
        }
        Self::from_key(&bytes)
    }

    /// The configured key, or the generated key file in `dir` (created 0600 when absent).
    pub fn load(configured: Option<&SecretString>, dir: &Path) -> Result<Self, SecretError> {
        if let Some(key) = configured {
            return Self::from_base64(key);
        }
        let path = dir.join(KEY_FILE);
        if let Ok(text) = std::fs::read_to_string(&path) {
            tracing::info!(path = %path.display(), "using the generated secret key file");
            return Self::from_base64(&SecretString::from(text));
        }
        let mut key = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut key);
        write_private(&path, &base64::engine::general_purpose::STANDARD.encode(key))?;
        tracing::warn!(path = %path.display(), "BSPGRAPH_SECRET_KEY is not set: generated a secret key file (keep it with the database)");
        Self::from_key(&key)
    }

    /// Encrypt `secret` for `slot`.
    pub fn seal(&self, secret: &SecretString, slot: Slot<'_>) -> Result<Vec<u8>, SecretError> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::thread_rng().fill_bytes(&mut nonce);
        let aad = slot.aad();
        let payload = Payload { msg: secret.expose_secret().as_bytes(), aad: &aad };
        let ct = self.cipher.encrypt(Nonce::from_slice(&nonce), payload).map_err(|_| SecretError::Seal)?;
        Ok([MAGIC.as_slice(), &self.key_id, &nonce, &ct].concat())
    }

    /// Decrypt what [`SecretBox::seal`] made for the same `slot`.
    pub fn open(&self, sealed: &[u8], slot: Slot<'_>) -> Result<SecretString, SecretError> {
        let head = MAGIC.len() + KEY_ID_LEN + NONCE_LEN;
        if sealed.len() <= head || &sealed[..MAGIC.len()] != MAGIC {
            return Err(SecretError::Open);
        }
        let key_id = &sealed[MAGIC.len()..MAGIC.len() + KEY_ID_LEN];
        let cipher = if key_id == self.key_id {
            &self.cipher
        } else {
            self.previous.iter().find(|(_, id)| id.as_slice() == key_id).map(|(c, _)| c).ok_or(SecretError::Open)?
        };
        let nonce = &sealed[MAGIC.len() + KEY_ID_LEN..head];
        let aad = slot.aad();
        let plain = cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: &sealed[head..], aad: &aad })
            .map_err(|_| SecretError::Open)?;
        String::from_utf8(plain).map(SecretString::from).map_err(|_| SecretError::Open)
    }
}

/// What `bspgraph secrets rotate` did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rotation {
    /// Secrets re-sealed under the current key.
    pub resealed: usize,
    /// Secrets already under the current key.
    pub current: usize,
}

/// Re-seal every stored secret under the current key. Fails (changing nothing more)
/// on the first secret no known key opens, naming only its row.
pub async fn rotate(store: &crate::store::Store, secrets: &SecretBox) -> anyhow::Result<Rotation> {
    let mut report = Rotation::default();
    for (row_id, sealed) in store.sealed_credentials().await? {
        if secrets.is_current(&sealed) {
            report.current += 1;
            continue;
        }
        let slot = Slot { table: "projects", row_id, field: "credentials" };
        let plain = secrets
            .open(&sealed, slot)
            .map_err(|_| anyhow::anyhow!("project {row_id}: no known key opens its credentials"))?;
        let resealed = secrets.seal(&plain, slot)?;
        if store.replace_credentials(row_id, &sealed, resealed).await? {
            report.resealed += 1;
        }
    }
    for reg in store.registrations().await? {
        let Some(sealed) = reg.sealed_secret else { continue };
        if secrets.is_current(&sealed) {
            report.current += 1;
            continue;
        }
        let slot = registration_slot(reg.provider);
        let plain = secrets
            .open(&sealed, slot)
            .map_err(|_| anyhow::anyhow!("{}: no known key opens its webhook secret", reg.provider))?;
        if store.replace_registration_secret(reg.provider, &sealed, secrets.seal(&plain, slot)?).await? {
            report.resealed += 1;
        }
    }
    Ok(report)
}

/// Where the secret a provider issued at webhook registration is sealed (the row is
/// keyed by provider, so each provider has a fixed row id in the AAD).
pub fn registration_slot(provider: crate::domain::Provider) -> Slot<'static> {
    let row_id = match provider {
        crate::domain::Provider::Sendzen => 0,
        crate::domain::Provider::Zavu => 1,
        crate::domain::Provider::Sinch => 2,
    };
    Slot { table: "webhook_registrations", row_id, field: "secret" }
}

/// The directory of a `sqlite://PATH?...` database, else the working directory.
pub fn key_dir(database_url: &str) -> PathBuf {
    let path = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))
        .map(|rest| rest.split('?').next().unwrap_or(rest));
    match path.map(Path::new).and_then(Path::parent) {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn slot(row_id: i64) -> Slot<'static> {
        Slot { table: "projects", row_id, field: "credentials" }
    }

    #[test]
    fn sealed_secret_opens_only_in_its_own_row_and_under_its_key() {
        let sb = SecretBox::from_key(&[7u8; 32]).unwrap();
        let other = SecretBox::from_key(&[8u8; 32]).unwrap();
        let secret = SecretString::from("sk_live_abc".to_owned());

        let sealed = sb.seal(&secret, slot(1)).unwrap();

        assert!(!sealed.windows(11).any(|w| w == b"sk_live_abc"));
        assert_eq!(sb.open(&sealed, slot(1)).unwrap().expose_secret(), "sk_live_abc");
        assert!(sb.open(&sealed, slot(2)).is_err(), "copied to another row");
        assert!(other.open(&sealed, slot(1)).is_err(), "another key");
    }

    #[test]
    fn generated_key_file_is_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let a = SecretBox::load(None, dir.path()).unwrap();
        let b = SecretBox::load(None, dir.path()).unwrap();
        let sealed = a.seal(&SecretString::from("x".to_owned()), slot(3)).unwrap();
        assert_eq!(b.open(&sealed, slot(3)).unwrap().expose_secret(), "x");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(key_dir("sqlite:///tmp/x/db.sqlite?mode=rwc"), PathBuf::from("/tmp/x"));
    }
}
