//! The decision on `connection_init`: who opened the socket, or why not (the close code
//! and reason), and the size limit before that decision.

use secrecy::SecretString;

use crate::auth::Caller;
use crate::graphql::Access;
use crate::web::gate::Refusal;
use crate::web::limits::Peer;
use crate::web::state::AppState;

/// Largest message accepted before `connection_init` is acknowledged (1009 above): an
/// anonymous socket has no business sending more than a token.
pub const PRE_INIT_MAX_BYTES: usize = 64 * 1024;

/// An accepted `connection_init`: who opened the socket (every operation on it runs
/// with this access, exactly as an HTTP request with the same credential would), and
/// the credential the socket keeps to re-check it (never logged, never part of the
/// GraphQL request data).
pub(super) struct Admitted {
    pub access: Access,
    pub credential: Option<SecretString>,
}

/// A refused `connection_init`: the close code and reason, and the message the legacy
/// protocol sends first in `connection_error`.
pub(super) struct InitRefused {
    pub code: u16,
    pub reason: String,
    pub message: String,
}

/// Decide on a `connection_init` from `peer`: the token (`authToken` or `Authorization`
/// in the payload) is checked like an HTTP `Authorization` header (and refusals count
/// against the address the same way); in production a socket without one is refused.
/// The reason never contains the token.
pub(super) async fn on_connection_init(
    state: &AppState,
    peer: Peer,
    payload: Option<&serde_json::Value>,
) -> Result<Admitted, InitRefused> {
    let token = match payload.and_then(|p| p.get("authToken").or_else(|| p.get("Authorization"))) {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(token)) => Some(token.as_str()),
        Some(_) => {
            let _ = state.gate.addresses().refused(peer);
            return Err(InitRefused::forbidden("the auth token must be a string"));
        }
    };
    match state.gate.admit_from(peer, token).await {
        Ok(caller) => Ok(Admitted { access: access(state, caller), credential: token.map(|t| t.to_owned().into()) }),
        Err(Refusal::Unauthenticated) => Err(InitRefused::forbidden("a valid API key or client token is required")),
        Err(Refusal::Throttled(wait)) => {
            let message = format!("too many refused credentials from this address; retry after {wait} s");
            Err(InitRefused { code: 4403, reason: format!("Forbidden: {message}"), message })
        }
        Err(Refusal::Unavailable) => Err(InitRefused {
            code: 4500,
            reason: "Internal server error".to_owned(),
            message: "authentication is unavailable".to_owned(),
        }),
    }
}

impl InitRefused {
    fn forbidden(message: &str) -> Self {
        Self { code: 4403, reason: "Forbidden".to_owned(), message: message.to_owned() }
    }
}

fn access(state: &AppState, caller: Caller) -> Access {
    Access { caller, dev: state.settings.security.dev(), signer: state.gate.authenticator.signer().clone() }
}
