//! `spawn_app()`: the app on port 0 over a fresh database (a temp SQLite file, or a
//! new PostgreSQL database under `TEST_DATABASE_URL`), plus small GraphQL helpers.

use std::future::Future;
use std::net::SocketAddr;

use bspgraph::config::Settings;
use bspgraph::store::Store;
use bspgraph::web::App;
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};
use tokio::sync::oneshot;

/// A running app and what a test needs to talk to it.
pub struct TestApp {
    pub addr: SocketAddr,
    pub http: reqwest::Client,
    pub store: Store,
    /// Signs client tokens exactly as the app does (to forge expired ones in tests).
    pub signer: bspgraph::auth::TokenSigner,
    /// The simulators mounted in this app (sandbox mode).
    pub sandbox: Option<bspgraph_sandbox::Sandbox>,
    /// The SQLite database file, when the backend is SQLite.
    pub db_path: Option<std::path::PathBuf>,
    _dir: Option<tempfile::TempDir>,
    _stop: oneshot::Sender<()>,
}

/// A `Drop` impl makes closures and async blocks capture the whole `TestApp`, never just
/// a field: a block that only used `app.store` would otherwise drop the temp directory
/// (and stop the server) while the test still runs.
impl Drop for TestApp {
    fn drop(&mut self) {}
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// POST a GraphQL operation and return the JSON body (any status).
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
}

/// Where a fresh database comes from.
enum Backend {
    Sqlite,
    Postgres(String),
}

/// The app on a temp SQLite file.
pub async fn spawn_app() -> TestApp {
    spawn_with(Backend::Sqlite, |_| {}).await
}

/// The app with adjusted settings on a temp SQLite file.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_with(Backend::Sqlite, adjust).await
}

async fn spawn_with(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let mut settings = Settings::defaults();
    settings.listen = "127.0.0.1:0".parse().unwrap();
    let (dir, url) = match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
            (Some(dir), url)
        }
        Backend::Postgres(admin_url) => {
            // No database file to put a generated key next to: use a fixed test key.
            settings.secret_key = Some("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".to_owned().into());
            (None, fresh_postgres(&admin_url).await)
        }
    };
    settings.database_url = url;
    adjust(&mut settings);
    let app = App::build(settings).await.unwrap();
    let addr = app.local_addr().unwrap();
    let store = app.state.store.clone();
    let signer = app.state.gate.authenticator.signer().clone();
    let sandbox = app.state.sandbox.clone();
    let db_path = dir.as_ref().map(|d| d.path().join("test.db"));
    let (stop, stopped) = oneshot::channel::<()>();
    // `start` returns once the sandboxed providers' webhooks are registered.
    app.start(async {
        let _ = stopped.await;
    })
    .await
    .unwrap();
    TestApp { addr, http: reqwest::Client::new(), store, signer, sandbox, db_path, _dir: dir, _stop: stop }
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
    test(spawn_with(Backend::Sqlite, adjust).await).await;
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => test(spawn_with(Backend::Postgres(url), adjust).await).await,
        _ => eprintln!("skipping the PostgreSQL run: TEST_DATABASE_URL is not set"),
    }
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
