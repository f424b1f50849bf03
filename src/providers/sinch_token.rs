//! Sinch OAuth2 client credentials: `POST {auth}/oauth2/token` with Basic
//! `keyId:keySecret` and `grant_type=client_credentials`. The token is cached until
//! 60 s before `expires_in` runs out (the Sinch SDK refreshes 60 s early too) and
//! dropped when a call answers 401 with an expired-token `WWW-Authenticate`.
//! One lock guards fetching, so concurrent callers share one token request. The
//! endpoint's own bucket (30, refilled at 10/s) is respected client-side, and a 429
//! from it is retried a bounded number of times.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tokio::sync::Mutex;

use super::transport::Transport;
use super::{ProviderError, ProviderResult};
use crate::domain::Provider;

/// Refresh this long before the token's stated expiry.
const EARLY: Duration = Duration::from_secs(60);

#[derive(Deserialize)]
struct TokenReply {
    access_token: String,
    expires_in: Option<u64>,
}

/// A cached OAuth2 access token for one key pair.
pub struct TokenCache {
    url: String,
    key_id: String,
    key_secret: SecretString,
    current: Mutex<Option<(SecretString, Instant)>>,
    /// The token endpoint's published bucket: capacity 30, refill 10/s.
    limiter: DefaultDirectRateLimiter,
    fetches: AtomicU64,
}

impl TokenCache {
    /// A cache for `key_id`/`key_secret` at the token `url`.
    pub fn new(url: String, key_id: String, key_secret: SecretString) -> Self {
        let per_sec = NonZeroU32::new(10).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(30).unwrap_or(NonZeroU32::MIN);
        Self {
            url,
            key_id,
            key_secret,
            current: Mutex::new(None),
            limiter: RateLimiter::direct(Quota::per_second(per_sec).allow_burst(burst)),
            fetches: AtomicU64::new(0),
        }
    }

    /// How many tokens were fetched so far (tests assert caching with it).
    pub fn fetches(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    /// Forget the cached token.
    pub async fn invalidate(&self) {
        *self.current.lock().await = None;
    }

    /// A valid token, fetched when none is cached or it is about to expire.
    pub async fn token(&self, transport: &Transport) -> ProviderResult<SecretString> {
        let mut current = self.current.lock().await;
        if let Some((token, until)) = current.as_ref() {
            if Instant::now() < *until {
                return Ok(token.clone());
            }
        }
        let (token, lifetime) = self.fetch(transport).await?;
        let keep = if lifetime > EARLY * 2 { lifetime - EARLY } else { lifetime / 2 };
        *current = Some((token.clone(), Instant::now() + keep));
        Ok(token)
    }

    /// Fetch a token; a 429 (the endpoint's bucket is empty) is retried up to the
    /// transport's attempt count, after `Retry-After` when given (capped) or else a
    /// jittered backoff (Sinch sends none: its bucket refills at 10 per second).
    #[tracing::instrument(skip_all, fields(provider = "SINCH", op = "oauth2_token"))]
    async fn fetch(&self, transport: &Transport) -> ProviderResult<(SecretString, Duration)> {
        let settings = transport.settings();
        let mut attempt = 1;
        loop {
            match self.fetch_once(transport).await {
                Err(ProviderError::RateLimited { retry_after, .. }) if attempt < settings.max_attempts => {
                    let delay = retry_after.unwrap_or_else(|| backoff(settings.base_backoff, attempt));
                    tracing::warn!(delay_ms = delay.as_millis() as u64, "token endpoint rate limited, retrying");
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                Err(e) => {
                    transport.record(Err(&e));
                    return Err(e);
                }
                Ok(t) => return Ok(t),
            }
        }
    }

    async fn fetch_once(&self, transport: &Transport) -> ProviderResult<(SecretString, Duration)> {
        let provider = Provider::Sinch;
        self.limiter.until_ready().await;
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let resp = transport
            .client()
            .post(&self.url)
            .basic_auth(&self.key_id, Some(self.key_secret.expose_secret()))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("grant_type=client_credentials")
            .send()
            .await
            .map_err(|e| {
                if e.is_timeout() {
                    ProviderError::Timeout { provider }
                } else {
                    ProviderError::Unavailable { provider, status: None, message: "token request failed".into() }
                }
            })?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.bytes().await.map_err(|_| ProviderError::Unavailable {
            provider,
            status: Some(status),
            message: "token response unreadable".into(),
        })?;
        if !(200..300).contains(&status) {
            return Err(transport.status_error(status, &headers, &body));
        }
        let reply: TokenReply =
            serde_json::from_slice(&body).map_err(|e| ProviderError::Decode { provider, message: e.to_string() })?;
        // Gap: `expires_in` is not pinned down by the reference; Sinch tokens live
        // about an hour, so assume 3600 s when it is missing.
        let lifetime = Duration::from_secs(reply.expires_in.unwrap_or(3600));
        Ok((SecretString::from(reply.access_token), lifetime))
    }
}

/// `base` doubled per attempt (capped at 10 s), with jitter over the upper half.
fn backoff(base: Duration, attempt: u32) -> Duration {
    let step = base.saturating_mul(1 << attempt.min(16)).min(Duration::from_secs(10));
    let ms = u64::try_from(step.as_millis()).unwrap_or(10_000);
    Duration::from_millis(rand::Rng::gen_range(&mut rand::thread_rng(), ms / 2..=ms.max(1)))
}
