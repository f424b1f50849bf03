//! Sinch simulator auth: `POST /auth/oauth2/token` (Basic key + form body, behind a
//! token bucket: 429 without `Retry-After` when it is empty; tokens are JWT-shaped with
//! an `exp` claim) and the check every other host applies (Bearer token or, for
//! testing, Basic key). An expired token answers 401 with `WWW-Authenticate`
//! mentioning `expired`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use base64::Engine;
use serde_json::json;

use super::SinchSim;
use crate::common::json;
use crate::{lock, random_id};

pub fn router(sim: Arc<SinchSim>) -> Router {
    Router::new().route("/auth/oauth2/token", post(token)).with_state(sim)
}

fn basic_ok(sim: &SinchSim, headers: &HeaderMap) -> bool {
    let Some(value) = headers.get("authorization").and_then(|v| v.to_str().ok()) else { return false };
    let Some(encoded) = value.strip_prefix("Basic ") else { return false };
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else { return false };
    decoded == format!("{}:{}", sim.config.key_id, sim.config.key_secret).as_bytes()
}

async fn token(State(sim): State<Arc<SinchSim>>, headers: HeaderMap, body: Bytes) -> Response {
    let path = "/auth";
    if !sim.token_bucket.take() {
        return sim.core.error_at(
            path,
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            "Token request rate exceeded (bucket of 30, refilled at 10 per second)",
        );
    }
    if !basic_ok(&sim, &headers) {
        return sim.core.error_at(path, StatusCode::UNAUTHORIZED, "invalid_client", "Bad client credentials");
    }
    let form = String::from_utf8_lossy(&body);
    if !form.split('&').any(|kv| kv == "grant_type=client_credentials") {
        return sim.core.error_at(
            path,
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "grant_type must be client_credentials",
        );
    }
    let access_token = jwt(&sim.config.key_id, sim.config.token_ttl_secs);
    {
        let mut st = lock(&sim.state);
        st.tokens.insert(access_token.clone(), Instant::now() + Duration::from_secs(sim.config.token_ttl_secs));
        st.tokens_issued += 1;
    }
    json(
        StatusCode::OK,
        json!({
            "access_token": access_token, "expires_in": sim.config.token_ttl_secs,
            "scope": "", "token_type": "bearer",
        }),
    )
}

/// A JWT-shaped access token (Sinch issues JWTs; its SDK reads `exp` to refresh early).
/// The signature is random: only this simulator checks the token, by lookup.
fn jwt(key_id: &str, ttl_secs: u64) -> String {
    let b64 = |v: serde_json::Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let now = chrono::Utc::now().timestamp();
    let exp = now + i64::try_from(ttl_secs).unwrap_or(3600);
    let claims = json!({ "sub": key_id, "iat": now, "exp": exp, "jti": random_id(16) });
    format!("{}.{}.{}", b64(json!({ "alg": "HS256", "typ": "JWT" })), b64(claims), random_id(43))
}

/// Bearer token (issued and unexpired) or Basic key; otherwise the host's 401 body.
pub async fn require_auth(State(sim): State<Arc<SinchSim>>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let bearer = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    let verdict = match bearer {
        Some(t) => match lock(&sim.state).tokens.get(&t) {
            Some(until) if Instant::now() < *until => Ok(()),
            Some(_) => Err(true),
            None => Err(false),
        },
        None if basic_ok(&sim, req.headers()) => Ok(()),
        None => Err(false),
    };
    match verdict {
        Ok(()) => next.run(req).await,
        Err(expired) => {
            let mut resp = sim.core.error_at(&path, StatusCode::UNAUTHORIZED, "unauthorized_error", "Unauthorized");
            if expired {
                resp.headers_mut().insert(
                    "www-authenticate",
                    HeaderValue::from_static("Bearer error=\"invalid_token\", error_description=\"Jwt expired\""),
                );
            }
            resp
        }
    }
}
