//! The HTTP side of authentication: an axum middleware that turns the
//! `Authorization` header into a [`Caller`] (refusing bad credentials with 401 and,
//! in production, anonymous callers too) and applies the rate limits: per caller
//! (HTTP requests and WebSocket operations share one bucket) and, per remote address,
//! a brake on refused credentials (see [`super::limits`]). Over a limit the answer is
//! 429 with `Retry-After`. The caller travels to GraphQL as a request extension.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::RateLimiter;

use super::limits::{quota, take, AddressLimits, KeyedLimiter, Peer};
use crate::auth::{keys, AuthError, Authenticator, Caller};
use crate::config::AddressLimitSettings;
use crate::store::StoreError;

/// Authentication plus rate limiting, shared by every request and socket.
#[derive(Clone)]
pub struct Gate {
    /// Checks credentials.
    pub authenticator: Authenticator,
    limiter: Arc<KeyedLimiter<String>>,
    addresses: Arc<AddressLimits>,
    /// Digests of operator keys last found valid, and when: open sockets re-check their
    /// key on a timer, and many sockets share one key, so one lookup per key per interval.
    keys_seen: Arc<Mutex<HashMap<String, Instant>>>,
    require_auth: bool,
}

/// Why the gate turned a caller away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The credential is refused (401, WebSocket close 4403).
    Unauthenticated,
    /// The address is held back for refused credentials: seconds to wait (429).
    Throttled(u64),
    /// The key store could not be reached (503).
    Unavailable,
}

impl Gate {
    /// A gate allowing `per_minute` requests per caller; `require_auth` refuses anonymous
    /// callers; `addresses` limits upgrades and refused credentials per remote address.
    pub fn new(
        authenticator: Authenticator,
        per_minute: u32,
        require_auth: bool,
        addresses: &AddressLimitSettings,
    ) -> Self {
        Self {
            authenticator,
            limiter: Arc::new(RateLimiter::hashmap(quota(per_minute, per_minute))),
            addresses: Arc::new(AddressLimits::new(addresses)),
            keys_seen: Arc::default(),
            require_auth,
        }
    }

    /// Authenticate a credential and refuse anonymous callers when auth is required.
    pub async fn admit(&self, credential: Option<&str>) -> Result<Caller, AuthError> {
        let caller = self.authenticator.authenticate(credential).await?;
        if self.require_auth && caller == Caller::Anonymous {
            return Err(AuthError::Malformed);
        }
        Ok(caller)
    }

    /// [`Self::admit`] for a request from `peer`, counting refusals against its address:
    /// an address held back gets [`Refusal::Throttled`] whatever it sends.
    pub async fn admit_from(&self, peer: Peer, credential: Option<&str>) -> Result<Caller, Refusal> {
        self.addresses.held_back(peer).map_err(Refusal::Throttled)?;
        match self.admit(credential).await {
            Ok(caller) => Ok(caller),
            Err(AuthError::Store(e)) => {
                tracing::error!(error = %e, "key lookup failed");
                Err(Refusal::Unavailable)
            }
            Err(e) => {
                tracing::info!(reason = %e, peer = %peer.0, "credential refused");
                self.addresses.refused(peer).map_err(Refusal::Throttled)?;
                Err(Refusal::Unauthenticated)
            }
        }
    }

    /// `Err(seconds to wait)` when `caller` is over its rate (one request or operation).
    pub fn throttle(&self, caller: &Caller, peer: Peer) -> Result<(), u64> {
        take(&self.limiter, &caller.rate_key(&peer.0.to_string()))
    }

    /// The per-address limits.
    pub fn addresses(&self) -> &AddressLimits {
        &self.addresses
    }

    /// Whether a credential this gate admitted still holds: a client token until its
    /// expiry, an operator key until it is revoked (looked up again unless found valid
    /// less than `max_age` ago). No credential (dev mode) always holds.
    pub async fn still_valid(&self, credential: Option<&str>, max_age: Duration) -> Result<bool, StoreError> {
        let Some(raw) = credential else { return Ok(true) };
        let digest = keys::digest(raw);
        if self.seen_within(&digest, max_age) {
            return Ok(true);
        }
        match self.authenticator.authenticate(Some(raw)).await {
            Ok(Caller::Operator { .. }) => {
                self.seen_now(digest);
                Ok(true)
            }
            Ok(_) => Ok(true),
            Err(AuthError::Store(e)) => Err(e),
            Err(_) => {
                self.lock_seen().remove(&digest);
                Ok(false)
            }
        }
    }

    fn lock_seen(&self) -> std::sync::MutexGuard<'_, HashMap<String, Instant>> {
        self.keys_seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn seen_within(&self, digest: &str, max_age: Duration) -> bool {
        !max_age.is_zero() && self.lock_seen().get(digest).is_some_and(|at| at.elapsed() < max_age)
    }

    fn seen_now(&self, digest: String) {
        let mut seen = self.lock_seen();
        if seen.len() > super::limits::MAX_TRACKED_KEYS {
            seen.clear();
        }
        seen.insert(digest, Instant::now());
    }
}

/// A JSON error body with one error and its `extensions.code`.
pub fn refusal(status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

/// 429 `RATE_LIMITED` with `Retry-After: wait`.
pub fn rate_limited(wait: u64, message: &str) -> Response {
    let mut resp = refusal(StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED", message);
    resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(wait));
    resp
}

/// The HTTP answer to a [`Refusal`].
pub fn refused(refusal_kind: Refusal) -> Response {
    match refusal_kind {
        Refusal::Unavailable => {
            refusal(StatusCode::SERVICE_UNAVAILABLE, "UNAVAILABLE", "authentication is unavailable")
        }
        Refusal::Throttled(wait) => rate_limited(wait, "too many refused credentials from this address; retry later"),
        Refusal::Unauthenticated => {
            let mut resp =
                refusal(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", "a valid API key or client token is required");
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            resp
        }
    }
}

/// Middleware for `/graphql`: 401 on a refused credential, 429 over a rate.
pub async fn authenticate(State(gate): State<Gate>, req: Request, next: Next) -> Response {
    let credential = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let peer = Peer::of(req.extensions());
    let caller = match gate.admit_from(peer, credential.as_deref()).await {
        Ok(caller) => caller,
        Err(refusal_kind) => return refused(refusal_kind),
    };
    if let Err(wait) = gate.throttle(&caller, peer) {
        return rate_limited(wait, "too many requests; retry later");
    }
    let mut req = req;
    req.extensions_mut().insert(caller);
    next.run(req).await
}
