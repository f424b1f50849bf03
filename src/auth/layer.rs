//! The HTTP side of authentication: an axum middleware that turns the
//! `Authorization` header into a [`Caller`] (refusing bad credentials with 401 and,
//! in production, anonymous callers too) and applies the per-caller rate limit
//! (429 with `Retry-After`). The caller travels to GraphQL as a request extension.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::HashMapStateStore;
use governor::{Quota, RateLimiter};

use super::{AuthError, Authenticator, Caller};

type KeyedLimiter = RateLimiter<String, HashMapStateStore<String>, DefaultClock>;

/// Authentication plus per-caller rate limiting, shared by every request.
#[derive(Clone)]
pub struct Gate {
    /// Checks credentials.
    pub authenticator: Authenticator,
    limiter: Arc<KeyedLimiter>,
    require_auth: bool,
}

/// Above this many tracked callers, forget the ones whose buckets are full again.
const MAX_TRACKED_CALLERS: usize = 10_000;

impl Gate {
    /// A gate allowing `per_minute` requests per caller; `require_auth` refuses anonymous callers.
    pub fn new(authenticator: Authenticator, per_minute: u32, require_auth: bool) -> Self {
        let quota = Quota::per_minute(NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN));
        Self { authenticator, limiter: Arc::new(RateLimiter::hashmap(quota)), require_auth }
    }

    /// Authenticate a credential and refuse anonymous callers when auth is required.
    pub async fn admit(&self, credential: Option<&str>) -> Result<Caller, AuthError> {
        let caller = self.authenticator.authenticate(credential).await?;
        if self.require_auth && caller == Caller::Anonymous {
            return Err(AuthError::Malformed);
        }
        Ok(caller)
    }

    /// `Err(seconds to wait)` when `caller` is over its rate.
    pub fn throttle(&self, caller: &Caller, peer: &str) -> Result<(), u64> {
        if self.limiter.len() > MAX_TRACKED_CALLERS {
            self.limiter.retain_recent();
        }
        self.limiter
            .check_key(&caller.rate_key(peer))
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()).as_secs().max(1))
    }
}

fn refusal(status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

/// Middleware for `/graphql`: 401 on a refused credential, 429 over the rate.
pub async fn authenticate(State(gate): State<Gate>, req: Request, next: Next) -> Response {
    let credential = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map_or_else(String::new, |c| c.0.ip().to_string());
    let caller = match gate.admit(credential.as_deref()).await {
        Ok(caller) => caller,
        Err(AuthError::Store(e)) => {
            tracing::error!(error = %e, "key lookup failed");
            return refusal(StatusCode::SERVICE_UNAVAILABLE, "UNAVAILABLE", "authentication is unavailable");
        }
        Err(e) => {
            tracing::info!(reason = %e, "credential refused");
            let mut resp =
                refusal(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", "a valid API key or client token is required");
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return resp;
        }
    };
    if let Err(wait) = gate.throttle(&caller, &peer) {
        let mut resp = refusal(StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED", "too many requests; retry later");
        if let Ok(value) = HeaderValue::from_str(&wait.to_string()) {
            resp.headers_mut().insert(header::RETRY_AFTER, value);
        }
        return resp;
    }
    let mut req = req;
    req.extensions_mut().insert(caller);
    next.run(req).await
}
