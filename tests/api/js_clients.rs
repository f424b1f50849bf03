//! Standard JavaScript clients against the real server (node scripts in tests/js):
//! graphql-http's GraphQL-over-HTTP audit, Apollo Client 4's cache, graphql-js's
//! introspection client and graphql-js as the oracle of null propagation. Each test
//! is skipped, with the reason printed, where node or tests/js/node_modules is missing
//! (`cd tests/js && npm ci` installs them; `.ci/run` does).

use std::path::PathBuf;
use std::process::Command;

use crate::helpers::{create_client, spawn_app, TestApp};

fn js_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/js")
}

/// Why the node scripts cannot run here, if they cannot.
fn skip_reason() -> Option<String> {
    if !Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success()) {
        return Some("node is not installed".into());
    }
    if !js_dir().join("node_modules").is_dir() {
        return Some("tests/js/node_modules is missing (run `cd tests/js && npm ci`)".into());
    }
    None
}

/// Run `node SCRIPT ARGS...` (off the async runtime, so the server keeps serving),
/// print its output and assert it succeeded.
async fn node(script: &str, args: Vec<String>) -> String {
    let script = script.to_owned();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node").arg(&script).args(&args).current_dir(js_dir()).output().unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    println!("{stdout}");
    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "node script failed: {stdout}");
    stdout
}

fn graphql_url(app: &TestApp) -> String {
    app.url("/graphql")
}

#[tokio::test]
async fn graphql_http_audit_reports_no_error_and_no_warning() {
    if let Some(reason) = skip_reason() {
        eprintln!("skipping the graphql-http audit: {reason}");
        return;
    }
    let app = spawn_app().await;

    let out = node("audit.mjs", vec![graphql_url(&app)]).await;

    let summary = out.lines().last().unwrap_or_default();
    assert!(summary.contains(" 0 warn, 0 error"), "{summary}");
}

#[tokio::test]
async fn apollo_client_caches_a_partial_result_and_reads_it_back() {
    if let Some(reason) = skip_reason() {
        eprintln!("skipping the Apollo Client test: {reason}");
        return;
    }
    let app = spawn_app().await;
    let id = create_client(&app, "Acme", None).await;

    node("apollo.mjs", vec![graphql_url(&app), id]).await;
}

#[tokio::test]
async fn graphql_js_builds_a_client_schema_from_the_standard_introspection() {
    if let Some(reason) = skip_reason() {
        eprintln!("skipping the introspection test: {reason}");
        return;
    }
    // Default limits: introspection is bounded apart from user data (see README, Limits).
    let app = spawn_app().await;

    node("introspection.mjs", vec![graphql_url(&app)]).await;
}

#[tokio::test]
async fn graphql_js_as_oracle_agrees_on_field_error_nulls() {
    if let Some(reason) = skip_reason() {
        eprintln!("skipping the graphql-js oracle: {reason}");
        return;
    }
    let app = spawn_app().await;
    let id = create_client(&app, "Acme", None).await;
    create_client(&app, "Beta", None).await;

    let out = node("oracle.mjs", vec![graphql_url(&app), id]).await;

    assert!(out.contains("6 documents: the server's data equals graphql-js's"), "{out}");
}
