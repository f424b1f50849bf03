//! What every simulator shares: the recorder of received requests and the queue of
//! faults to inject into the next N requests, applied by one middleware, and the
//! answers to unknown routes and methods in the provider's own error shape.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{lock, WebhookSender};

/// Largest request body a simulator reads.
const MAX_BODY: usize = 1024 * 1024;

/// A fault to inject.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Answer 500 with the provider's error body.
    ServerError,
    /// Answer this 5xx status (502, 503, ...) with the provider's error body.
    Status(u16),
    /// Answer 429 with `Retry-After: secs` and the provider's error body.
    RateLimited {
        /// Seconds in `Retry-After`.
        retry_after_secs: u64,
    },
    /// Handle the request, then wait this long before answering.
    Latency(Duration),
    /// Drop the next webhook delivery (not a request fault).
    DropWebhook,
}

/// One request a simulator received.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// When it arrived (monotonic; tests compare gaps).
    pub at: Instant,
    /// When it arrived (wall clock).
    pub received_at: DateTime<Utc>,
    /// HTTP method.
    pub method: String,
    /// Path and query, relative to the simulator's mount point.
    pub path: String,
    /// Headers (lowercase names), auth included.
    pub headers: Vec<(String, String)>,
    /// Raw body.
    pub body: Bytes,
}

impl RecordedRequest {
    /// The first value of header `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// The path without its query string.
    pub fn path_only(&self) -> &str {
        self.path.split('?').next().unwrap_or(&self.path)
    }
}

/// Builds a provider-shaped error response: (request path, status, code, message).
/// The path lets one simulator answer in several shapes (Sinch's hosts differ).
pub type ErrorBody = fn(&str, StatusCode, &str, &str) -> Response;

/// Recorder, faults and webhook sender of one simulator.
pub struct SimCore {
    recorded: Mutex<Vec<RecordedRequest>>,
    faults: Mutex<VecDeque<Fault>>,
    /// Signs nothing itself: each simulator signs, this delivers and retries.
    pub webhooks: Arc<WebhookSender>,
    error_body: ErrorBody,
}

impl SimCore {
    /// A core that answers injected faults with `error_body`.
    pub fn new(error_body: ErrorBody) -> Arc<Self> {
        Arc::new(Self {
            recorded: Mutex::new(Vec::new()),
            faults: Mutex::new(VecDeque::new()),
            webhooks: WebhookSender::new(),
            error_body,
        })
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.recorded).clone()
    }

    /// Forget recorded requests.
    pub fn clear_requests(&self) {
        lock(&self.recorded).clear();
    }

    /// Inject `fault` into the next `n` requests (or the next `n` webhooks for
    /// [`Fault::DropWebhook`]).
    pub fn inject(&self, fault: Fault, n: usize) {
        if fault == Fault::DropWebhook {
            self.webhooks.drop_next(n);
            return;
        }
        let mut q = lock(&self.faults);
        for _ in 0..n {
            q.push_back(fault.clone());
        }
    }

    /// Drop all pending faults.
    pub fn clear_faults(&self) {
        lock(&self.faults).clear();
    }

    /// A provider-shaped error response.
    pub fn error(&self, status: StatusCode, code: &str, message: &str) -> Response {
        (self.error_body)("", status, code, message)
    }

    /// A provider-shaped error response for a request to `path`.
    pub fn error_at(&self, path: &str, status: StatusCode, code: &str, message: &str) -> Response {
        (self.error_body)(path, status, code, message)
    }
}

/// Middleware: record the request, then apply the next injected fault, if any.
pub async fn record_and_inject(State(core): State<Arc<SimCore>>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return core.error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "request body too large");
    };
    let path = parts.uri.path_and_query().map_or_else(|| parts.uri.path().to_owned(), |p| p.to_string());
    let headers = parts
        .headers
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    lock(&core.recorded).push(RecordedRequest {
        at: Instant::now(),
        received_at: Utc::now(),
        method: parts.method.to_string(),
        path: path.clone(),
        headers,
        body: bytes.clone(),
    });
    let fault = lock(&core.faults).pop_front();
    match fault {
        Some(Fault::ServerError) => {
            return core.error_at(&path, StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "simulated server error");
        }
        Some(Fault::Status(code)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let message = status.canonical_reason().unwrap_or("simulated server error");
            return core.error_at(&path, status, "unavailable", message);
        }
        Some(Fault::RateLimited { retry_after_secs }) => {
            let mut resp =
                core.error_at(&path, StatusCode::TOO_MANY_REQUESTS, "rate_limit_exceeded", "too many requests");
            let h = resp.headers_mut();
            h.insert("retry-after", retry_after_secs.into());
            h.insert("x-ratelimit-remaining", 0.into());
            return resp;
        }
        Some(Fault::Latency(d)) => {
            // The request is handled first, then the answer is held back: a client
            // that times out has still caused the effect (an "uncertain create").
            let resp = next.run(Request::from_parts(parts, Body::from(bytes))).await;
            tokio::time::sleep(d).await;
            return resp;
        }
        Some(Fault::DropWebhook) | None => {}
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

/// A JSON response.
pub fn json(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

/// Unknown paths answer 404 and known paths with another method 405, both in the
/// provider's error shape (axum's defaults are empty bodies). Call after every route.
pub fn with_fallbacks(router: Router, core: &Arc<SimCore>) -> Router {
    let (missing, wrong) = (Arc::clone(core), Arc::clone(core));
    router
        .method_not_allowed_fallback(move |method: Method, uri: Uri| async move {
            let message = format!("{method} is not supported on {}", uri.path());
            wrong.error_at(uri.path(), StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", &message)
        })
        .fallback(move |method: Method, uri: Uri| async move {
            let message = format!("No route for {method} {}", uri.path());
            missing.error_at(uri.path(), StatusCode::NOT_FOUND, "not_found", &message)
        })
}
