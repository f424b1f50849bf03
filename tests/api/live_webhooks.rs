//! Webhook ingestion: signed deliveries become events exactly once; bad signatures and
//! oversized bodies are refused before anything is stored.

use bspgraph::domain::Provider;
use bspgraph::store::InboxState;
use serde_json::json;

use crate::helpers::{eventually, spawn_live};
use crate::ws_support::{Ws, STATUS_QUERY};

#[tokio::test]
async fn sandbox_driven_onboarding_delivers_each_status_change_to_a_subscriber() {
    // Arrange
    let app = spawn_live(|_| {}).await;
    let (_, zavu_id, gid) = app.tracked_invitation().await;
    let mut ws = Ws::ready(&app.ws_url()).await;
    // From the log position of now: every later event arrives, however soon it happens.
    let after = app.cursor_now().await;
    ws.subscribe("1", STATUS_QUERY, json!({ "filter": { "nodeId": gid }, "after": after })).await;
    let sandbox = app.state.sandbox.clone().unwrap();

    // Act: the simulated customer opens the link, then finishes.
    sandbox.simulate(bspgraph_sandbox::SimProvider::Zavu, &zavu_id, bspgraph_sandbox::SimAction::Start).unwrap();
    let first = ws.next_status().await;
    sandbox.simulate(bspgraph_sandbox::SimProvider::Zavu, &zavu_id, bspgraph_sandbox::SimAction::Complete).unwrap();
    let second = ws.next_status().await;

    // Assert
    assert_eq!((first["previousStatus"].as_str(), first["status"].as_str()), (Some("PENDING"), Some("IN_PROGRESS")));
    assert_eq!(first["source"], "WEBHOOK");
    assert_eq!(
        (second["previousStatus"].as_str(), second["status"].as_str()),
        (Some("IN_PROGRESS"), Some("COMPLETED"))
    );
}

#[tokio::test]
async fn replayed_and_fifty_concurrent_duplicate_deliveries_give_one_event() {
    // Arrange
    let app = spawn_live(|_| {}).await;
    let (_, zavu_id, gid) = app.tracked_invitation().await;
    let mut ws = Ws::ready(&app.ws_url()).await;
    // From the log position of now: every later event arrives, however soon it happens.
    let after = app.cursor_now().await;
    ws.subscribe("1", STATUS_QUERY, json!({ "filter": { "nodeId": gid }, "after": after })).await;

    // Act: 50 concurrent copies of one delivery, then a replay of it.
    let sends = (0..50).map(|_| app.zavu_webhook("evt_dup_1", &zavu_id, "in_progress", true));
    let statuses = futures_util::future::join_all(sends).await;
    let replay = app.zavu_webhook("evt_dup_1", &zavu_id, "in_progress", true).await;
    // A different delivery once the first is applied (deliveries are processed
    // concurrently) marks the end of what the subscriber can see.
    let first = bspgraph::domain::decode_cursor(&after, bspgraph::domain::CursorKind::Events).unwrap() + 1;
    app.until_event(first).await;
    app.zavu_webhook("evt_dup_2", &zavu_id, "completed", true).await;

    // Assert: every copy acknowledged, one row stored, one event, then the next one.
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(replay, 200);
    assert_eq!(ws.next_status().await["status"], "IN_PROGRESS");
    assert_eq!(ws.next_status().await["status"], "COMPLETED");
    let inbox = app.state.store.inbox_entries(Provider::Zavu).await.unwrap();
    assert_eq!(inbox.iter().filter(|e| e.delivery_id == "evt_dup_1").count(), 1);
}

#[tokio::test]
async fn a_bad_signature_is_refused_with_401_and_nothing_is_stored() {
    // Arrange
    let app = spawn_live(|_| {}).await;
    let (_, zavu_id, _) = app.tracked_invitation().await;

    // Act
    let status = app.zavu_webhook("evt_forged", &zavu_id, "completed", false).await;
    let unsigned = app.http.post(app.url("/webhooks/zavu")).body("{}").send().await.unwrap().status().as_u16();

    // Assert
    assert_eq!((status, unsigned), (401, 401));
    assert!(app.state.store.inbox_entries(Provider::Zavu).await.unwrap().is_empty());
    assert_eq!(app.state.store.max_event_seq().await.unwrap(), 0);
}

#[tokio::test]
async fn an_oversized_webhook_is_refused_with_413() {
    let app = spawn_live(|s| s.live.webhook_max_bytes = 1024).await;
    let body = "x".repeat(4096);
    let resp = app.http.post(app.url("/webhooks/sinch")).body(body).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 413);
}

#[tokio::test]
async fn an_event_for_an_unknown_invitation_is_kept_processed_with_a_note() {
    // Arrange
    let app = spawn_live(|_| {}).await;

    // Act
    let status = app.zavu_webhook("evt_unknown", "inv_nobody", "completed", true).await;
    // A few quick retries first (its row might not be committed yet), then processed.
    let inbox = eventually("the delivery processed", || async {
        let inbox = app.state.store.inbox_entries(Provider::Zavu).await.unwrap();
        inbox.first().is_some_and(|e| e.state == InboxState::Processed).then_some(inbox)
    })
    .await;

    // Assert
    assert_eq!(status, 200);
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0].state, InboxState::Processed);
    assert!(inbox[0].last_error.as_deref().unwrap_or("").contains("unknown invitation"));
}

#[tokio::test]
async fn a_delivery_the_store_cannot_keep_is_answered_5xx_never_2xx() {
    // Arrange: the inbox is gone (a stand-in for a database that refuses writes).
    let app = spawn_live(|_| {}).await;
    let (_, zavu_id, _) = app.tracked_invitation().await;
    sea_orm::ConnectionTrait::execute_unprepared(app.db().await, "DROP TABLE webhook_inbox").await.unwrap();

    // Act
    let status = app.zavu_webhook("evt_lost", &zavu_id, "completed", true).await;

    // Assert: the provider is told to retry, and nothing changed.
    assert_eq!(status, 503);
    assert_eq!(app.state.store.max_event_seq().await.unwrap(), 0);
}

#[tokio::test]
async fn invitation_updated_follows_one_invitation() {
    // Arrange
    let app = spawn_live(|_| {}).await;
    let (_, zavu_id, gid) = app.tracked_invitation().await;
    let (_, other_id, _) = app.tracked_invitation().await;
    let mut ws = Ws::ready(&app.ws_url()).await;
    let query = "subscription($id: ID!) { invitationUpdated(id: $id) { id status } }";
    ws.subscribe("1", query, json!({ "id": gid })).await;
    app.until_listeners(1).await;

    // Act: another invitation changes first, then this one.
    app.zavu_webhook("evt_other", &other_id, "in_progress", true).await;
    app.zavu_webhook("evt_mine", &zavu_id, "in_progress", true).await;
    let msg = ws.recv().await;

    // Assert
    assert_eq!(msg["payload"]["data"]["invitationUpdated"], json!({ "id": gid, "status": "IN_PROGRESS" }));
}

#[tokio::test]
async fn a_failing_event_stays_in_the_inbox_with_its_error_and_is_retried() {
    // Arrange: a sender bspgraph knows, which the provider cannot be re-read for.
    let app = spawn_live(|s| s.live.inbox_retry_secs = 0.1).await;
    let insert = "INSERT INTO senders (provider, provider_id, status, created_at, updated_at) \
                  VALUES ('SINCH', 'snd_unknown_at_sinch', 'PROVISIONING', '2026-01-01 00:00:00', '2026-01-01 00:00:00')";
    sea_orm::ConnectionTrait::execute_unprepared(app.db().await, insert).await.unwrap();
    let body =
        json!({ "type": "WHATSAPP_SENDER_ACTIVE", "payload": { "id": "snd_unknown_at_sinch", "state": "ACTIVE" } })
            .to_string();
    let (nonce, ts) = ("n0nce", chrono::Utc::now().timestamp().to_string());
    let secret = bspgraph::providers::SANDBOX_CREDENTIALS.sinch_webhook_secret.to_owned();
    let mac = bspgraph::providers::signature::sign(
        secret.as_bytes(),
        &[body.as_bytes(), b".", nonce.as_bytes(), b".", ts.as_bytes()],
    );
    let signature = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, mac);

    // Act
    let status = app
        .http
        .post(app.url("/webhooks/sinch"))
        .header("x-sinch-webhook-signature", signature)
        .header("x-sinch-webhook-signature-nonce", nonce)
        .header("x-sinch-webhook-signature-timestamp", ts)
        .body(body)
        .send()
        .await
        .unwrap()
        .status();
    // Wait for the second attempt.
    let inbox = eventually("the second attempt failed", || async {
        let inbox = app.state.store.inbox_entries(Provider::Sinch).await.unwrap();
        inbox.first().is_some_and(|e| e.attempts >= 2 && e.state == InboxState::Failed).then_some(inbox)
    })
    .await;

    // Assert: acknowledged, kept as failed with the reason, tried more than once.
    assert_eq!(status.as_u16(), 200);
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0].state, InboxState::Failed, "{inbox:?}");
    assert!(inbox[0].attempts >= 2, "{inbox:?}");
    assert!(inbox[0].last_error.is_some());
}
