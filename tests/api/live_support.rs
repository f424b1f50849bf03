//! Live-status test support: the app with its state at hand (bus, poller, sandbox),
//! rows registered straight in the database, signed Zavu webhooks and a small
//! graphql-transport-ws client over real WebSockets.

use std::time::Duration;

use bspgraph::config::Settings;
use bspgraph::domain::{ClientDraft, HostedInvitationRequest, OnboardingRequest, Provider};
use bspgraph::web::{App, AppState};
use futures_util::{SinkExt, StreamExt};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use secrecy::ExposeSecret;
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Sandbox Zavu webhook secret (the simulator default, published in the source).
pub const ZAVU_SECRET: &str = "whsec_sandbox_zavu_0123456789abcdef";
/// The Zavu webhook secret an operator configures for a LIVE Zavu in production tests.
pub const OPERATOR_ZAVU_SECRET: &str = "whsec_operator_configured_5f1e2d3c4b5a";
/// A fixed `BSPGRAPH_SECRET_KEY` for production tests (production needs one).
pub const TEST_SECRET_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

pub struct LiveApp {
    pub addr: std::net::SocketAddr,
    pub state: AppState,
    pub http: reqwest::Client,
    pub db: DatabaseConnection,
    /// The secret `zavu_webhook(.., signed: true)` signs with.
    pub zavu_secret: String,
    _dir: Option<tempfile::TempDir>,
    _stop: oneshot::Sender<()>,
}

/// Settings for live tests: a fast poller off by default, short WS init wait.
pub fn live_settings(url: &str) -> Settings {
    let mut s = Settings::defaults();
    s.listen = "127.0.0.1:0".parse().unwrap();
    s.database_url = url.to_owned();
    s.live.poll_interval_secs = 0.0;
    s.live.inbox_retry_secs = 0.2;
    s
}

/// The app on a fresh SQLite file.
pub async fn spawn_live(adjust: impl FnOnce(&mut Settings)) -> LiveApp {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("live.db").display());
    spawn_on(&url, Some(dir), adjust).await
}

/// The app on `url` (several instances may share a PostgreSQL database).
pub async fn spawn_on(url: &str, dir: Option<tempfile::TempDir>, adjust: impl FnOnce(&mut Settings)) -> LiveApp {
    let mut settings = live_settings(url);
    adjust(&mut settings);
    let settings_secret = settings.providers.zavu_webhook_secrets.first().map(|s| s.expose_secret().to_owned());
    let app = App::build(settings).await.unwrap();
    let addr = app.local_addr().unwrap();
    let state = app.state.clone();
    let (stop, stopped) = oneshot::channel::<()>();
    // `start` returns once the sandboxed providers' webhooks are registered.
    app.start(async {
        let _ = stopped.await;
    })
    .await
    .unwrap();
    let db = sea_orm::Database::connect(url).await.unwrap();
    let zavu_secret = settings_secret.unwrap_or_else(|| ZAVU_SECRET.to_owned());
    LiveApp { addr, state, http: reqwest::Client::new(), db, zavu_secret, _dir: dir, _stop: stop }
}

/// Production mode with Zavu LIVE against a standalone Zavu simulator (standing in for
/// the real API), its webhooks verified with [`OPERATOR_ZAVU_SECRET`]; Sinch and SendZen
/// have no credentials, so they are DISABLED.
pub async fn spawn_production(adjust: impl FnOnce(&mut Settings)) -> LiveApp {
    let sim = bspgraph_sandbox::Sandbox::new(bspgraph_sandbox::SandboxConfig::default());
    let sim_url = bspgraph_sandbox::serve_standalone(sim.router()).await.unwrap();
    spawn_live(|s| {
        s.security.mode = bspgraph::modes::Mode::Production;
        s.secret_key = Some(TEST_SECRET_KEY.to_owned().into());
        s.providers.zavu_api_key = Some(bspgraph_sandbox::SandboxConfig::default().zavu.api_key.into());
        s.providers.zavu_base_url = format!("{sim_url}/sandbox/zavu");
        s.providers.zavu_webhook_secrets = vec![OPERATOR_ZAVU_SECRET.to_owned().into()];
        adjust(s);
    })
    .await
}

impl LiveApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// POST a GraphQL operation (as the dev-mode operator) and return the body.
    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        let body = json!({ "query": query, "variables": variables });
        self.http.post(self.url("/graphql")).json(&body).send().await.unwrap().json().await.unwrap()
    }

    /// The event-log cursor of now. A `statusChanged` subscription given it as `after`
    /// receives every later event however soon after subscribing it happens, so a test
    /// needs no pause for the subscription to be set up.
    pub async fn cursor_now(&self) -> String {
        let seq = self.state.store.max_event_seq().await.unwrap();
        bspgraph::domain::encode_cursor(bspgraph::domain::CursorKind::Events, seq)
    }

    /// Wait until the event log holds `seq` (a fact, not a pause); panics after 10 s.
    pub async fn until_event(&self, seq: i64) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while self.state.store.max_event_seq().await.unwrap() < seq {
            assert!(tokio::time::Instant::now() < deadline, "event {seq} never stored");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Wait until `n` subscriptions follow the event bus (a subscription is live once
    /// its resolver has run, which graphql-transport-ws does not acknowledge).
    pub async fn until_listeners(&self, n: usize) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while self.state.bus.listeners() < n {
            assert!(tokio::time::Instant::now() < deadline, "{n} subscriptions never started");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Wait until `n` operations follow shared executions (members join a moment after
    /// their `subscribe`, which graphql-transport-ws does not acknowledge).
    pub async fn until_members(&self, n: usize) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while self.state.hubs.members() != n {
            assert!(tokio::time::Instant::now() < deadline, "{n} members never joined");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// A client row; returns its id.
    pub async fn client(&self) -> i64 {
        let draft = ClientDraft { external_id: None, name: "Live".into(), email: None, phone: None, labels: None };
        self.state.store.create_client(draft).await.unwrap().id
    }

    /// A real invitation at the Zavu simulator; returns its Zavu id.
    pub async fn zavu_invitation(&self) -> String {
        let zavu = self.state.providers.get(Provider::Zavu).unwrap();
        let req = HostedInvitationRequest { client_name: Some("Live".into()), ..Default::default() };
        let start = zavu.start_onboarding(OnboardingRequest::HostedInvitation(req)).await.unwrap();
        start.invitation.unwrap().id.unwrap()
    }

    /// Register an invitation row for `provider_id` (what onboarding would have written).
    pub async fn register_invitation(&self, client_id: i64, provider_id: &str, status: &str) -> i64 {
        let backend = self.db.get_database_backend();
        let sql = match backend {
            sea_orm::DbBackend::Postgres => {
                "INSERT INTO invitations (client_id, provider, provider_id, status, created_at, updated_at, flow) \
                 VALUES ($1, 'ZAVU', $2, $3, $4, $4, 'HOSTED_LINK') RETURNING id"
            }
            _ => {
                "INSERT INTO invitations (client_id, provider, provider_id, status, created_at, updated_at, flow) \
                 VALUES (?1, 'ZAVU', ?2, ?3, ?4, ?4, 'HOSTED_LINK') RETURNING id"
            }
        };
        let now = chrono::Utc::now();
        let values: Vec<sea_orm::Value> = vec![client_id.into(), provider_id.into(), status.into(), now.into()];
        let row = self.db.query_one(Statement::from_sql_and_values(backend, sql, values)).await.unwrap().unwrap();
        row.try_get("", "id").unwrap()
    }

    /// Zavu invitation + row, ready for live tests: (row id, Zavu id, global id).
    pub async fn tracked_invitation(&self) -> (i64, String, String) {
        let client = self.client().await;
        let zavu_id = self.zavu_invitation().await;
        let row = self.register_invitation(client, &zavu_id, "PENDING").await;
        let gid = bspgraph::domain::GlobalId::new(bspgraph::domain::NodeType::Invitation, row).encode();
        (row, zavu_id, gid)
    }

    /// POST a Zavu webhook for `invitation` moving to `status`, signed (or not).
    pub async fn zavu_webhook(&self, event_id: &str, invitation: &str, status: &str, signed: bool) -> u16 {
        let body = zavu_body(event_id, invitation, status);
        let mut req = self.http.post(self.url("/webhooks/zavu")).header("content-type", "application/json");
        let secret = if signed { self.zavu_secret.as_str() } else { "whsec_wrong" };
        req = req.header("x-zavu-signature", zavu_signature(secret, &body));
        req.body(body).send().await.unwrap().status().as_u16()
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/graphql/ws", self.addr)
    }
}

pub fn zavu_body(event_id: &str, invitation: &str, status: &str) -> String {
    json!({
        "id": event_id, "type": "invitation.status_changed", "timestamp": chrono::Utc::now().timestamp_millis(),
        "projectId": "prj_sandbox",
        "data": { "invitationId": invitation, "previousStatus": "pending", "currentStatus": status },
    })
    .to_string()
}

pub fn zavu_signature(secret: &str, body: &str) -> String {
    let t = chrono::Utc::now().timestamp().to_string();
    let sig = bspgraph::providers::signature::sign(secret.as_bytes(), &[t.as_bytes(), b".", body.as_bytes()]);
    format!("t={t},v2={}", hex::encode(sig))
}

/// A WebSocket GraphQL client.
pub struct Ws {
    pub socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

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
