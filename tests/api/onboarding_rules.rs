//! Rules every onboarding mutation keeps: user errors with field paths and stable
//! codes, idempotency (sequential and concurrent), reconciling a timed-out create,
//! and the SendZen key sealed at rest and never returned.

use std::time::Duration;

use bspgraph::secrets::{key_dir, SecretBox, Slot};
use bspgraph_sandbox::Fault;
use secrecy::ExposeSecret;
use serde_json::json;

use crate::helpers::{spawn_app, spawn_app_with};
use crate::onboarding_support::*;

fn zavu(extra: serde_json::Value) -> serde_json::Value {
    let mut input = json!({ "provider": "ZAVU", "client": { "externalId": "r-1", "name": "Rules Inc" } });
    for (k, v) in extra.as_object().unwrap() {
        input[k] = v.clone();
    }
    input
}

#[tokio::test]
async fn input_errors_are_user_errors_with_path_and_code_and_no_rows() {
    let app = spawn_app().await;
    let zsim = app.sandbox.clone().unwrap().zavu;

    let range = start(&app, zavu(json!({ "expiresInDays": 31 }))).await;
    let phone = start(&app, json!({ "provider": "ZAVU", "client": { "name": "X", "phone": "555" } })).await;
    let missing = start(&app, json!({ "provider": "ZAVU", "clientId": "Q2xpZW50OjQwNA==" })).await;
    let unsupported = start(&app, json!({ "provider": "SENDZEN", "clientId": "x", "expiresInDays": 3 })).await;
    let sinch = start(
        &app,
        json!({ "provider": "SINCH", "client": { "name": "Y" },
        "sinch": { "region": "EU", "flow": "ON_BEHALF_OF", "phoneNumberProvider": "CUSTOMER" } }),
    )
    .await;

    assert_eq!(codes(&range), ["EXPIRES_IN_DAYS_OUT_OF_RANGE"]);
    assert_eq!(range["userErrors"][0]["field"], json!(["input", "expiresInDays"]));
    assert_eq!(codes(&phone), ["INVALID_PHONE"]);
    assert_eq!(phone["userErrors"][0]["field"], json!(["input", "client", "phone"]));
    assert_eq!(codes(&missing), ["CLIENT_NOT_FOUND"]);
    assert!(codes(&unsupported).contains(&"UNSUPPORTED_FOR_PROVIDER".to_owned()), "{unsupported}");
    assert!(codes(&sinch).contains(&"REQUIRED".to_owned()), "{sinch}");
    assert!(
        !zsim.core.requests().iter().any(|r| r.method == "POST" && r.path == "/v1/invitations"),
        "no provider call for refused input"
    );
    let clients = app.data("{ clients(first: 10) { totalCount } }", json!({})).await;
    assert_eq!(clients["clients"]["totalCount"], 0, "no orphan client");
}

#[tokio::test]
async fn cancel_and_state_errors() {
    let app = spawn_app().await;
    let started = start(&app, zavu(json!({}))).await;
    let id = started["invitation"]["id"].as_str().unwrap().to_owned();
    simulate(&app, &id, "COMPLETE").await;

    let cancel_done = on_invitation(&app, "cancelInvitation", &id).await;
    let renew_zavu = on_invitation(&app, "renewInvitation", &id).await;
    let es = start(&app, json!({ "provider": "SINCH", "client": { "name": "Z" }, "sinch": { "region": "EU" } })).await;
    let es_id = es["invitation"]["id"].as_str().unwrap().to_owned();
    let too_early = simulate(&app, &es_id, "ACTIVATE").await;
    let cancelled = on_invitation(&app, "cancelInvitation", &es_id).await;

    assert_eq!(codes(&cancel_done), ["ALREADY_COMPLETED"]);
    assert_eq!(codes(&renew_zavu), ["UNSUPPORTED_FOR_PROVIDER"]);
    assert_eq!(codes(&too_early), ["WRONG_STATE"]);
    assert_eq!(cancelled["invitation"]["status"], "CANCELLED", "{cancelled}");
    assert_eq!(events(&app).await.last().unwrap(), "Invitation:PENDING>CANCELLED:MUTATION");
}

#[tokio::test]
async fn provider_outage_is_a_graphql_error_and_leaves_no_rows() {
    let app = spawn_app_with(|s| s.providers.provider_max_attempts = 1).await;
    app.sandbox.clone().unwrap().zavu.core.inject(Fault::ServerError, 5);

    let q = "mutation($input: StartOnboardingInput!) { startOnboarding(input: $input) { invitation { id } } }";
    let body = app.gql(q, json!({ "input": zavu(json!({})) })).await;

    assert_eq!(body["errors"][0]["extensions"]["provider"], "ZAVU", "{body}");
    let clients =
        app.data("{ clients(first: 10) { totalCount } invitations(first: 10) { totalCount } }", json!({})).await;
    assert_eq!(
        (clients["clients"]["totalCount"].as_i64(), clients["invitations"]["totalCount"].as_i64()),
        (Some(0), Some(0))
    );
}

#[tokio::test]
async fn same_key_same_input_returns_the_same_invitation_other_input_is_refused() {
    let app = spawn_app().await;
    let zsim = app.sandbox.clone().unwrap().zavu;

    let first = start(&app, zavu(json!({ "idempotencyKey": "k-1" }))).await;
    let again = start(&app, zavu(json!({ "idempotencyKey": "k-1" }))).await;
    let other = start(&app, zavu(json!({ "idempotencyKey": "k-1", "expiresInDays": 3 }))).await;

    assert_eq!(first["invitation"]["id"], again["invitation"]["id"]);
    assert_eq!(codes(&other), ["IDEMPOTENCY_KEY_REUSED"]);
    assert_eq!(zsim.core.requests().iter().filter(|r| r.method == "POST" && r.path == "/v1/invitations").count(), 1);
}

#[tokio::test]
async fn concurrent_calls_with_one_key_make_one_provider_call() {
    let app = spawn_app().await;
    let zsim = app.sandbox.clone().unwrap().zavu;
    zsim.core.inject(Fault::Latency(Duration::from_millis(300)), 1);

    let input = zavu(json!({ "idempotencyKey": "k-2" }));
    let (a, b) = tokio::join!(start(&app, input.clone()), start(&app, input.clone()));

    assert_eq!(a["invitation"]["id"], b["invitation"]["id"], "{a} {b}");
    assert!(a["invitation"]["id"].is_string());
    assert_eq!(zsim.core.requests().iter().filter(|r| r.method == "POST" && r.path == "/v1/invitations").count(), 1);
}

#[tokio::test]
async fn a_timed_out_create_is_reconciled_into_one_provider_invitation() {
    let app = spawn_app_with(|s| s.providers.provider_timeout_secs = 1).await;
    let zsim = app.sandbox.clone().unwrap().zavu;
    zsim.core.inject(Fault::Latency(Duration::from_millis(1500)), 1);

    let started = start(&app, zavu(json!({}))).await;

    assert_eq!(started["invitation"]["status"], "PENDING", "{started}");
    let posts = zsim.core.requests().iter().filter(|r| r.method == "POST" && r.path == "/v1/invitations").count();
    assert_eq!(posts, 1, "reconciled by listing, not created twice");
    let listed = app.data("{ invitations(first: 10) { totalCount } }", json!({})).await;
    assert_eq!(listed["invitations"]["totalCount"], 1);
}

/// Collects every log line of the test binary (a global subscriber, installed once).
#[derive(Clone, Default)]
pub struct Logs(pub std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub fn capture_logs() -> Logs {
    static LOGS: std::sync::OnceLock<Logs> = std::sync::OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Logs::default();
        let sink = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter("bspgraph=trace,sea_orm=debug,info")
            .with_writer(move || sink.clone())
            .with_ansi(false)
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
        logs
    })
    .clone()
}

#[tokio::test]
async fn sendzen_key_is_sealed_at_rest_and_never_returned_or_logged() {
    let logs = capture_logs();
    let app = spawn_app().await;
    let started = start(&app, json!({ "provider": "SENDZEN", "client": { "name": "Keyed" } })).await;
    let project = &started["invitation"]["project"];
    let row_id = bspgraph::domain::GlobalId::decode(project["id"].as_str().unwrap()).unwrap().id;

    let sealed = app.store.project_credentials(row_id).await.unwrap().unwrap();
    let db_path = app.db_path.clone().unwrap();
    let sb = SecretBox::load(None, &key_dir(&format!("sqlite://{}?mode=rwc", db_path.display()))).unwrap();
    let key = sb.open(&sealed, Slot { table: "projects", row_id, field: "credentials" }).unwrap();
    let key = key.expose_secret().to_owned();
    let wrong_row = sb.open(&sealed, Slot { table: "projects", row_id: row_id + 1, field: "credentials" });
    let everything = app.data("{ projects(first: 10) { edges { node { hasCredentials raw } } } }", json!({})).await;
    let _ = app.data("{ invitations(first: 10) { edges { node { raw } } } }", json!({})).await;

    assert!(key.starts_with("sk_") || key.len() > 10, "a real key came back from the seal");
    assert!(wrong_row.is_err(), "bound to its row");
    let file = std::fs::read(&db_path).unwrap();
    let wal = std::fs::read(db_path.with_extension("db-wal")).unwrap_or_default();
    for bytes in [&file, &wal] {
        assert!(!bytes.windows(key.len()).any(|w| w == key.as_bytes()), "plaintext key in the database file");
    }
    assert!(!started.to_string().contains(&key) && !everything.to_string().contains(&key));
    assert_eq!(project["hasCredentials"], true);
    let logged = String::from_utf8_lossy(&logs.0.lock().unwrap()).to_string();
    assert!(logged.contains("bspgraph::sql"), "the capture sees the app's log lines");
    assert!(!logged.contains(&key), "the key is never logged");
}
