//! The README's error-code table is a promise to frontend teams: every code it lists
//! must be one a test makes the server produce. This test reads the table and looks for
//! each code as a quoted string in the other test files (Rust and JavaScript), where it
//! is asserted against a real response.

use std::path::{Path, PathBuf};
use std::time::Duration;

use bspgraph_sandbox::Fault;
use sea_orm::ConnectionTrait;
use secrecy::ExposeSecret;
use serde_json::{json, Value};

use crate::helpers::{create_client, error_codes, eventually, spawn_app, spawn_app_with};
use crate::onboarding_support::{codes, start};

/// The codes named in the second column of the README's "Error codes" table.
/// `PROVIDER_*` stands for the provider error family and is left to the provider tests.
fn table_codes(readme: &str) -> Vec<String> {
    let table = readme
        .split("### Error codes")
        .nth(1)
        .expect("README has an 'Error codes' section")
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'));
    let mut codes = Vec::new();
    for row in table {
        let Some(cell) = row.split('|').nth(2) else { continue };
        for (i, part) in cell.split('`').enumerate() {
            let is_code = i % 2 == 1
                && part.len() > 2
                && part.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
            if is_code && !codes.iter().any(|c| c == part) {
                codes.push(part.to_owned());
            }
        }
    }
    codes
}

fn test_sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if path.is_dir() {
            if name != "node_modules" {
                test_sources(&path, out);
            }
        } else if name.ends_with(".rs") || name.ends_with(".mjs") {
            out.push(path);
        }
    }
}

#[test]
fn every_code_in_the_readme_table_is_asserted_by_a_test() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let codes = table_codes(&readme);
    assert!(codes.len() > 20, "the table lists the codes: {codes:?}");

    let mut files = Vec::new();
    test_sources(&root.join("tests"), &mut files);
    let sources: Vec<String> = files.iter().map(|f| std::fs::read_to_string(f).unwrap()).collect();
    let untested: Vec<&String> = codes
        .iter()
        .filter(|code| {
            let (double, single) = (format!("\"{code}\""), format!("'{code}'"));
            !sources.iter().any(|s| s.contains(&double) || s.contains(&single))
        })
        .collect();
    assert!(untested.is_empty(), "README codes no test asserts: {untested:?}");
}

// The codes no feature test happens to produce: each is produced here, as a client sees it.

#[tokio::test]
async fn an_unusable_accept_header_is_not_acceptable() {
    let app = spawn_app().await;
    let resp = app.http.get(app.url("/graphql?query=%7B__typename%7D")).header("accept", "text/html").send().await;
    let resp = resp.unwrap();
    assert_eq!(resp.status(), 406);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(error_codes(&body), ["NOT_ACCEPTABLE"]);
}

/// The Zavu simulator once the server's startup credential check (`GET /v1/me`) has
/// reached it, so that a fault injected next applies to the test's own call.
async fn after_startup_check(app: &crate::helpers::TestApp) -> std::sync::Arc<bspgraph_sandbox::SimCore> {
    let core = app.sandbox.clone().unwrap().zavu.core.clone();
    eventually("the startup credential check reached the Zavu simulator", || async {
        core.requests().iter().any(|r| r.path == "/v1/me").then_some(())
    })
    .await;
    core
}

#[tokio::test]
async fn a_request_that_runs_past_the_timeout_is_stopped_with_timeout() {
    let app = spawn_app_with(|s| s.request_timeout_secs = 1).await;
    after_startup_check(&app).await.inject(Fault::Latency(Duration::from_secs(3)), 1);
    let q = "mutation($i: StartOnboardingInput!) { startOnboarding(input: $i) { invitation { id } } }";
    let body = app.gql(q, json!({ "i": { "provider": "ZAVU", "client": { "name": "Slow Co" } } })).await;
    assert_eq!(error_codes(&body), ["TIMEOUT"], "{body}");
}

#[tokio::test]
async fn a_second_call_with_a_key_whose_first_call_still_runs_is_told_so() {
    let app = spawn_app().await;
    after_startup_check(&app).await.inject(Fault::Latency(Duration::from_secs(8)), 1);
    let input = json!({ "provider": "ZAVU", "client": { "name": "Busy Co" }, "idempotencyKey": "busy-1" });
    let (first, second) = tokio::join!(start(&app, input.clone()), async {
        // The first call holds the key once its provider call is on the wire.
        let zavu = app.sandbox.clone().unwrap().zavu;
        eventually("the first call's provider call on the wire", || async {
            zavu.core.requests().iter().any(|r| r.method == "POST" && r.path == "/v1/invitations").then_some(())
        })
        .await;
        start(&app, input.clone()).await
    });
    assert!(first["invitation"]["id"].is_string(), "{first}");
    assert_eq!(codes(&second), ["IDEMPOTENCY_KEY_IN_USE"], "{second}");
}

#[tokio::test]
async fn client_and_onboarding_input_codes() {
    let app = spawn_app().await;
    let client = create_client(&app, "Codes Co", None).await;
    let q = "mutation($c: ID!, $t: Int) { issueClientToken(clientId: $c, ttlSeconds: $t) { userErrors { code } } }";
    let token = app.data(q, json!({ "c": client, "t": 5 })).await;
    let q = "mutation($i: ClientInput!) { createClient(input: $i) { userErrors { code } } }";
    let bad_external = app.data(q, json!({ "i": { "name": "X", "externalId": "a\u{7}b" } })).await;
    let countries = json!({ "provider": "ZAVU", "clientId": client, "allowedPhoneCountries": ["usa"] });
    let started = start(&app, countries).await;

    assert_eq!(token["issueClientToken"]["userErrors"][0]["code"], "TTL_OUT_OF_RANGE");
    assert_eq!(bad_external["createClient"]["userErrors"][0]["code"], "INVALID_EXTERNAL_ID");
    assert_eq!(codes(&started), ["INVALID_COUNTRY"]);
}

#[tokio::test]
async fn a_key_that_cannot_be_checked_is_unavailable_not_unauthenticated() {
    let app = spawn_app_with(|s| s.security.mode = bspgraph::modes::Mode::Production).await;
    let key = bspgraph::auth::keys::generate();
    app.store.create_api_key("k", &key.display_prefix, &key.digest).await.unwrap();
    // The key store breaks behind the server's back.
    app.db().await.execute_unprepared("DROP TABLE api_keys").await.unwrap();

    let resp = app.http.post(app.url("/graphql")).bearer_auth(key.secret.expose_secret());
    let resp = resp.json(&json!({ "query": "{ __typename }" })).send().await.unwrap();

    assert_eq!(resp.status(), 503);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(error_codes(&body), ["UNAVAILABLE"]);
}
