//! WebSocket hardening: subprotocol negotiation (RFC 6455), message sizes before and
//! after `connection_init`, the per-address upgrade limit, operations counted in the
//! caller's rate-limit bucket, and 1001 close frames on shutdown.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};

use crate::helpers::spawn_live;
use crate::ws_support::Ws;

/// Generous: these waits are for correctness, never timing.
const PATIENCE: Duration = Duration::from_secs(30);

/// Read until the server closes: (close code, reason, protocol messages seen before;
/// server pings skipped).
pub async fn closed(ws: &mut Ws) -> (u16, String, Vec<Value>) {
    let mut seen = Vec::new();
    loop {
        let msg = tokio::time::timeout(PATIENCE, ws.socket.next()).await.expect("no close frame");
        match msg {
            Some(Ok(Message::Text(t))) => {
                let v: Value = serde_json::from_str(t.as_str()).unwrap();
                if v["type"] != "ping" && v["type"] != "ka" {
                    seen.push(v);
                }
            }
            Some(Ok(Message::Close(Some(frame)))) => return (u16::from(frame.code), frame.reason.to_string(), seen),
            Some(Ok(Message::Close(None))) | None => return (1005, String::new(), seen),
            Some(Ok(_)) => {}
            Some(Err(e)) => panic!("socket error before a close frame: {e}"),
        }
    }
}

/// Connect with exactly these `Sec-WebSocket-Protocol` values (none when empty).
async fn connect_offering(url: &str, offered: &[&str]) -> Result<(Ws, Option<String>), tungstenite::Error> {
    let mut req = url.into_client_request().unwrap();
    if !offered.is_empty() {
        req.headers_mut().insert("sec-websocket-protocol", offered.join(", ").parse().unwrap());
    }
    let (socket, resp) = tokio_tungstenite::connect_async(req).await?;
    let chosen = resp.headers().get("sec-websocket-protocol").map(|v| v.to_str().unwrap().to_owned());
    Ok((Ws { socket }, chosen))
}

/// The HTTP status and `Retry-After` of a refused upgrade.
fn refused_upgrade(result: Result<(Ws, Option<String>), tungstenite::Error>) -> (u16, Option<String>) {
    match result {
        Err(tungstenite::Error::Http(resp)) => {
            (resp.status().as_u16(), resp.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned()))
        }
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("the upgrade was accepted"),
    }
}

async fn typename(ws: &mut Ws, id: &str) -> Value {
    ws.send(json!({ "type": "subscribe", "id": id, "payload": { "query": "{ __typename }" } })).await;
    ws.recv().await
}

#[tokio::test]
async fn a_client_offering_no_subprotocol_gets_none_back_and_speaks_graphql_transport_ws() {
    let app = spawn_live(|_| {}).await;

    let (mut ws, chosen) = connect_offering(&app.ws_url(), &[]).await.expect("a plain WebSocket connects");
    assert_eq!(chosen, None, "RFC 6455: no subprotocol may be selected when none was offered");
    ws.send(json!({ "type": "connection_init" })).await;
    assert_eq!(ws.recv().await["type"], "connection_ack");
    let next = typename(&mut ws, "1").await;
    assert_eq!((next["type"].as_str(), next["payload"]["data"]["__typename"].as_str()), (Some("next"), Some("Query")));

    let (_, chosen) = connect_offering(&app.ws_url(), &["soap", "graphql-ws"]).await.unwrap();
    assert_eq!(chosen.as_deref(), Some("graphql-ws"), "an offered protocol we speak is picked");
    let (status, _) = refused_upgrade(connect_offering(&app.ws_url(), &["soap", "wamp"]).await);
    assert_eq!(status, 400, "only unknown subprotocols offered");
}

#[tokio::test]
async fn a_big_message_before_connection_init_closes_with_1009_and_the_socket_is_released() {
    let app = spawn_live(|_| {}).await;
    let mut ws = Ws::connect(&app.ws_url(), "graphql-transport-ws").await;

    let padding = "x".repeat(100_000);
    ws.send(json!({ "type": "connection_init", "payload": { "padding": padding } })).await;

    let (code, _, seen) = closed(&mut ws).await;
    assert_eq!(code, 1009);
    assert!(seen.is_empty(), "no ack for an oversized init: {seen:?}");
    assert!(app.state.sockets.drained(PATIENCE).await, "the server let go of the socket and its buffers");
}

#[tokio::test]
async fn after_connection_ack_messages_up_to_the_body_limit_are_accepted_and_larger_ones_end_the_socket() {
    let app = spawn_live(|s| s.max_body_bytes = 200_000).await;
    let mut ws = Ws::ready(&app.ws_url()).await;

    // A 100 KB message within the body limit (the document itself stays under the
    // guard's 64 KiB document limit; the bulk rides in `extensions`).
    let pad = "x".repeat(100_000);
    ws.send(json!({ "type": "subscribe", "id": "big", "payload": { "query": "{ __typename }", "extensions": { "pad": pad } } }))
        .await;
    assert_eq!(ws.recv().await["payload"]["data"]["__typename"], "Query");
    assert_eq!(ws.recv().await["type"], "complete");

    let query = format!("{{ __typename }} # {}", "x".repeat(300_000));
    let _ = ws
        .socket
        .send(Message::text(json!({ "type": "subscribe", "id": "too-big", "payload": { "query": query } }).to_string()))
        .await;
    // The server stops reading mid-frame: the close frame (1009) can race the
    // connection reset the rest of the unread frame causes, so either ends the socket.
    let mut seen = Vec::new();
    let code = loop {
        match tokio::time::timeout(PATIENCE, ws.socket.next()).await.expect("the socket stays open") {
            Some(Ok(Message::Close(frame))) => break frame.map(|f| u16::from(f.code)),
            Some(Ok(Message::Text(t))) => seen.push(t.to_string()),
            Some(Ok(_)) => {}
            Some(Err(_)) | None => break None,
        }
    };
    assert!(matches!(code, None | Some(1009)), "{code:?}");
    assert!(!seen.iter().any(|m| m.contains("too-big")), "the oversized operation never ran: {seen:?}");
    assert!(app.state.sockets.drained(PATIENCE).await, "the server let go of the socket");
}

#[tokio::test]
async fn upgrades_over_the_per_address_limit_get_429_with_retry_after() {
    let app = spawn_live(|s| {
        s.address_limits.ws_upgrade_burst = 2;
        s.address_limits.ws_upgrades_per_minute = 1;
    })
    .await;
    let _first = Ws::connect(&app.ws_url(), "graphql-transport-ws").await;
    let _second = Ws::connect(&app.ws_url(), "graphql-transport-ws").await;

    let (status, retry_after) = refused_upgrade(connect_offering(&app.ws_url(), &["graphql-transport-ws"]).await);

    assert_eq!(status, 429);
    let wait: u64 = retry_after.expect("Retry-After").parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
}

#[tokio::test]
async fn websocket_operations_share_the_callers_http_rate_limit_bucket() {
    // Arrange: 3 per minute for the (anonymous, dev mode) caller at this address.
    let app = spawn_live(|s| s.security.rate_limit_per_minute = 3).await;
    let post = || app.http.post(app.url("/graphql")).json(&json!({ "query": "{ __typename }" })).send();
    let mut ws = Ws::ready(&app.ws_url()).await;

    // Act: one operation over the socket, then HTTP until the bucket is empty.
    assert_eq!(typename(&mut ws, "1").await["type"], "next");
    assert_eq!(ws.recv().await["type"], "complete");
    assert_eq!(post().await.unwrap().status(), 200);
    assert_eq!(post().await.unwrap().status(), 200);
    let third = post().await.unwrap().status();
    let refused = typename(&mut ws, "2").await;

    // Assert: the socket's operation counted, and the socket's next one is refused, not run.
    assert_eq!(third, 429, "the WebSocket operation took one of the 3");
    assert_eq!((refused["type"].as_str(), refused["id"].as_str()), (Some("error"), Some("2")), "{refused}");
    assert_eq!(refused["payload"][0]["extensions"]["code"], "RATE_LIMITED");
    assert!(refused["payload"][0]["extensions"]["retryAfterSeconds"].as_u64().is_some_and(|s| s >= 1));
    ws.send(json!({ "type": "ping" })).await;
    assert_eq!(ws.recv().await["type"], "pong", "the socket stays open");
}

#[tokio::test]
async fn shutdown_closes_open_sockets_with_1001_going_away() {
    // Arrange
    let mut app = spawn_live(|_| {}).await;
    let mut ws = Ws::ready(&app.ws_url()).await;

    // Act
    let served = app.shut_down();

    // Assert
    let (code, reason, _) = closed(&mut ws).await;
    assert_eq!(code, 1001, "{reason}");
    let result = tokio::time::timeout(PATIENCE, served).await.expect("serve() returns after shutdown");
    result.unwrap().unwrap();
    ws.socket.close(None).await.ok();
}
