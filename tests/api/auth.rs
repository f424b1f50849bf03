//! Access control over HTTP: operator keys (missing, malformed, wrong checksum,
//! revoked, valid), client-scoped tokens (own objects only, everything else
//! NOT_FOUND or null, expiry), per-caller rate limits, the per-address brake on refused
//! credentials, production mode exposure.

use bspgraph::modes::Mode;
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use serde_json::{json, Value};

use crate::helpers::{error_codes, spawn_app_with, TestApp};

async fn production() -> TestApp {
    spawn_app_with(|s| s.security.mode = Mode::Production).await
}

async fn post(app: &TestApp, bearer: Option<&str>, query: &str, variables: Value) -> (StatusCode, Value) {
    let mut req = app.http.post(app.url("/graphql")).json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = bearer {
        req = req.bearer_auth(token);
    }
    let resp = req.send().await.unwrap();
    (resp.status(), resp.json().await.unwrap())
}

async fn operator_key(app: &TestApp, name: &str) -> (i64, String) {
    let key = bspgraph::auth::keys::generate();
    let info = app.store.create_api_key(name, &key.display_prefix, &key.digest).await.unwrap();
    (info.id, key.secret.expose_secret().to_owned())
}

/// A production app with an operator key and two seeded clients (id, wabas, invitations).
async fn two_seeded_clients() -> (TestApp, String, Value, Value) {
    let app = production().await;
    let (_, key) = operator_key(&app, "backend").await;
    app.store.seed_demo(2).await.unwrap();
    let q = "{ clients { edges { node { id wabas { id } invitations { edges { node { id } } } } } } }";
    let ids = post(&app, Some(&key), q, json!({})).await.1;
    let mine = ids["data"]["clients"]["edges"][0]["node"].clone();
    let theirs = ids["data"]["clients"]["edges"][1]["node"].clone();
    (app, key, mine, theirs)
}

#[tokio::test]
async fn operator_keys_are_checked_and_revocation_is_immediate() {
    let app = production().await;
    let (id, key) = operator_key(&app, "backend").await;
    let q = "{ clients { totalCount } }";

    let (status, body) = post(&app, None, q, json!({})).await;
    assert_eq!((status, error_codes(&body)), (StatusCode::UNAUTHORIZED, vec!["UNAUTHENTICATED".to_owned()]));

    // Malformed and wrong-checksum keys are refused without touching the database.
    let mut wrong_sum = key.clone();
    let last = wrong_sum.pop().map(|c| if c == 'a' { 'b' } else { 'a' });
    wrong_sum.extend(last);
    for bad in ["not-a-key", "bspg_tooshort", wrong_sum.as_str()] {
        let before = app.store.statements();
        let (status, _) = post(&app, Some(bad), q, json!({})).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{bad}");
        assert_eq!(app.store.statements(), before, "no lookup for {bad}");
    }
    // A well-formed key nobody issued is looked up and refused.
    let stranger = bspgraph::auth::keys::generate();
    assert_eq!(post(&app, Some(stranger.secret.expose_secret()), q, json!({})).await.0, StatusCode::UNAUTHORIZED);

    let (status, body) = post(&app, Some(&key), q, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["clients"]["totalCount"], 0);

    assert!(app.store.revoke_api_key(id).await.unwrap());
    assert_eq!(post(&app, Some(&key), q, json!({})).await.0, StatusCode::UNAUTHORIZED);
    let keys = app.store.list_api_keys().await.unwrap();
    assert!(keys[0].revoked_at.is_some());
    assert!(!keys[0].display_prefix.is_empty() && key.starts_with(&keys[0].display_prefix));
}

#[tokio::test]
async fn a_client_token_sees_only_its_own_client() {
    let (app, key, mine, theirs) = two_seeded_clients().await;

    let issue = "mutation($id: ID!) { issueClientToken(clientId: $id, ttlSeconds: 300) { token expiresAt userErrors { code } } }";
    let (_, body) = post(&app, Some(&key), issue, json!({ "id": mine["id"] })).await;
    let token = body["data"]["issueClientToken"]["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("bspc_"));

    let (status, body) = post(&app, Some(&token), "{ clients { totalCount edges { node { id } } } invitations { totalCount } wabas { totalCount } events { edges { cursor } } }", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["clients"]["totalCount"], 1);
    assert_eq!(body["data"]["clients"]["edges"][0]["node"]["id"], mine["id"]);
    assert_eq!(body["data"]["invitations"]["totalCount"], 2);
    assert_eq!(body["data"]["wabas"]["totalCount"], 1);
    assert_eq!(body["data"]["events"]["edges"].as_array().unwrap().len(), 4, "only its own events");

    // Another client's objects read as if they did not exist.
    let node = "query($id: ID!) { node(id: $id) { id } }";
    for other in [&theirs["id"], &theirs["wabas"][0]["id"], &theirs["invitations"]["edges"][0]["node"]["id"]] {
        let (_, body) = post(&app, Some(&token), node, json!({ "id": other })).await;
        assert_eq!(body["data"]["node"], Value::Null, "{other}");
    }
    let (_, body) = post(
        &app,
        Some(&token),
        "query($c: ID) { invitations(filter: { clientId: $c }) { totalCount } }",
        json!({ "c": theirs["id"] }),
    )
    .await;
    assert_eq!(body["data"]["invitations"]["totalCount"], 0);
    // Operator-only mutations answer NOT_FOUND.
    let (_, body) =
        post(&app, Some(&token), "mutation { createClient(input: { name: \"x\" }) { client { id } } }", json!({}))
            .await;
    assert_eq!(error_codes(&body), ["NOT_FOUND"]);
    let (_, body) = post(&app, Some(&token), issue, json!({ "id": theirs["id"] })).await;
    assert_eq!(error_codes(&body), ["NOT_FOUND"]);
}

#[tokio::test]
async fn expired_and_forged_client_tokens_are_refused() {
    let app = production().await;
    let draft = bspgraph::domain::ClientDraft::parse(None, "Token owner", None, None, None).unwrap();
    let raw = app.store.create_client(draft).await.unwrap().id;
    let expired = app.signer.issue(raw, chrono::Utc::now() - chrono::Duration::seconds(1));
    assert_eq!(
        post(&app, Some(expired.expose_secret()), "{ __typename }", json!({})).await.0,
        StatusCode::UNAUTHORIZED
    );
    let other = bspgraph::auth::TokenSigner::new(b"some other server's key.........");
    let forged = other.issue(raw, chrono::Utc::now() + chrono::Duration::seconds(60));
    assert_eq!(post(&app, Some(forged.expose_secret()), "{ __typename }", json!({})).await.0, StatusCode::UNAUTHORIZED);
    let valid = app.signer.issue(raw, chrono::Utc::now() + chrono::Duration::seconds(60));
    assert_eq!(post(&app, Some(valid.expose_secret()), "{ __typename }", json!({})).await.0, StatusCode::OK);
}

#[tokio::test]
async fn callers_over_their_rate_get_429_with_retry_after() {
    let app = spawn_app_with(|s| s.security.rate_limit_per_minute = 3).await;
    for _ in 0..3 {
        assert_eq!(post(&app, None, "{ __typename }", json!({})).await.0, StatusCode::OK);
    }
    let resp = app.http.post(app.url("/graphql")).json(&json!({ "query": "{ __typename }" })).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert_eq!(error_codes(&resp.json().await.unwrap()), ["RATE_LIMITED"]);
}

#[tokio::test]
async fn production_hides_the_schema() {
    let app = production().await;
    let (_, key) = operator_key(&app, "backend").await;
    let (_, body) = post(&app, Some(&key), "{ __schema { types { name } } }", json!({})).await;
    assert_eq!(body["data"]["__schema"], Value::Null, "introspection must be off: {body}");
    let (_, body) = post(&app, Some(&key), "{ clientz { totalCount } }", json!({})).await;
    let text = body.to_string();
    assert!(body["errors"].is_array());
    assert!(!text.contains("Did you mean"), "{text}");
    assert_eq!(app.http.get(app.url("/")).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    // Dev mode keeps both for the playground.
    let dev = crate::helpers::spawn_app().await;
    let body = dev.gql("{ clientz { totalCount } }", json!({})).await;
    assert!(body.to_string().contains("Did you mean"), "{body}");
}

#[tokio::test]
async fn a_client_token_cannot_touch_another_clients_onboarding() {
    let (app, key, mine, theirs) = two_seeded_clients().await;
    let theirs = theirs["invitations"]["edges"][1]["node"]["id"].clone();
    let issue = "mutation($id: ID!) { issueClientToken(clientId: $id) { token } }";
    let token = post(&app, Some(&key), issue, json!({ "id": mine["id"] })).await.1["data"]["issueClientToken"]["token"]
        .as_str()
        .unwrap()
        .to_owned();

    let complete = "mutation($id: ID!) { completeOnboarding(input: { invitationId: $id, status: COMPLETED }) {
        invitation { id } userErrors { code } } }";
    let (_, body) = post(&app, Some(&token), complete, json!({ "id": theirs })).await;
    assert_eq!(body["data"]["completeOnboarding"]["userErrors"][0]["code"], "NOT_FOUND", "{body}");
    let (_, body) = post(
        &app,
        Some(&token),
        "mutation($id: ID!) { cancelInvitation(id: $id) { userErrors { code } } }",
        json!({ "id": theirs }),
    )
    .await;
    assert_eq!(error_codes(&body), ["NOT_FOUND"]);
    let start = "mutation($c: ID!) { startOnboarding(input: { clientId: $c, provider: ZAVU }) { invitation { id } } }";
    let (_, body) = post(&app, Some(&token), start, json!({ "c": mine["id"] })).await;
    assert_eq!(error_codes(&body), ["NOT_FOUND"]);
    // The invitation is untouched.
    let (_, body) = post(
        &app,
        Some(&key),
        "query($id: ID!) { node(id: $id) { ... on Invitation { status } } }",
        json!({ "id": theirs }),
    )
    .await;
    assert_eq!(body["data"]["node"]["status"], "PENDING");
    // Production refuses the sandbox control, even to operators.
    let (_, body) = post(
        &app,
        Some(&key),
        "mutation($id: ID!) { sandboxSimulate(invitationId: $id, action: COMPLETE) { userErrors { code } } }",
        json!({ "id": theirs }),
    )
    .await;
    assert_eq!(body["data"]["sandboxSimulate"]["userErrors"][0]["code"], "SANDBOX_DISABLED", "{body}");
}

#[tokio::test]
async fn operator_keys_and_client_tokens_never_reach_logs_responses_or_the_database() {
    let logs = crate::onboarding_rules::capture_logs();
    let app = production().await;
    let (_, key) = operator_key(&app, "canary").await;
    let client =
        post(&app, Some(&key), "mutation { createClient(input: { name: \"Canary\" }) { client { id } } }", json!({}))
            .await
            .1;
    let id = client["data"]["createClient"]["client"]["id"].clone();
    let issued =
        post(&app, Some(&key), "mutation($id: ID!) { issueClientToken(clientId: $id) { token } }", json!({ "id": id }))
            .await
            .1;
    let token = issued["data"]["issueClientToken"]["token"].as_str().unwrap().to_owned();
    // Failure paths too: a revoked-looking key, a tampered token, an internal refusal.
    let mut responses = vec![issued.to_string()];
    for bad in [format!("{key}x"), format!("{token}x")] {
        let (_, body) = post(&app, Some(&bad), "{ clients { totalCount } }", json!({})).await;
        responses.push(body.to_string());
    }
    responses.push(post(&app, Some(&token), "{ clients { totalCount } }", json!({})).await.1.to_string());

    let logged = String::from_utf8_lossy(&logs.0.lock().unwrap()).to_string();
    assert!(logged.contains("bspgraph"), "the capture sees the app's log lines");
    let key_body = &key["bspg_".len()..];
    assert!(!logged.contains(key_body), "an operator key was logged");
    assert!(!logged.contains(&token["bspc_".len()..]), "a client token was logged");
    for body in &responses[1..] {
        assert!(!body.contains(key_body) && !body.contains(&token["bspc_".len()..]), "{body}");
    }
    let db = std::fs::read(app.db_path.clone().unwrap()).unwrap();
    assert!(!db.windows(key_body.len()).any(|w| w == key_body.as_bytes()), "plaintext key in the database");
}

#[tokio::test]
async fn an_address_collecting_refused_credentials_gets_429_until_its_wait_is_over() {
    // Arrange: three refusals allowed per address, then one a minute.
    let app = spawn_app_with(|s| {
        s.security.mode = Mode::Production;
        s.address_limits.auth_failure_burst = 3;
        s.address_limits.auth_failures_per_minute = 1;
    })
    .await;
    let (_, key) = operator_key(&app, "backend").await;
    let q = "{ __typename }";

    // Act: forged tokens, as a guesser would send them.
    let mut statuses = Vec::new();
    for i in 0..5 {
        let forged = bspgraph::auth::TokenSigner::new(format!("guess {i:027}").as_bytes())
            .issue(1, chrono::Utc::now() + chrono::Duration::seconds(60));
        statuses.push(post(&app, Some(forged.expose_secret()), q, json!({})).await.0);
    }
    let resp = app.http.post(app.url("/graphql")).bearer_auth(&key).json(&json!({ "query": q })).send().await.unwrap();

    // Assert: the burst is answered 401, then 429; a right guess would be 429 as well.
    use StatusCode as S;
    assert_eq!(
        statuses,
        [S::UNAUTHORIZED, S::UNAUTHORIZED, S::UNAUTHORIZED, S::TOO_MANY_REQUESTS, S::TOO_MANY_REQUESTS]
    );
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS, "a valid key from a held-back address waits too");
    let wait: u64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert_eq!(error_codes(&resp.json().await.unwrap()), ["RATE_LIMITED"]);
    let upgrade = app.http.get(app.url("/graphql/ws")).header("connection", "upgrade").header("upgrade", "websocket");
    let upgrade = upgrade
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .send()
        .await
        .unwrap();
    assert_eq!(upgrade.status(), StatusCode::TOO_MANY_REQUESTS, "WebSocket upgrades too");
}
