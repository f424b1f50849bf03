//! A provider status bspgraph does not know never moves a row: it is kept as
//! `providerStatus`, the unified status stays, and no event is appended. Zavu end to
//! end (signed webhook); SendZen and Sinch at the adapter boundary, where the status is
//! read.

use std::time::Duration;

use bspgraph::domain::{InvitationStatus, Provider, ProviderEventKind};
use bspgraph::providers::Provider as _;
use bspgraph::sandbox::sinch::{sign_headers, SinchSimConfig};

use crate::live_support::{fresh_postgres, spawn_live, spawn_on, LiveApp};
use crate::provider_support::{fast_http, sendzen_adapter, sinch_config};

/// Wait (bounded) until the inbox row `delivery_id` is processed; return its note.
async fn processed(app: &LiveApp, delivery_id: &str) -> Option<String> {
    for _ in 0..250 {
        let inbox = app.state.store.inbox_entries(Provider::Zavu).await.unwrap();
        if let Some(e) = inbox.iter().find(|e| e.delivery_id == delivery_id && e.state == "processed") {
            return e.last_error.clone();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{delivery_id} was not processed");
}

#[tokio::test]
async fn an_unknown_zavu_status_is_kept_without_moving_the_invitation() {
    unknown_zavu_status(spawn_live(|_| {}).await).await;
    if let Some(url) = fresh_postgres("the PostgreSQL run of the unknown-status test").await {
        unknown_zavu_status(spawn_on(&url, None, |_| {}).await).await;
    }
}

async fn unknown_zavu_status(app: LiveApp) {
    // Arrange: an invitation the customer has started.
    let (row, zavu_id, _) = app.tracked_invitation().await;
    assert_eq!(app.zavu_webhook("evt_started", &zavu_id, "in_progress", true).await, 200);
    processed(&app, "evt_started").await;
    let seq_before = app.state.store.max_event_seq().await.unwrap();

    // Act: a signed delivery with a status newer than this adapter.
    let status = app.zavu_webhook("evt_unknown", &zavu_id, "awaiting_meta_review", true).await;
    let note = processed(&app, "evt_unknown").await;

    // Assert
    assert_eq!(status, 200);
    let inv = app.state.store.invitations_by_ids(&[row]).await.unwrap().remove(0);
    assert_eq!(inv.status, InvitationStatus::InProgress, "not moved back to PENDING");
    assert_eq!(inv.provider_status.as_deref(), Some("awaiting_meta_review"));
    assert_eq!(app.state.store.max_event_seq().await.unwrap(), seq_before, "no event");
    assert!(note.unwrap_or_default().contains("unknown provider status"));
}

#[test]
fn an_unknown_sendzen_result_status_is_marked_unknown() {
    let secret = "sz_secret";
    let adapter = sendzen_adapter("http://127.0.0.1:9", "sz_key", secret);
    let body = br#"{"status":"under_review","client_identifier":"bspgraph-client-1","project_id":"p1"}"#;
    let sig = bspgraph::providers::signature::sign(secret.as_bytes(), &[body]);
    let mut headers = axum::http::HeaderMap::new();
    headers.insert("x-hub-signature-256", format!("sha256={}", hex::encode(sig)).parse().unwrap());

    let events = adapter.verify_webhook(&headers, body).unwrap();

    match &events[0].kind {
        ProviderEventKind::OnboardingResult { status_known, provider_status, .. } => {
            assert!(!status_known);
            assert_eq!(provider_status, "under_review");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn unknown_sinch_sender_and_account_states_are_marked_unknown() {
    let sim = SinchSimConfig::default();
    let adapter =
        bspgraph::providers::sinch::Sinch::new(sinch_config("http://127.0.0.1:9", &sim, "k", fast_http())).unwrap();
    let verify = |body: String| {
        let mut headers = axum::http::HeaderMap::new();
        for (n, v) in sign_headers(&sim.webhook_secret, &body) {
            headers.insert(axum::http::HeaderName::from_bytes(n.as_bytes()).unwrap(), v.parse().unwrap());
        }
        adapter.verify_webhook(&headers, body.as_bytes()).unwrap().remove(0).kind
    };
    let sender = |state: &str| {
        serde_json::json!({ "type": "WHATSAPP_SENDER_ACTIVE", "payload": { "id": "s1", "state": state } }).to_string()
    };
    let account = |state: &str| {
        serde_json::json!({ "type": "WHATSAPP_ACCOUNT_ONBOARDED", "payload": { "state": state } }).to_string()
    };

    let known = |kind: ProviderEventKind| match kind {
        ProviderEventKind::Sender(s) => s.status_known,
        ProviderEventKind::Account(w) => w.status_known,
        other => panic!("unexpected {other:?}"),
    };
    assert!(known(verify(sender("ACTIVE"))));
    assert!(!known(verify(sender("QUARANTINED"))));
    assert!(known(verify(account("ONBOARDED"))));
    assert!(!known(verify(account("MIGRATING"))));
}
