//! Zavu simulator: invitations (create / get / list / cancel), the project invitation
//! webhook, senders, phone numbers and `/v1/me`, with Bearer auth, Zavu's error body
//! `{error:{code,message}}`, cursor pagination `{items,nextCursor}`, the published
//! per-endpoint rate limits with `X-RateLimit-*` headers, unknown routes answered in
//! the same error shape, and `invitation.status_changed`
//! webhooks signed `X-Zavu-Signature: t=..,v2=..`.
//!
//! State machine (reference 1.3): pending -> in_progress -> completed | failed;
//! failed -> in_progress on retry; pending/in_progress -> cancelled by the API;
//! pending/in_progress past `expiresAt` *read* as expired and no webhook is sent.

mod routes;
mod state;

use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use axum::response::Response;
use axum::Router;
use chrono::Utc;
use serde_json::json;

use super::common::{json, record_and_inject, with_fallbacks, SimCore};
use super::limits::MinuteWindows;
use super::{lock, SimAction, SimError};
use state::State;

pub use state::SignatureScheme;

/// Simulator settings.
#[derive(Debug, Clone)]
pub struct ZavuSimConfig {
    /// The API key the simulator accepts (`zv_test_...`).
    pub api_key: String,
    /// Secret used to sign webhooks (also returned by the project-webhook endpoint).
    pub webhook_secret: String,
    /// Which signatures the header carries.
    pub signature: SignatureScheme,
    /// Invitation link prefix; the token is appended.
    pub link_base: String,
    /// Requests per minute, per endpoint.
    pub limits: ZavuLimits,
}

/// Zavu's published limits (reference 1.7, seed 004), each counted per endpoint:
/// creating and cancelling invitations do not share a window, nor do get and list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZavuLimits {
    /// `POST /v1/invitations`.
    pub create_invitation: u32,
    /// `GET /v1/invitations`.
    pub list_invitations: u32,
    /// `GET /v1/invitations/{id}`.
    pub get_invitation: u32,
    /// `POST /v1/invitations/{id}/cancel`.
    pub cancel_invitation: u32,
    /// Every other endpoint, each on its own.
    pub other: u32,
}

impl Default for ZavuLimits {
    fn default() -> Self {
        Self { create_invitation: 100, list_invitations: 200, get_invitation: 200, cancel_invitation: 100, other: 1000 }
    }
}

impl Default for ZavuSimConfig {
    fn default() -> Self {
        Self {
            api_key: "zv_test_sandbox".into(),
            webhook_secret: "whsec_sandbox_zavu_0123456789abcdef".into(),
            signature: SignatureScheme::V2,
            link_base: "https://dashboard.zavu.dev/invite/".into(),
            limits: ZavuLimits::default(),
        }
    }
}

/// The Zavu simulator.
pub struct ZavuSim {
    /// Recorder, faults, webhook sender.
    pub core: Arc<SimCore>,
    config: ZavuSimConfig,
    state: Mutex<State>,
    /// One window per endpoint (method + route).
    windows: MinuteWindows,
}

fn error_body(_path: &str, status: StatusCode, code: &str, message: &str) -> Response {
    json(status, json!({ "error": { "code": code, "message": message } }))
}

impl ZavuSim {
    /// A fresh simulator with two owned phone numbers for pre-assigned invitations.
    pub fn new(config: ZavuSimConfig) -> Arc<Self> {
        Arc::new(Self {
            core: SimCore::new(error_body),
            state: Mutex::new(State::new(&config)),
            config,
            windows: MinuteWindows::default(),
        })
    }

    /// The simulator's routes (mount under `/sandbox/zavu` or serve standalone).
    pub fn router(self: &Arc<Self>) -> Router {
        with_fallbacks(routes::router(Arc::clone(self)), &self.core)
            .layer(axum::middleware::from_fn_with_state(Arc::clone(&self.core), record_and_inject))
    }

    /// Ids of the phone numbers the simulated project owns.
    pub fn phone_number_ids(&self) -> Vec<String> {
        lock(&self.state).phone_numbers.iter().map(|p| p.id.clone()).collect()
    }

    /// Add `n` pending invitations directly (for pagination demos and tests).
    pub fn seed_invitations(&self, n: usize) {
        let now = Utc::now();
        let mut st = lock(&self.state);
        for _ in 0..n {
            st.invitations.push(state::Invitation::pending(now, 7));
        }
    }

    /// Move invitation `id` through the flow. START: pending/failed -> in_progress;
    /// COMPLETE: -> completed (a sender is created); FAIL: -> failed (`fb_cancelled`);
    /// EXPIRE: `expiresAt` moves to the past, no webhook. Others are not Zavu's.
    /// Returns the invitation as `GET /v1/invitations/{id}` now shows it.
    pub fn simulate(&self, id: &str, action: SimAction) -> Result<serde_json::Value, SimError> {
        let now = Utc::now();
        let (events, wire) = {
            let mut st = lock(&self.state);
            let events = st.simulate(id, action, now)?;
            (events, st.invitation_mut(id)?.wire(&self.config.link_base, now))
        };
        for (previous, inv) in events {
            self.emit(&previous, &inv);
        }
        Ok(wire)
    }

    /// Send `invitation.status_changed` for a change from `previous`.
    fn emit(&self, previous: &str, inv: &state::Invitation) {
        let target = {
            let st = lock(&self.state);
            match &st.webhook {
                Some(w) if w.active => Some(w.url.clone()),
                // Nothing registered through the API: nowhere to deliver.
                _ => None,
            }
        };
        let Some(url) = target else { return };
        let now = Utc::now();
        let mut data = json!({
            "invitationId": inv.id,
            "clientName": inv.client_name,
            "clientEmail": inv.client_email,
            "connectionType": inv.connection_type,
            "previousStatus": previous,
            "currentStatus": inv.status,
        });
        if inv.status == "completed" {
            data["senderId"] = json!(inv.sender_id);
            data["connectedAccount"] = inv.connected_account.clone();
            // WhatsApp only: a messenger connection has no WABA.
            if let Some(waba) = &inv.waba_id {
                data["wabaAccountId"] = json!(waba);
            }
        }
        if inv.status == "failed" {
            data["failureReason"] = json!(inv.failure_reason);
        }
        let body = json!({
            "id": format!("evt_{}_{}", now.timestamp_millis(), super::random_id(8)),
            "type": "invitation.status_changed",
            "timestamp": now.timestamp_millis(),
            "projectId": state::PROJECT_ID,
            "data": data,
        })
        .to_string();
        let secret = self.config.webhook_secret.clone();
        let scheme = self.config.signature;
        let signer = Arc::new(move |body: &str| {
            vec![("x-zavu-signature".to_owned(), scheme.header(&secret, Utc::now().timestamp(), body))]
        });
        self.core.webhooks.send(url, body, signer);
    }
}
