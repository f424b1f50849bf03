//! Who is calling: operator API keys (partner backends and tools) and client-scoped
//! tokens (end-customer UIs). This module turns a bearer credential into a [`Caller`];
//! it does not decide what a caller may see (the GraphQL layer scopes every read by
//! [`Caller::client_scope`]) and never logs a credential.

pub mod keys;
pub mod tokens;

use chrono::Utc;
use secrecy::SecretString;

use crate::store::{Store, StoreError};
pub use tokens::{ClientClaims, TokenError, TokenSigner};

/// The authenticated party of one request or WebSocket connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// No credential (allowed in dev mode only).
    Anonymous,
    /// An operator key: sees and does everything.
    Operator {
        /// The key's row id.
        key_id: i64,
    },
    /// A client token: sees only its client's objects.
    Client(ClientClaims),
}

impl Caller {
    /// `Some(client_id)` when the caller may only see one client's objects.
    pub fn client_scope(&self) -> Option<i64> {
        match self {
            Self::Client(claims) => Some(claims.client_id),
            _ => None,
        }
    }

    /// Whether the caller may use operator-only operations.
    pub fn is_operator(&self, dev_mode: bool) -> bool {
        match self {
            Self::Operator { .. } => true,
            Self::Anonymous => dev_mode,
            Self::Client(_) => false,
        }
    }

    /// The key per-caller rate limits are counted under.
    pub fn rate_key(&self, peer: &str) -> String {
        match self {
            Self::Anonymous => format!("anon:{peer}"),
            Self::Operator { key_id } => format!("key:{key_id}"),
            Self::Client(c) => format!("client:{}", c.client_id),
        }
    }
}

/// Why a credential was refused.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Not `Bearer <bspg_… | bspc_…>`, or a key whose checksum is wrong (no lookup made).
    #[error("malformed credential")]
    Malformed,
    /// A well-formed key that is unknown or revoked.
    #[error("unknown or revoked key")]
    UnknownKey,
    /// A client token that is forged or expired.
    #[error("client token refused: {0}")]
    Token(#[from] TokenError),
    /// The key lookup failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks credentials against the key store and the token signer.
#[derive(Clone)]
pub struct Authenticator {
    store: Store,
    signer: TokenSigner,
}

impl Authenticator {
    /// An authenticator over `store`, verifying client tokens with `signer`.
    pub fn new(store: Store, signer: TokenSigner) -> Self {
        Self { store, signer }
    }

    /// The signer, for `issueClientToken`.
    pub fn signer(&self) -> &TokenSigner {
        &self.signer
    }

    /// Authenticate an `Authorization` header value (or a WebSocket init token).
    pub async fn authenticate(&self, credential: Option<&str>) -> Result<Caller, AuthError> {
        let Some(raw) = credential.map(str::trim).filter(|c| !c.is_empty()) else {
            return Ok(Caller::Anonymous);
        };
        let token = raw.strip_prefix("Bearer ").or_else(|| raw.strip_prefix("bearer ")).unwrap_or(raw).trim();
        if token.starts_with(tokens::TOKEN_PREFIX) {
            return Ok(Caller::Client(self.signer.verify(token, Utc::now())?));
        }
        let secret: SecretString = token.to_owned().into();
        if !keys::well_formed(&secret) {
            return Err(AuthError::Malformed);
        }
        match self.store.api_key_by_digest(&keys::digest(token)).await? {
            Some(key) => Ok(Caller::Operator { key_id: key.id }),
            None => Err(AuthError::UnknownKey),
        }
    }
}
