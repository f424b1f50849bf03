//! Webhook ingestion: `POST /webhooks/zavu`, `/webhooks/sinch` and
//! `/webhooks/sendzen/{token}`. The raw body (bounded: 413 above the limit) is
//! verified by the provider's adapter before anything is parsed or stored (401 and
//! nothing stored on failure). Each verified event is stored in `webhook_inbox`, keyed
//! by the provider's event id (or the adapter's hash of the signed content), already
//! claimed by this instance; then the delivery is acknowledged and the new rows are
//! processed in the background ([`process`]). A duplicate hits the unique index and is
//! acknowledged without being processed again. A store failure answers 503 so the
//! provider retries: never a 2xx for a delivery that was not stored.
//!
//! The SendZen path token must name a client (404 and nothing stored otherwise); the
//! signature is what authenticates the delivery. SendZen, sandboxed or LIVE, only ever
//! gets that per-client URL (at onboarding). A DISABLED provider (production without
//! credentials) answers 404 and stores nothing.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;

use crate::domain::Provider;
use crate::web::state::AppState;
use crate::webhooks::{process, InboxPayload};

/// The webhook routes, with the body limit from the settings.
pub fn routes(max_bytes: usize) -> Router<AppState> {
    Router::new()
        .route("/webhooks/zavu", post(zavu))
        .route("/webhooks/sinch", post(sinch))
        .route("/webhooks/sendzen/{token}", post(sendzen).get(sendzen_validation))
        .layer(DefaultBodyLimit::max(max_bytes))
}

async fn zavu(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    ingest(&state, Provider::Zavu, &headers, &body).await
}

async fn sinch(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    ingest(&state, Provider::Sinch, &headers, &body).await
}

/// The per-client URL bspgraph gave SendZen: the token must name a client (404 and
/// nothing stored otherwise), then the signature is checked as for every provider.
async fn sendzen(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match client_token(&state, &token).await {
        Ok(()) => ingest(&state, Provider::Sendzen, &headers, &body).await,
        Err(refused) => refused,
    }
}

/// SendZen's validation request to the per-client URL (seed 000: "returns a 200 status
/// code for validation requests"; its method is undocumented, we answer `GET`, and
/// `HEAD` with it): 200 with no body for a token that names a client while SendZen is
/// enabled, 404 otherwise. Nothing is stored.
async fn sendzen_validation(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    if state.providers.require(Provider::Sendzen).is_err() {
        return (StatusCode::NOT_FOUND, "provider not configured").into_response();
    }
    match client_token(&state, &token).await {
        Ok(()) => StatusCode::OK.into_response(),
        Err(refused) => refused,
    }
}

/// Whether `token` is a client's webhook token: `Err` carries the answer when not (404)
/// or when the lookup failed (503).
async fn client_token(state: &AppState, token: &str) -> Result<(), Response> {
    if token.len() > 128 {
        return Err(StatusCode::NOT_FOUND.into_response());
    }
    match state.store.client_by_webhook_token(token).await {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(StatusCode::NOT_FOUND.into_response()),
        Err(e) => {
            tracing::error!(error = %e, "webhook token lookup failed");
            Err(StatusCode::SERVICE_UNAVAILABLE.into_response())
        }
    }
}

/// Verify, store, acknowledge, then process the new rows in the background.
#[tracing::instrument(skip_all, fields(provider = provider.as_str(), bytes = body.len()))]
async fn ingest(state: &AppState, provider: Provider, headers: &HeaderMap, body: &[u8]) -> Response {
    // A disabled provider (production without credentials) takes no webhooks at all.
    let Ok(adapter) = state.providers.require(provider) else {
        return (StatusCode::NOT_FOUND, "provider not configured").into_response();
    };
    let events = match adapter.verify_webhook(headers, body) {
        Ok(events) => events,
        Err(e) => {
            tracing::warn!(error = %e, "webhook rejected");
            return (StatusCode::UNAUTHORIZED, "invalid signature").into_response();
        }
    };
    let mut fresh = Vec::new();
    for event in events {
        let delivery_id = event.event_id.clone();
        let payload = match serde_json::to_string(&InboxPayload::from(event)) {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(error = %e, "cannot serialize a webhook event");
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
        };
        match state.store.inbox_insert(provider, &delivery_id, payload.clone(), process::LEASE_MS).await {
            Ok(Some(id)) => fresh.push(crate::store::InboxItem { id, provider, payload, attempts: 0 }),
            Ok(None) => tracing::debug!(%delivery_id, "duplicate delivery acknowledged"),
            Err(e) => {
                tracing::error!(error = %e, "webhook not stored; asking the provider to retry");
                return (StatusCode::SERVICE_UNAVAILABLE, "try again").into_response();
            }
        }
    }
    if !fresh.is_empty() {
        state.processor.spawn_all(fresh);
    }
    StatusCode::OK.into_response()
}
