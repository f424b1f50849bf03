//! The test harness: [`TestApp`], the app on port 0 over a fresh database (a temp SQLite
//! file, or a new PostgreSQL database under `TEST_DATABASE_URL`) with its state at hand,
//! all started by one spawn path; the settings tests adjust; rows registered straight in
//! the database; signed Zavu webhooks; and [`eventually`], the one way a test waits.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use bspgraph::config::Settings;
use bspgraph::domain::{ClientDraft, HostedInvitationRequest, OnboardingRequest, Provider};
use bspgraph::store::Store;
use bspgraph::web::{App, AppState};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use secrecy::ExposeSecret;
use serde_json::{json, Value};
use tokio::sync::{oneshot, OnceCell};

use crate::zavu_support::{zavu_body, zavu_signature, OPERATOR_ZAVU_SECRET, ZAVU_SECRET};

/// A fixed `BSPGRAPH_SECRET_KEY`, for production (which needs one) and for a PostgreSQL
/// database (which has no file to keep a generated key next to).
pub const TEST_SECRET_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// How long [`eventually`] waits for a fact before failing the test. Generous: it only
/// bounds a failure, a passing test never waits for it.
const PATIENCE: Duration = Duration::from_secs(30);
/// How often [`eventually`] looks again.
const POLL: Duration = Duration::from_millis(10);

/// Wait for a fact: call `check` until it gives `Some`, and return that. `check` runs at
/// once, then again every 10 ms; the test fails, naming `what`, when the fact has not
/// come true within 30 s. Tests wait through this helper only, never for a time of their own.
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if let Some(found) = check().await {
            return found;
        }
        assert!(tokio::time::Instant::now() < deadline, "not within {PATIENCE:?}: {what}");
        tokio::time::sleep(POLL).await;
    }
}

/// A running app and what a test needs to talk to it.
pub struct TestApp {
    pub addr: SocketAddr,
    pub http: reqwest::Client,
    /// The app's services (store, event bus, poller, shared executions, providers...).
    pub state: AppState,
    /// The app's store (`state.store`).
    pub store: Store,
    /// Signs client tokens exactly as the app does (to forge expired ones in tests).
    pub signer: bspgraph::auth::TokenSigner,
    /// The simulators mounted in this app (sandbox mode).
    pub sandbox: Option<bspgraph_sandbox::Sandbox>,
    /// The SQLite database file, when the backend is SQLite.
    pub db_path: Option<std::path::PathBuf>,
    /// The secret [`TestApp::zavu_webhook`] signs with when `signed`: the first configured
    /// Zavu webhook secret, or the published sandbox one.
    pub zavu_secret: String,
    /// The test's own connection to the database, opened on first use ([`TestApp::db`]).
    db: OnceCell<DatabaseConnection>,
    _dir: Option<tempfile::TempDir>,
    /// Stops the app when sent, or dropped with the app.
    stop: Option<oneshot::Sender<()>>,
    /// The serving task ([`TestApp::shut_down`]).
    served: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

/// A `Drop` impl makes closures and async blocks capture the whole `TestApp`, never just
/// a field: a block that only used `app.store` would otherwise drop the temp directory
/// (and stop the server) while the test still runs.
impl Drop for TestApp {
    fn drop(&mut self) {}
}

/// Where the app's database is.
enum Database {
    /// A new SQLite file in a temporary directory, removed with the app.
    TempSqlite,
    /// The database at this URL (several apps may share a PostgreSQL database).
    At(String),
}

/// The one spawn path: default settings listening on port 0 over `database`, then
/// `adjust`ed; returns once the app serves (and the sandboxed providers' webhooks are
/// registered).
async fn spawn(database: Database, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let (dir, url) = match database {
        Database::TempSqlite => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
            (Some(dir), url)
        }
        Database::At(url) => (None, url),
    };
    let mut settings = Settings::defaults();
    settings.listen = "127.0.0.1:0".parse().unwrap();
    settings.database_url = url;
    adjust(&mut settings);
    let configured_zavu_secret = settings.providers.zavu_webhook_secrets.first().map(|s| s.expose_secret().to_owned());
    let app = App::build(settings).await.unwrap();
    let addr = app.local_addr().unwrap();
    let state = app.state.clone();
    let (stop, stopped) = oneshot::channel::<()>();
    // `start` returns once the sandboxed providers' webhooks are registered.
    let served = app
        .start(async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    TestApp {
        addr,
        http: reqwest::Client::new(),
        store: state.store.clone(),
        signer: state.gate.authenticator.signer().clone(),
        sandbox: state.sandbox.clone(),
        db_path: dir.as_ref().map(|d| d.path().join("test.db")),
        zavu_secret: configured_zavu_secret.unwrap_or_else(|| ZAVU_SECRET.to_owned()),
        state,
        db: OnceCell::new(),
        _dir: dir,
        stop: Some(stop),
        served: Some(served),
    }
}

/// The app on a temp SQLite file.
pub async fn spawn_app() -> TestApp {
    spawn(Database::TempSqlite, |_| {}).await
}

/// The app with adjusted settings on a temp SQLite file.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    spawn(Database::TempSqlite, adjust).await
}

/// The app with [`live`] settings, then `adjust`ed, on a temp SQLite file.
pub async fn spawn_live(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    spawn(Database::TempSqlite, |s| {
        live(s);
        adjust(s);
    })
    .await
}

/// [`spawn_live`] on the database at `url` (several instances may share a PostgreSQL
/// database).
pub async fn spawn_live_on(url: &str, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    spawn(Database::At(url.to_owned()), |s| {
        live(s);
        adjust(s);
    })
    .await
}

/// Production mode with Zavu LIVE against a standalone Zavu simulator (standing in for
/// the real API), its webhooks verified with [`OPERATOR_ZAVU_SECRET`]; Sinch and SendZen
/// have no credentials, so they are DISABLED. [`live`] settings, then `adjust`ed.
pub async fn spawn_production(adjust: impl FnOnce(&mut Settings)) -> TestApp {
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

/// A fresh PostgreSQL database under `TEST_DATABASE_URL`, or `None` with the reason
/// printed (the one PostgreSQL helper of the test harness).
pub async fn postgres_for(test: &str) -> Option<String> {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(admin_url) if !admin_url.is_empty() => Some(fresh_postgres(&admin_url).await),
        _ => {
            eprintln!("skipping {test}: TEST_DATABASE_URL is not set");
            None
        }
    }
}

/// Create a uniquely named database next to the one `admin_url` names and return its URL.
async fn fresh_postgres(admin_url: &str) -> String {
    let name = format!("bspg_test_{}", uuid::Uuid::new_v4().simple());
    let admin = sea_orm::Database::connect(admin_url).await.expect("TEST_DATABASE_URL must be reachable");
    admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.unwrap();
    admin.close().await.unwrap();
    let (base, query) = admin_url.split_once('?').map_or((admin_url, None), |(b, q)| (b, Some(q)));
    let base = base.rsplit_once('/').map_or(base, |(prefix, _)| prefix);
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// Run `test` against SQLite, then against PostgreSQL when `TEST_DATABASE_URL` is set
/// (otherwise say why that run is skipped).
pub async fn each_backend<F, Fut>(test: F)
where
    F: Fn(TestApp) -> Fut,
    Fut: Future<Output = ()>,
{
    each_backend_with(|_| {}, test).await;
}

/// [`each_backend`] with adjusted settings.
pub async fn each_backend_with<F, Fut>(adjust: fn(&mut Settings), test: F)
where
    F: Fn(TestApp) -> Fut,
    Fut: Future<Output = ()>,
{
    test(spawn(Database::TempSqlite, adjust).await).await;
    if let Some(url) = postgres_for("the PostgreSQL run").await {
        let app = spawn(Database::At(url), |s| {
            // No database file to put a generated key next to: use the fixed test key.
            s.secret_key = Some(TEST_SECRET_KEY.to_owned().into());
            adjust(s);
        })
        .await;
        test(app).await;
    }
}

/// Settings for the live tests (webhooks, subscriptions, the poller): no poller rounds
/// unless a test turns them on, and a failed inbox row retried after 0.2 s.
pub fn live(settings: &mut Settings) {
    settings.live.poll_interval_secs = 0.0;
    settings.live.inbox_retry_secs = 0.2;
}

/// Settings for tests that assert the exact event log of mutation and sandbox steps:
/// the simulators' webhooks are refused (413) so no WEBHOOK event races the steps.
/// Webhook-driven changes are tested on their own (`live_*`).
pub fn without_webhooks(settings: &mut Settings) {
    settings.live.webhook_max_bytes = 1;
}

/// Settings without background work (poller rounds, inbox sweeps), for tests that
/// count SQL statements.
pub fn without_background(settings: &mut Settings) {
    settings.live.poll_interval_secs = 0.0;
    settings.live.inbox_retry_secs = 3600.0;
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Stop the app as a shutdown signal does: the serving task, which ends once serving
    /// has (in-flight requests finished, open WebSockets closed with 1001).
    pub fn shut_down(&mut self) -> tokio::task::JoinHandle<std::io::Result<()>> {
        self.stop.take().expect("the app is running").send(()).expect("the app is serving");
        self.served.take().expect("the app is running")
    }

    /// The GraphQL WebSocket endpoint.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/graphql/ws", self.addr)
    }

    /// POST a GraphQL operation (in dev mode: as the operator) and return the JSON body
    /// (any status).
    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        let resp = self
            .http
            .post(self.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .unwrap();
        resp.json().await.unwrap()
    }

    /// `data` of a GraphQL operation that must succeed without errors.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let body = self.gql(query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }

    /// The test's own connection to the app's database (opened on first use), for what
    /// no API does: rows written, or tables dropped, behind the app's back.
    pub async fn db(&self) -> &DatabaseConnection {
        self.db.get_or_init(|| async { sea_orm::Database::connect(self.store.url()).await.unwrap() }).await
    }

    /// The event-log cursor of now. A `statusChanged` subscription given it as `after`
    /// receives every later event however soon after subscribing it happens, so a test
    /// needs no pause for the subscription to be set up.
    pub async fn cursor_now(&self) -> String {
        let seq = self.state.store.max_event_seq().await.unwrap();
        bspgraph::domain::encode_cursor(bspgraph::domain::CursorKind::Events, seq)
    }

    /// Wait until the event log holds `seq`.
    pub async fn until_event(&self, seq: i64) {
        eventually(&format!("event {seq} stored"), || async {
            (self.state.store.max_event_seq().await.unwrap() >= seq).then_some(())
        })
        .await;
    }

    /// Wait until `n` subscriptions follow the event bus (a subscription is live once
    /// its resolver has run, which graphql-transport-ws does not acknowledge).
    pub async fn until_listeners(&self, n: usize) {
        let what = format!("{n} subscriptions started");
        eventually(&what, || async { (self.state.bus.listeners() >= n).then_some(()) }).await;
    }

    /// Wait until exactly `n` operations follow shared executions (members join a moment
    /// after their `subscribe`, which graphql-transport-ws does not acknowledge).
    pub async fn until_members(&self, n: usize) {
        let what = format!("{n} members joined");
        eventually(&what, || async { (self.state.hubs.members() == n).then_some(()) }).await;
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
        let db = self.db().await;
        let backend = db.get_database_backend();
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
        let row = db.query_one(Statement::from_sql_and_values(backend, sql, values)).await.unwrap().unwrap();
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
}

/// Create a client through the API and return its global id.
pub async fn create_client(app: &TestApp, name: &str, external_id: Option<&str>) -> String {
    let data = app
        .data(
            "mutation($input: ClientInput!) { createClient(input: $input) { client { id } userErrors { code } } }",
            json!({ "input": { "name": name, "externalId": external_id } }),
        )
        .await;
    data["createClient"]["client"]["id"].as_str().unwrap().to_owned()
}

/// The `extensions.code` of every error in a response.
pub fn error_codes(body: &Value) -> Vec<String> {
    body["errors"].as_array().map_or_else(Vec::new, |errors| {
        errors.iter().map(|e| e["extensions"]["code"].as_str().unwrap_or("<none>").to_owned()).collect()
    })
}
