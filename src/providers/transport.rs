//! The HTTP discipline every adapter shares: a reqwest client with connect and total
//! timeouts, client-side rate limiting per provider (fair across clients, see
//! [`super::fair`]), bounded retries with exponential
//! backoff and full jitter (reads, connect failures, and 429/503 answers, honouring a
//! capped `Retry-After`), no blind retry of a create (a create that timed out after
//! being sent is [`ProviderError::UncertainCreate`]), auth (Bearer, Basic, or an OAuth2
//! client-credentials token cached until shortly before expiry and refetched once on
//! an expired-token 401), and the health record behind the `providers` query.
//!
//! Errors never carry URLs (`reqwest::Error::without_url` is not even needed: only the
//! error kind is kept) and spans never carry secrets.

use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method};
use governor::{Quota, RateLimiter};
use rand::Rng;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::fair::FairGate;
use super::{ProviderError, ProviderResult};
use crate::domain::{Provider, ProviderHealth};

pub use super::sinch_token::TokenCache;

/// Timeouts and retry bounds.
#[derive(Debug, Clone, Copy)]
pub struct HttpSettings {
    /// TCP + TLS connect timeout.
    pub connect_timeout: Duration,
    /// Whole-request timeout (reqwest has none by default).
    pub timeout: Duration,
    /// Attempts per call, first one included.
    pub max_attempts: u32,
    /// First backoff step; doubles per attempt, full jitter.
    pub base_backoff: Duration,
    /// Longest `Retry-After` we honour; longer values are cut to this.
    pub max_retry_after: Duration,
    /// Replaces every bucket's published limit with this many requests per minute,
    /// evenly spaced (no burst): for accounts with a lower limit, and for tests.
    pub rate_limit_per_minute: Option<u32>,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(15),
            max_attempts: 3,
            base_backoff: Duration::from_millis(200),
            max_retry_after: Duration::from_secs(60),
            rate_limit_per_minute: None,
        }
    }
}

/// How a call may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallKind {
    /// Safe to repeat: retried on transport errors, timeouts, 429 and 5xx.
    Read,
    /// Creates something: retried only when the provider clearly did not act
    /// (connect failure, 429, 503); a timeout is `UncertainCreate`.
    Create,
    /// Other writes (cancel, register, verify): like creates, but a timeout is `Timeout`.
    Write,
}

/// How a request authenticates.
#[derive(Clone)]
pub enum Auth {
    /// `Authorization: Bearer <key>`.
    Bearer(SecretString),
    /// `Authorization: Basic base64(id:secret)`.
    Basic(String, SecretString),
    /// OAuth2 client credentials, token cached.
    OAuth(Arc<TokenCache>),
}

/// A request to send.
pub struct Call {
    /// Operation name for spans and errors.
    pub op: &'static str,
    /// Retry class.
    pub kind: CallKind,
    /// Rate-limit bucket (see [`Transport::new`]).
    pub bucket: &'static str,
    /// HTTP method.
    pub method: Method,
    /// Full URL (never logged).
    pub url: String,
    /// Query pairs.
    pub query: Vec<(&'static str, String)>,
    /// JSON body.
    pub body: Option<Value>,
}

impl Call {
    /// A call with no query and no body.
    pub fn new(op: &'static str, kind: CallKind, bucket: &'static str, method: Method, url: String) -> Self {
        Self { op, kind, bucket, method, url, query: Vec::new(), body: None }
    }

    /// With a JSON body.
    pub fn json(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }

    /// With a query pair.
    pub fn query(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.query.push((key, value.into()));
        self
    }
}

/// A 2xx answer.
#[derive(Debug)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Body bytes.
    pub body: Bytes,
}

impl Reply {
    /// Parse the body as `T`.
    pub fn json<T: DeserializeOwned>(&self, provider: Provider) -> ProviderResult<T> {
        serde_json::from_slice(&self.body).map_err(|e| ProviderError::Decode { provider, message: e.to_string() })
    }
}

/// Pulls `(code, message)` out of a provider's error body.
pub type ErrorParser = fn(&[u8]) -> (Option<String>, String);

/// One provider's client: limits, retries, auth, health.
pub struct Transport {
    provider: Provider,
    client: reqwest::Client,
    settings: HttpSettings,
    buckets: Vec<(&'static str, Arc<FairGate>)>,
    parse_error: ErrorParser,
    health: Mutex<ProviderHealth>,
}

impl Transport {
    /// A transport with `buckets` of (name, requests per minute); calls naming an
    /// unknown bucket use the last one.
    pub fn new(
        provider: Provider,
        settings: HttpSettings,
        buckets: &[(&'static str, u32)],
        parse_error: ErrorParser,
    ) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.timeout)
            .user_agent(concat!("bspgraph/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let buckets = buckets
            .iter()
            .map(|(name, per_min)| {
                let quota = match settings.rate_limit_per_minute {
                    Some(n) => {
                        Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)).allow_burst(NonZeroU32::MIN)
                    }
                    None => Quota::per_minute(NonZeroU32::new(*per_min).unwrap_or(NonZeroU32::MIN)),
                };
                (*name, FairGate::new(RateLimiter::direct(quota)))
            })
            .collect();
        Ok(Self { provider, client, settings, buckets, parse_error, health: Mutex::new(ProviderHealth::default()) })
    }

    /// The underlying client (token fetches share its timeouts).
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Timeouts and retry bounds.
    pub fn settings(&self) -> HttpSettings {
        self.settings
    }

    /// Last call result and friends.
    pub fn health(&self) -> ProviderHealth {
        self.health.lock().map(|h| h.clone()).unwrap_or_default()
    }

    /// Record the outcome of a call that did not go through [`Transport::send`].
    pub fn record(&self, outcome: Result<(), &ProviderError>) {
        let Ok(mut h) = self.health.lock() else { return };
        match outcome {
            Err(e) if e.is_outage() => {
                h.healthy = false;
                h.last_error = Some(e.to_string());
            }
            _ => {
                h.healthy = true;
                h.last_sync_at = Some(chrono::Utc::now());
            }
        }
    }

    fn note_remaining(&self, headers: &HeaderMap) {
        let remaining = headers
            .get("x-ratelimit-remaining")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<i64>().ok());
        if let (Some(r), Ok(mut h)) = (remaining, self.health.lock()) {
            h.rate_limit_remaining = Some(r);
        }
    }

    async fn throttle(&self, bucket: &str) {
        let limiter = self.buckets.iter().find(|(n, _)| *n == bucket).or(self.buckets.last());
        if let Some((_, gate)) = limiter {
            gate.acquire().await;
        }
    }

    /// Send `call` with retries; a non-2xx final answer becomes a `ProviderError`.
    #[tracing::instrument(skip_all, fields(provider = %self.provider, op = call.op, attempt))]
    pub async fn send(&self, call: &Call, auth: &Auth) -> ProviderResult<Reply> {
        let outcome = self.send_inner(call, auth).await;
        self.record(outcome.as_ref().map(|_| ()));
        outcome
    }

    async fn send_inner(&self, call: &Call, auth: &Auth) -> ProviderResult<Reply> {
        let mut refreshed = false;
        let mut attempt = 0;
        loop {
            attempt += 1;
            tracing::Span::current().record("attempt", attempt);
            self.throttle(call.bucket).await;
            let last = attempt >= self.settings.max_attempts;
            let resp = match self.request(call, auth).await?.send().await {
                Ok(resp) => resp,
                Err(e) => {
                    let err = self.transport_error(call, &e);
                    let retry = e.is_connect() || (call.kind == CallKind::Read && !e.is_builder());
                    if retry && !last {
                        tracing::warn!(error = %err, "transport error, retrying");
                        tokio::time::sleep(self.backoff(attempt)).await;
                        continue;
                    }
                    return Err(err);
                }
            };
            let status = resp.status().as_u16();
            let headers = resp.headers().clone();
            self.note_remaining(&headers);
            let body = match resp.bytes().await {
                Ok(b) => b,
                Err(e) => return Err(self.transport_error(call, &e)),
            };
            if (200..300).contains(&status) {
                return Ok(Reply { status, body });
            }
            if status == 401 && !refreshed && token_expired(&headers) {
                if let Auth::OAuth(cache) = auth {
                    tracing::info!("access token expired, fetching a new one");
                    cache.invalidate().await;
                    refreshed = true;
                    attempt -= 1;
                    continue;
                }
            }
            let err = self.status_error(status, &headers, &body);
            let retryable =
                matches!(status, 429 | 503) || (call.kind == CallKind::Read && matches!(status, 500 | 502 | 504));
            if retryable && !last {
                let delay = match &err {
                    ProviderError::RateLimited { retry_after: Some(d), .. } => *d,
                    _ => retry_after(&headers, self.settings.max_retry_after).unwrap_or_else(|| self.backoff(attempt)),
                };
                tracing::warn!(status, delay_ms = delay.as_millis() as u64, "provider asked to retry");
                tokio::time::sleep(delay).await;
                continue;
            }
            return Err(err);
        }
    }

    async fn request(&self, call: &Call, auth: &Auth) -> ProviderResult<reqwest::RequestBuilder> {
        let mut req = self.client.request(call.method.clone(), &call.url);
        if !call.query.is_empty() {
            req = req.query(&call.query);
        }
        if let Some(body) = &call.body {
            req = req.json(body);
        }
        Ok(match auth {
            Auth::Bearer(key) => req.bearer_auth(key.expose_secret()),
            Auth::Basic(id, secret) => req.basic_auth(id, Some(secret.expose_secret())),
            Auth::OAuth(cache) => req.bearer_auth(cache.token(self).await?.expose_secret()),
        })
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let cap = Duration::from_secs(10);
        let step = self.settings.base_backoff.saturating_mul(1 << attempt.min(16)).min(cap);
        let ms = step.as_millis() as u64;
        Duration::from_millis(rand::thread_rng().gen_range(ms / 2..=ms.max(1)))
    }

    fn transport_error(&self, call: &Call, e: &reqwest::Error) -> ProviderError {
        let provider = self.provider;
        let sent = !e.is_connect();
        match call.kind {
            CallKind::Create if sent => ProviderError::UncertainCreate { provider, operation: call.op },
            _ if e.is_timeout() => ProviderError::Timeout { provider },
            _ => ProviderError::Unavailable { provider, status: None, message: error_kind(e).to_owned() },
        }
    }

    /// Map a non-2xx answer to the taxonomy, using the adapter's body parser.
    pub fn status_error(&self, status: u16, headers: &HeaderMap, body: &[u8]) -> ProviderError {
        let provider = self.provider;
        let (code, message) = (self.parse_error)(body);
        match status {
            401 | 403 => ProviderError::Authentication { provider, status, code },
            404 => ProviderError::NotFound { provider, code, message },
            409 => {
                ProviderError::Conflict { provider, status, code: code.unwrap_or_else(|| "conflict".into()), message }
            }
            429 => ProviderError::RateLimited {
                provider,
                retry_after: retry_after(headers, self.settings.max_retry_after),
                code,
            },
            s if s >= 500 => ProviderError::Unavailable { provider, status: Some(s), message },
            s => ProviderError::InvalidRequest {
                provider,
                status: s,
                code: code.unwrap_or_else(|| format!("http_{s}")),
                message,
            },
        }
    }
}

fn error_kind(e: &reqwest::Error) -> &'static str {
    if e.is_connect() {
        "connection failed"
    } else if e.is_timeout() {
        "timed out"
    } else if e.is_body() || e.is_decode() {
        "response body could not be read"
    } else {
        "request failed"
    }
}

/// An expired-token 401: `WWW-Authenticate` mentions `expired`.
fn token_expired(headers: &HeaderMap) -> bool {
    headers
        .get_all("www-authenticate")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.to_ascii_lowercase().contains("expired"))
}

/// `Retry-After` (seconds or HTTP date) or `retry-after-ms`, capped at `cap`.
pub fn retry_after(headers: &HeaderMap, cap: Duration) -> Option<Duration> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    let d = if let Some(ms) = header("retry-after-ms").and_then(|v| v.parse::<f64>().ok()) {
        Duration::from_secs_f64(ms.max(0.0) / 1000.0)
    } else {
        let v = header("retry-after")?;
        match v.parse::<u64>() {
            Ok(secs) => Duration::from_secs(secs),
            Err(_) => {
                let at = httpdate::parse_http_date(v).ok()?;
                at.duration_since(std::time::SystemTime::now()).unwrap_or_default()
            }
        }
    };
    Some(d.min(cap))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_read_in_seconds_or_dates_and_capped() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", "3".parse().unwrap());
        assert_eq!(retry_after(&h, Duration::from_secs(60)), Some(Duration::from_secs(3)));
        h.insert("retry-after", "86400".parse().unwrap());
        assert_eq!(retry_after(&h, Duration::from_secs(60)), Some(Duration::from_secs(60)));
        let later = std::time::SystemTime::now() + Duration::from_secs(30);
        h.insert("retry-after", httpdate::fmt_http_date(later).parse().unwrap());
        let d = retry_after(&h, Duration::from_secs(60)).unwrap();
        assert!(d <= Duration::from_secs(30) && d >= Duration::from_secs(28));
    }
}
