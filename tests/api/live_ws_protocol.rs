//! The graphql-transport-ws protocol: close codes, pings, the cap, the legacy protocol.

use serde_json::json;

use crate::helpers::spawn_live;
use crate::ws_support::{Ws, STATUS_QUERY};

#[tokio::test]
async fn an_invalid_or_unknown_message_closes_with_4400() {
    let app = spawn_live(|_| {}).await;
    let mut ws = Ws::ready(&app.ws_url()).await;
    ws.send(json!({ "type": "bogus" })).await;
    assert_eq!(ws.close_code().await, 4400);

    let mut ws = Ws::connect(&app.ws_url(), "graphql-transport-ws").await;
    ws.socket.send(tokio_tungstenite::tungstenite::Message::text("not json")).await.unwrap();
    assert_eq!(ws.close_code().await, 4400);
}

#[tokio::test]
async fn subscribe_before_connection_ack_closes_with_4401() {
    let app = spawn_live(|_| {}).await;
    let mut ws = Ws::connect(&app.ws_url(), "graphql-transport-ws").await;
    ws.subscribe("1", STATUS_QUERY, json!({})).await;
    assert_eq!(ws.close_code().await, 4401);
}

#[tokio::test]
async fn no_connection_init_within_the_wait_closes_with_4408() {
    let app = spawn_live(|s| s.live.ws_init_timeout_secs = 0.2).await;
    let mut ws = Ws::connect(&app.ws_url(), "graphql-transport-ws").await;
    assert_eq!(ws.close_code().await, 4408);
}

#[tokio::test]
async fn a_duplicate_operation_id_closes_with_4409() {
    let app = spawn_live(|_| {}).await;
    let mut ws = Ws::ready(&app.ws_url()).await;
    ws.subscribe("same", STATUS_QUERY, json!({})).await;
    ws.subscribe("same", STATUS_QUERY, json!({})).await;
    assert_eq!(ws.close_code().await, 4409);
}

#[tokio::test]
async fn a_second_connection_init_closes_with_4429() {
    let app = spawn_live(|_| {}).await;
    let mut ws = Ws::ready(&app.ws_url()).await;
    ws.send(json!({ "type": "connection_init" })).await;
    assert_eq!(ws.close_code().await, 4429);
}

#[tokio::test]
async fn the_server_pings_and_answers_pings() {
    let app = spawn_live(|s| s.live.ws_ping_secs = 0.1).await;
    let mut ws = Ws::ready(&app.ws_url()).await;
    ws.send(json!({ "type": "ping" })).await;
    assert_eq!(ws.recv().await["type"], "pong");
    let msg = tokio::time::timeout(std::time::Duration::from_secs(2), ws.socket.next()).await.unwrap();
    let text = msg.unwrap().unwrap().into_text().unwrap();
    assert!(text.as_str().contains("\"ping\""), "{text}");
}

#[tokio::test]
async fn subscriptions_per_socket_are_capped() {
    let app = spawn_live(|s| s.live.ws_max_subscriptions = 2).await;
    let mut ws = Ws::ready(&app.ws_url()).await;
    for id in ["a", "b", "c"] {
        ws.subscribe(id, STATUS_QUERY, json!({})).await;
    }
    let refused = ws.recv().await;
    assert_eq!((refused["type"].as_str(), refused["id"].as_str()), (Some("error"), Some("c")));
    assert_eq!(refused["payload"][0]["extensions"]["code"], "TOO_MANY_SUBSCRIPTIONS");
}

#[tokio::test]
async fn the_legacy_graphql_ws_protocol_is_accepted() {
    // Arrange
    let app = spawn_live(|_| {}).await;
    let (_, zavu_id, _) = app.tracked_invitation().await;
    let mut ws = Ws::connect(&app.ws_url(), "graphql-ws").await;
    ws.send(json!({ "type": "connection_init", "payload": {} })).await;
    assert_eq!(ws.recv().await["type"], "connection_ack");

    // Act
    // From the log position of now: the change arrives however soon it happens.
    let variables = json!({ "after": app.cursor_now().await });
    let start = json!({ "type": "start", "id": "1", "payload": { "query": STATUS_QUERY, "variables": variables } });
    ws.send(start).await;
    app.zavu_webhook("evt_legacy", &zavu_id, "in_progress", true).await;
    let data = ws.recv().await;

    // Assert
    assert_eq!(data["type"], "data");
    assert_eq!(data["payload"]["data"]["statusChanged"]["status"], "IN_PROGRESS");
}

use futures_util::{SinkExt, StreamExt};

#[tokio::test]
async fn a_refused_connection_init_closes_with_4403() {
    let app = spawn_live(|_| {}).await;
    let mut ws = Ws::connect(&app.ws_url(), "graphql-transport-ws").await;
    ws.send(json!({ "type": "connection_init", "payload": { "authToken": 42 } })).await;
    assert_eq!(ws.close_code().await, 4403);
}
