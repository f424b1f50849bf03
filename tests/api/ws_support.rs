//! A small graphql-transport-ws (and legacy graphql-ws) client over real WebSockets,
//! for the tests that subscribe.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// A WebSocket GraphQL client.
pub struct Ws {
    pub socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// Every status change (`after` a cursor, `filter`ed), with its cursor and source.
pub const STATUS_QUERY: &str = "subscription($after: String, $filter: EventFilter) { \
    statusChanged(after: $after, filter: $filter) { cursor status previousStatus source } }";

impl Ws {
    pub async fn connect(url: &str, protocol: &str) -> Ws {
        let mut req = url.into_client_request().unwrap();
        req.headers_mut().insert("sec-websocket-protocol", protocol.parse().unwrap());
        let (socket, _) = tokio_tungstenite::connect_async(req).await.unwrap();
        Ws { socket }
    }

    /// Connected and acknowledged (graphql-transport-ws).
    pub async fn ready(url: &str) -> Ws {
        Ws::ready_as(url, None).await
    }

    /// Connected and acknowledged with `token` as `authToken` (none: anonymous).
    pub async fn ready_as(url: &str, token: Option<&str>) -> Ws {
        let mut ws = Ws::connect(url, "graphql-transport-ws").await;
        let payload = token.map_or(json!({}), |t| json!({ "authToken": t }));
        ws.send(json!({ "type": "connection_init", "payload": payload })).await;
        assert_eq!(ws.recv().await["type"], "connection_ack");
        ws
    }

    /// Connected and acknowledged over a TCP socket with a tiny receive buffer: once the
    /// test stops reading, the server's writes to it block within a few frames.
    pub async fn ready_narrow(url: &str) -> Ws {
        let addr: std::net::SocketAddr = url.trim_start_matches("ws://").split('/').next().unwrap().parse().unwrap();
        let tcp = tokio::net::TcpSocket::new_v4().unwrap();
        tcp.set_recv_buffer_size(2048).unwrap();
        let stream = tcp.connect(addr).await.unwrap();
        let mut req = url.into_client_request().unwrap();
        req.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
        let (socket, _) = tokio_tungstenite::client_async(req, MaybeTlsStream::Plain(stream)).await.unwrap();
        let mut ws = Ws { socket };
        ws.send(json!({ "type": "connection_init", "payload": {} })).await;
        assert_eq!(ws.recv().await["type"], "connection_ack");
        ws
    }

    pub async fn send(&mut self, msg: Value) {
        self.socket.send(Message::text(msg.to_string())).await.unwrap();
    }

    /// Next protocol message (server pings skipped), within 5 s.
    pub async fn recv(&mut self) -> Value {
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(5), self.socket.next()).await.expect("no message");
            match msg.expect("socket ended").expect("socket error") {
                Message::Text(t) => {
                    let v: Value = serde_json::from_str(t.as_str()).unwrap();
                    if v["type"] != "ping" && v["type"] != "ka" {
                        return v;
                    }
                }
                Message::Close(frame) => panic!("closed: {frame:?}"),
                _ => {}
            }
        }
    }

    /// The close code the server ends the socket with, within 5 s.
    pub async fn close_code(&mut self) -> u16 {
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(5), self.socket.next()).await.expect("no close");
            match msg {
                Some(Ok(Message::Close(Some(frame)))) => return u16::from(frame.code),
                Some(Ok(Message::Close(None))) | None => return 1005,
                Some(Ok(_)) => {}
                Some(Err(e)) => panic!("socket error: {e}"),
            }
        }
    }

    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        self.send(json!({ "type": "subscribe", "id": id, "payload": { "query": query, "variables": variables } }))
            .await;
    }

    /// `data.statusChanged` of the next `next` message.
    pub async fn next_status(&mut self) -> Value {
        let msg = self.recv().await;
        assert_eq!(msg["type"], "next", "unexpected message {msg}");
        msg["payload"]["data"]["statusChanged"].clone()
    }
}
