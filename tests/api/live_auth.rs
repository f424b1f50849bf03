//! WebSocket access control: `connection_init` carries the credential; refused ones
//! close with 4403 (and, from one address, are throttled); a client token subscribes
//! only to its own client's events; a socket closes with 4403 once its key is revoked
//! or its token expires.

use secrecy::ExposeSecret;
use serde_json::json;

use crate::helpers::{eventually, spawn_live, spawn_production, TestApp};
use crate::live_ws_limits::closed;
use crate::ws_support::{Ws, STATUS_QUERY};

/// Production with Zavu LIVE (against a standalone simulator), so invitations and
/// signed webhooks exist; the sandbox is never mounted in production.
async fn production() -> TestApp {
    spawn_production(|_| {}).await
}

async fn init(app: &TestApp, token: Option<&str>) -> Ws {
    let mut ws = Ws::connect(&app.ws_url(), "graphql-transport-ws").await;
    let payload = token.map_or(json!({}), |t| json!({ "authToken": t }));
    ws.send(json!({ "type": "connection_init", "payload": payload })).await;
    ws
}

fn key(app: &TestApp) -> (bspgraph::auth::keys::NewKey, String) {
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

    // From the log position of now: every later event arrives, however soon it happens.
    let after = app.cursor_now().await;
    ws.subscribe("all", STATUS_QUERY, json!({ "after": after })).await;
    assert_eq!(app.zavu_webhook("evt_theirs", &theirs_zavu, "in_progress", true).await, 200);
    // Wait until the other client's change is applied (webhooks are processed in the background).
    eventually("the other client's change applied", || async {
        let theirs = app.state.store.invitations_by_ids(&[theirs_row]).await.unwrap()[0].status;
        (theirs == bspgraph::domain::InvitationStatus::InProgress).then_some(())
    })
    .await;
    assert_eq!(app.zavu_webhook("evt_mine", &mine_zavu, "in_progress", true).await, 200);
    // The other client's change came first but never reaches this socket: mine is the first.
    let first = ws.next_status().await;
    assert_eq!(first["status"], "IN_PROGRESS");
    let mine_events = app
        .state
        .store
        .events_page(
            &bspgraph::store::EventFilter { clients: bspgraph::store::Clients::One(owner), ..Default::default() },
            bspgraph::store::PageArgs { first: 10, after: None },
        )
        .await
        .unwrap();
    assert_eq!(
        first["cursor"],
        bspgraph::domain::encode_cursor(bspgraph::domain::CursorKind::Events, mine_events.items.last().unwrap().seq)
    );
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

/// A production app with `adjust`ed settings and a live operator key: (app, key id, key).
async fn production_with_key(adjust: impl FnOnce(&mut bspgraph::config::Settings)) -> (TestApp, i64, String) {
    let app = spawn_production(|s| {
        adjust(s);
    })
    .await;
    let (k, text) = key(&app);
    let stored = app.state.store.create_api_key("ws", &k.display_prefix, &k.digest).await.unwrap();
    (app, stored.id, text)
}

#[tokio::test]
async fn an_open_socket_closes_with_4403_once_its_key_is_revoked() {
    // Arrange
    let (app, id, key) = production_with_key(|s| s.live.ws_recheck_secs = 0.2).await;
    let mut ws = init(&app, Some(&key)).await;
    assert_eq!(ws.recv().await["type"], "connection_ack");

    // Act: revoked behind the socket's back (as `bspgraph keys revoke` does, from another process).
    assert!(app.state.store.revoke_api_key(id).await.unwrap());

    // Assert
    let (code, reason, _) = closed(&mut ws).await;
    assert_eq!(code, 4403, "{reason}");
}

#[tokio::test]
async fn a_subscribe_after_revocation_is_refused_with_4403_and_never_runs() {
    // Arrange: no timer re-check, so only the operation's own check can notice.
    let (app, id, key) = production_with_key(|s| s.live.ws_recheck_secs = 0.0).await;
    let mut ws = init(&app, Some(&key)).await;
    assert_eq!(ws.recv().await["type"], "connection_ack");
    ws.subscribe("before", "{ clients { totalCount } }", json!({})).await;
    assert_eq!(ws.recv().await["payload"]["data"]["clients"]["totalCount"], 0);

    // Act
    assert!(app.state.store.revoke_api_key(id).await.unwrap());
    ws.subscribe("after", "{ clients { totalCount } }", json!({})).await;

    // Assert
    let (code, _, seen) = closed(&mut ws).await;
    assert_eq!(code, 4403);
    assert!(seen.iter().all(|m| m["id"] != "after"), "the operation ran: {seen:?}");
}

#[tokio::test]
async fn a_client_tokens_socket_closes_with_4403_at_the_tokens_expiry() {
    // Arrange: the timer re-check is off; the expiry is scheduled on its own.
    let app = spawn_production(|s| {
        s.live.ws_recheck_secs = 0.0;
    })
    .await;
    let client = app.client().await;
    let token = app.state.gate.authenticator.signer().issue(client, chrono::Utc::now() + chrono::Duration::seconds(2));
    let mut ws = init(&app, Some(token.expose_secret())).await;
    assert_eq!(ws.recv().await["type"], "connection_ack");
    ws.subscribe("live", STATUS_QUERY, json!({})).await;

    // Act: nothing; the token runs out.
    let (code, reason, _) = closed(&mut ws).await;

    // Assert
    assert_eq!(code, 4403);
    assert!(reason.contains("expired"), "{reason}");
    assert!(chrono::Utc::now().timestamp() >= token_expiry(&app, token.expose_secret()), "not before exp");
}

/// The `exp` of a token, as the server reads it (Unix seconds).
fn token_expiry(app: &TestApp, token: &str) -> i64 {
    let past = chrono::DateTime::<chrono::Utc>::MIN_UTC;
    app.state.gate.authenticator.signer().verify(token, past).unwrap().expires_at.timestamp()
}

#[tokio::test]
async fn refused_connection_inits_from_one_address_are_throttled() {
    // Arrange: two refusals allowed, then the address is held back.
    let app = spawn_production(|s| {
        s.address_limits.auth_failure_burst = 2;
        s.address_limits.auth_failures_per_minute = 1;
    })
    .await;
    let (k, valid) = key(&app);
    app.state.store.create_api_key("ws", &k.display_prefix, &k.digest).await.unwrap();
    let forged = bspgraph::auth::keys::generate();
    let forged = forged.secret.expose_secret();

    // Act
    let first = closed(&mut init(&app, Some(forged)).await).await;
    let second = closed(&mut init(&app, Some(forged)).await).await;
    let third = closed(&mut init(&app, Some(forged)).await).await;

    // Assert: plain refusals, then the throttled one; afterwards even HTTP with a valid key waits.
    assert_eq!((first.0, first.1.as_str()), (4403, "Forbidden"));
    assert_eq!((second.0, second.1.as_str()), (4403, "Forbidden"));
    assert_eq!(third.0, 4403);
    assert!(third.1.contains("too many refused credentials"), "{}", third.1);
    let resp = app.http.post(app.url("/graphql")).bearer_auth(&valid).json(&json!({ "query": "{ __typename }" }));
    let resp = resp.send().await.unwrap();
    assert_eq!(resp.status(), 429);
    assert!(resp.headers().contains_key("retry-after"));
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
}
