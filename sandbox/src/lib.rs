//! Stateful simulators of the three provider APIs, faithful to the providers' public
//! documentation (summarised in the README's "Provider wire facts"): the same paths,
//! casing, wrappers, status codes, error bodies, pagination, auth checks and signed
//! webhooks. Each simulator is an `axum::Router` that bspgraph mounts under
//! `/sandbox/{provider}` in sandbox mode, that `bspgraph sandbox` serves alone and that
//! tests start standalone on port 0.
//!
//! This crate does not depend on bspgraph and shares no types with its adapters: an
//! independent implementation of each contract is what makes the simulator a test of
//! the adapter. bspgraph reaches it only over HTTP, as it reaches the real providers.
//!
//! Shared here: the request recorder, fault injection for the next N requests, rate
//! limits (minute windows, token bucket), provider-shaped answers to unknown routes,
//! and the webhook sender that signs (per provider) and retries deliveries. The control
//! surface that moves simulated customers through each provider's flow is in
//! [`control`]. Simulators never touch bspgraph's store.

mod common;
pub mod control;
mod control_api;
mod limits;
pub mod sendzen;
pub mod sinch;
mod webhooks;
pub mod zavu;

use std::net::SocketAddr;

use axum::Router;
use chrono::{DateTime, SecondsFormat, Utc};
use rand::distributions::Alphanumeric;
use rand::Rng;
use tokio::net::TcpListener;

pub use common::{Fault, RecordedRequest, SimCore};
pub use control::SimProvider;
pub use control::{Sandbox, SandboxConfig, SimAction, SimError, Simulated};
pub use webhooks::{Delivery, WebhookSender};

/// HMAC-SHA256 of the concatenated `parts` under `secret` (every provider's webhook
/// signatures are built on it).
pub(crate) fn sign(secret: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    use hmac::{Hmac, Mac};
    // HMAC takes keys of any length; the fallback is never taken.
    let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(secret) else { return [0; 32] };
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// Serve `router` on 127.0.0.1 port 0; returns the base URL (`http://127.0.0.1:PORT`).
pub async fn serve_standalone(router: Router) -> std::io::Result<String> {
    let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            tracing::error!(error = %e, "standalone simulator stopped");
        }
    });
    Ok(format!("http://{addr}"))
}

/// RFC 3339 with milliseconds and `Z`, as the providers print timestamps.
pub(crate) fn iso(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A random lowercase alphanumeric string of `len` characters.
pub(crate) fn random_id(len: usize) -> String {
    rand::thread_rng().sample_iter(&Alphanumeric).take(len).map(|c| char::from(c).to_ascii_lowercase()).collect()
}

/// A random string of `len` digits (Meta ids, phone numbers).
pub(crate) fn random_digits(len: usize) -> String {
    let mut rng = rand::thread_rng();
    (0..len).map(|i| char::from(b'0' + rng.gen_range(if i == 0 { 1 } else { 0 }..10u8))).collect()
}

/// Lock a mutex, recovering the data if a holder panicked (simulator state stays usable).
pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
