//! WebSocket access control: `connection_init` carries the credential; refused ones
//! close with 4403; a client token subscribes only to its own client's events.

use secrecy::ExposeSecret;
use serde_json::json;

use crate::live_support::{spawn_live, spawn_production, LiveApp, Ws, STATUS_QUERY};

/// Production with Zavu LIVE (against a standalone simulator), so invitations and
/// signed webhooks exist; the sandbox is never mounted in production.
async fn production() -> LiveApp {
    spawn_production(|_| {}).await
}

async fn init(app: &LiveApp, token: Option<&str>) -> Ws {
    let mut ws = Ws::connect(&app.ws_url(), "graphql-transport-ws").await;
    let payload = token.map_or(json!({}), |t| json!({ "authToken": t }));
    ws.send(json!({ "type": "connection_init", "payload": payload })).await;
    ws
}

fn key(app: &LiveApp) -> (bspgraph::auth::keys::NewKey, String) {
    let key = bspgraph::auth::keys::generate();
    let text = key.secret.expose_secret().to_owned();
    let _ = app;
    (key, text)
}

#[tokio::test]
async fn connection_init_checks_operator_keys_like_http() {
    let app = production().await;
    let (k, valid) = key(&app);
    let stored = app.state.store.create_api_key("ws", &k.display_prefix, &k.digest).await.unwrap();
    let mut wrong_sum = valid.clone();
    let last = wrong_sum.pop().map(|c| if c == 'a' { 'b' } else { 'a' });
    wrong_sum.extend(last);

    for refused in [None, Some("bspg_malformed"), Some(wrong_sum.as_str())] {
        assert_eq!(init(&app, refused).await.close_code().await, 4403, "{refused:?}");
    }
    let mut ok = init(&app, Some(&valid)).await;
    assert_eq!(ok.recv().await["type"], "connection_ack");

    assert!(app.state.store.revoke_api_key(stored.id).await.unwrap());
    assert_eq!(init(&app, Some(&valid)).await.close_code().await, 4403, "revoked at once");
}

#[tokio::test]
async fn a_client_token_receives_only_its_own_clients_events() {
    let app = production().await;
    let (mine_row, mine_zavu, _) = app.tracked_invitation().await;
    let (theirs_row, theirs_zavu, theirs_gid) = app.tracked_invitation().await;
    let owner = app.state.store.invitations_by_ids(&[mine_row]).await.unwrap()[0].client_id;
    let expires = chrono::Utc::now() + chrono::Duration::seconds(300);
    let token = app.state.gate.authenticator.signer().issue(owner, expires);

    let mut ws = init(&app, Some(token.expose_secret())).await;
    assert_eq!(ws.recv().await["type"], "connection_ack");
    // Following another client's invitation reads as if it did not exist.
    ws.subscribe(
        "other",
        "subscription($id: ID!) { invitationUpdated(id: $id) { status } }",
        json!({ "id": theirs_gid }),
    )
    .await;
    let refused = ws.recv().await;
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(refused["payload"][0]["extensions"]["code"], "NOT_FOUND", "{refused}");

    ws.subscribe("all", STATUS_QUERY, json!({})).await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(app.zavu_webhook("evt_theirs", &theirs_zavu, "in_progress", true).await, 200);
    // Wait until the other client's change is applied (webhooks are processed in the background).
    for _ in 0..100 {
        let theirs = app.state.store.invitations_by_ids(&[theirs_row]).await.unwrap()[0].status;
        if theirs == bspgraph::domain::InvitationStatus::InProgress {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(app.zavu_webhook("evt_mine", &mine_zavu, "in_progress", true).await, 200);
    // The other client's change came first but never reaches this socket: mine is the first.
    let first = ws.next_status().await;
    assert_eq!(first["status"], "IN_PROGRESS");
    let mine_events = app
        .state
        .store
        .events_page(
            &bspgraph::store::EventFilter { client_id: Some(owner), ..Default::default() },
            bspgraph::store::PageArgs { first: 10, after: None },
        )
        .await
        .unwrap();
    assert_eq!(first["cursor"], bspgraph::domain::encode_cursor(mine_events.items.last().unwrap().seq));
}

/// A SendZen delivery signed with the sandbox secret (`X-Hub-Signature-256`).
fn sendzen_signed(body: &str) -> String {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"sendzen_sandbox_webhook_secret_0123456789").unwrap();
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[tokio::test]
async fn a_sendzen_delivery_to_an_unknown_client_token_is_refused_and_not_stored() {
    let app = spawn_live(|_| {}).await;
    let body = r#"{"status":"completed","waba_id":"1","phone_number_id":"2","project_id":"p"}"#;
    let resp = app
        .http
        .post(app.url("/webhooks/sendzen/0123456789abcdef0123456789abcdef0123456789abcdef"))
        .header("content-type", "application/json")
        .header("x-hub-signature-256", sendzen_signed(body))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    let inbox = app.state.store.inbox_entries(bspgraph::domain::Provider::Sendzen).await.unwrap();
    assert!(inbox.is_empty(), "nothing stored for an unknown token");
}
