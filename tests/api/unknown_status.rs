//! A provider status bspgraph does not know never moves a row: it is kept as
//! `providerStatus`, the unified status stays, and no event is appended. Zavu end to
//! end (signed webhook); SendZen and Sinch at the adapter boundary, where the status is
//! read.

use bspgraph::store::InboxState;
use serde_json::json;

use bspgraph::domain::{InvitationStatus, Provider, ProviderEventKind};
use bspgraph::providers::ProviderAdapter as _;
use bspgraph_sandbox::sinch::{sign_headers, SinchSimConfig};

use crate::helpers::{eventually, postgres_for, spawn_live, spawn_live_on, TestApp};
use crate::provider_support::{fast_http, sendzen_adapter, sinch_config};

/// Wait until the inbox row `delivery_id` is processed; return its note.
async fn processed(app: &TestApp, delivery_id: &str) -> Option<String> {
    eventually(&format!("{delivery_id} processed"), || async {
        let inbox = app.state.store.inbox_entries(Provider::Zavu).await.unwrap();
        let done = inbox.into_iter().find(|e| e.delivery_id == delivery_id && e.state == InboxState::Processed);
        done.map(|e| e.last_error)
    })
    .await
}

#[tokio::test]
async fn an_unknown_zavu_status_is_kept_without_moving_the_invitation() {
    unknown_zavu_status(spawn_live(|_| {}).await).await;
    if let Some(url) = postgres_for("the PostgreSQL run of the unknown-status test").await {
        unknown_zavu_status(spawn_live_on(&url, |_| {}).await).await;
    }
}

async fn unknown_zavu_status(app: TestApp) {
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
        for (n, v) in sign_headers(bspgraph::providers::SANDBOX_CREDENTIALS.sinch_webhook_secret, &body) {
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

/// A Zavu newer than this adapter: a standalone simulator behind a proxy whose
/// invitation reads (one or a list) report `renamed` where the simulator says `completed`.
/// Returns (base URL for the adapter, the simulator, to act as the customer).
async fn newer_zavu(renamed: &'static str) -> (String, bspgraph_sandbox::Sandbox) {
    use axum::extract::{Request, State};
    use axum::response::IntoResponse;

    async fn forward(
        State((http, base, renamed)): State<(reqwest::Client, String, &'static str)>,
        req: Request,
    ) -> axum::response::Response {
        let (parts, body) = req.into_parts();
        let body = axum::body::to_bytes(body, 1 << 20).await.unwrap();
        let url = format!("{base}{}", parts.uri.path_and_query().map_or("", |p| p.as_str()));
        let mut out = http.request(parts.method.clone(), url).body(body.to_vec());
        for (name, value) in parts.headers.iter().filter(|(n, _)| *n != "host") {
            out = out.header(name, value);
        }
        let resp = out.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        let text = if parts.method == axum::http::Method::GET && parts.uri.path().starts_with("/v1/invitations") {
            text.replace("\"status\":\"completed\"", &format!("\"status\":\"{renamed}\""))
        } else {
            text
        };
        (status, [("content-type", "application/json")], text).into_response()
    }

    let sim = bspgraph_sandbox::Sandbox::new(bspgraph_sandbox::SandboxConfig::default());
    let sim_url = bspgraph_sandbox::serve_standalone(sim.router()).await.unwrap();
    let state = (reqwest::Client::new(), format!("{sim_url}/sandbox/zavu"), renamed);
    let proxy = axum::Router::new().fallback(forward).with_state(state);
    (bspgraph_sandbox::serve_standalone(proxy).await.unwrap(), sim)
}

#[tokio::test]
async fn refresh_and_sync_keep_an_unknown_zavu_status_without_moving_the_invitation() {
    // Arrange: Zavu LIVE against a newer Zavu; the customer has started (IN_PROGRESS),
    // then finishes, which this Zavu reports as a status the adapter does not know.
    let (zavu_url, sim) = newer_zavu("awaiting_meta_review").await;
    let app = crate::helpers::spawn_app_with(|s| {
        crate::helpers::without_webhooks(s);
        s.providers.zavu_api_key = Some(bspgraph_sandbox::SandboxConfig::default().zavu.api_key.into());
        s.providers.zavu_base_url = zavu_url;
    })
    .await;
    let started =
        crate::onboarding_support::start(&app, json!({ "provider": "ZAVU", "client": { "name": "Newer" } })).await;
    let id = started["invitation"]["id"].as_str().unwrap().to_owned();
    let pid = started["invitation"]["providerId"].as_str().unwrap().to_owned();
    sim.simulate(bspgraph_sandbox::SimProvider::Zavu, &pid, bspgraph_sandbox::SimAction::Start).unwrap();
    let first = app.data(REFRESH, json!({ "id": id })).await;
    assert_eq!(first["refresh"]["node"]["status"], "IN_PROGRESS", "{first}");
    sim.simulate(bspgraph_sandbox::SimProvider::Zavu, &pid, bspgraph_sandbox::SimAction::Complete).unwrap();

    // Act
    let refreshed = app.data(REFRESH, json!({ "id": id })).await;
    let synced = app.data("mutation { syncProvider(provider: ZAVU) { updated userErrors { code } } }", json!({})).await;

    // Assert
    assert_eq!(refreshed["refresh"]["userErrors"], json!([]), "{refreshed}");
    assert_eq!(refreshed["refresh"]["node"]["status"], "IN_PROGRESS", "not moved back to PENDING: {refreshed}");
    assert_eq!(refreshed["refresh"]["node"]["providerStatus"], "awaiting_meta_review", "{refreshed}");
    assert_eq!(synced["syncProvider"]["userErrors"], json!([]), "{synced}");
    assert_eq!(synced["syncProvider"]["updated"], 0, "{synced}");
    let again = app.data(REFRESH, json!({ "id": id })).await;
    assert_eq!(again["refresh"]["node"]["status"], "IN_PROGRESS", "{again}");
}

const REFRESH: &str = "mutation($id: ID!) { refresh(id: $id) {
    node { id ... on Invitation { status providerStatus } }
    userErrors { field code message } } }";
