//! Production never runs a sandbox: no `/sandbox/*` route, unconfigured providers are
//! DISABLED (listed so, refused with PROVIDER_DISABLED, their webhooks 404), and a LIVE
//! provider's webhooks verify only with the operator's secrets, never the published
//! sandbox ones. Also: webhook signature caps over HTTP.

use bspgraph::domain::{InvitationStatus, Provider};
use secrecy::ExposeSecret;
use serde_json::{json, Value};

use crate::helpers::{spawn_live, spawn_production, TestApp, TEST_SECRET_KEY};
use crate::zavu_support::{zavu_body, zavu_signature, ZAVU_SECRET};

/// An operator key for `app`.
async fn operator(app: &TestApp) -> String {
    let key = bspgraph::auth::keys::generate();
    app.state.store.create_api_key("prod-test", &key.display_prefix, &key.digest).await.unwrap();
    key.secret.expose_secret().to_owned()
}

async fn gql(app: &TestApp, key: &str, query: &str, variables: Value) -> Value {
    let resp = app
        .http
        .post(app.url("/graphql"))
        .bearer_auth(key)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .unwrap();
    resp.json().await.unwrap()
}

async fn status_of(app: &TestApp, row: i64) -> (InvitationStatus, Option<String>) {
    let inv = app.state.store.invitations_by_ids(&[row]).await.unwrap().remove(0);
    (inv.status, inv.provider_status)
}

#[tokio::test]
async fn production_mounts_no_sandbox_and_lists_unconfigured_providers_as_disabled() {
    // Arrange: only Zavu has credentials.
    let app = spawn_production(|_| {}).await;
    let key = operator(&app).await;

    // Act
    let mut sandbox_statuses = Vec::new();
    for path in ["/sandbox/zavu/v1/me", "/sandbox/sinch/subproject/v1/subprojects/x", "/sandbox/sendzen/v1/logs"] {
        let get = app.http.get(app.url(path)).bearer_auth(&key).send().await.unwrap();
        sandbox_statuses.push(get.status().as_u16());
    }
    for path in ["/sandbox/zavu/v1/invitations", "/sandbox/sendzen/v1/partner/onboard"] {
        let post = app.http.post(app.url(path)).bearer_auth(&key).json(&json!({})).send().await.unwrap();
        sandbox_statuses.push(post.status().as_u16());
    }
    let providers = gql(&app, &key, "{ providers { provider mode capabilities } }", json!({})).await;

    // Assert
    assert_eq!(sandbox_statuses, [404; 5]);
    let modes: Vec<(String, String)> = providers["data"]["providers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["provider"].as_str().unwrap().to_owned(), p["mode"].as_str().unwrap().to_owned()))
        .collect();
    let expected = [("SENDZEN", "DISABLED"), ("ZAVU", "LIVE"), ("SINCH", "DISABLED")];
    assert_eq!(modes, expected.map(|(p, m)| (p.to_owned(), m.to_owned())), "{providers}");
}

#[tokio::test]
async fn a_disabled_provider_refuses_onboarding_sync_and_webhooks() {
    // Arrange
    let app = spawn_production(|_| {}).await;
    let key = operator(&app).await;
    let start = "mutation($input: StartOnboardingInput!) { startOnboarding(input: $input) {
        invitation { id } userErrors { code } } }";
    let sync = "mutation($p: Provider!) { syncProvider(provider: $p) { imported userErrors { code } } }";

    // Act
    let client = json!({ "name": "Acme" });
    let sendzen = gql(&app, &key, start, json!({ "input": { "provider": "SENDZEN", "client": client } })).await;
    let sinch_input = json!({ "provider": "SINCH", "client": client, "sinch": { "region": "EU" } });
    let sinch = gql(&app, &key, start, json!({ "input": sinch_input })).await;
    let synced = gql(&app, &key, sync, json!({ "p": "SINCH" })).await;
    let sinch_hook = app.http.post(app.url("/webhooks/sinch")).body("{}").send().await.unwrap().status();
    let sendzen_hook = app.http.post(app.url("/webhooks/sendzen")).body("{}").send().await.unwrap().status();

    // Assert
    for body in [&sendzen, &sinch] {
        assert_eq!(body["data"]["startOnboarding"]["userErrors"][0]["code"], "PROVIDER_DISABLED", "{body}");
        assert!(body["data"]["startOnboarding"]["invitation"].is_null());
    }
    assert_eq!(synced["data"]["syncProvider"]["userErrors"][0]["code"], "PROVIDER_DISABLED", "{synced}");
    assert_eq!((sinch_hook.as_u16(), sendzen_hook.as_u16()), (404, 404));
    assert!(app.state.store.inbox_entries(Provider::Sinch).await.unwrap().is_empty());
    assert!(app.state.store.inbox_entries(Provider::Sendzen).await.unwrap().is_empty());
    let clients = gql(&app, &key, "{ clients { totalCount } }", json!({})).await;
    assert_eq!(clients["data"]["clients"]["totalCount"], 0, "the client created for the call is undone");
}

#[tokio::test]
async fn a_webhook_signed_with_the_published_sandbox_secret_is_refused_in_production() {
    // Arrange: a real (LIVE) Zavu invitation, tracked as PENDING.
    let app = spawn_production(|_| {}).await;
    let (row, zavu_id, _) = app.tracked_invitation().await;
    let body = zavu_body("evt_forged", &zavu_id, "completed");

    // Act: a forged delivery signed with the secret published in the source.
    let forged = app
        .http
        .post(app.url("/webhooks/zavu"))
        .header("x-zavu-signature", zavu_signature(ZAVU_SECRET, &body))
        .body(body)
        .send()
        .await
        .unwrap();
    // The operator's secret still works.
    let genuine = app.zavu_webhook("evt_genuine", &zavu_id, "in_progress", true).await;

    // Assert
    assert_eq!(forged.status().as_u16(), 401);
    assert_eq!(genuine, 200);
    let inbox = app.state.store.inbox_entries(Provider::Zavu).await.unwrap();
    assert_eq!(inbox.iter().map(|e| e.delivery_id.as_str()).collect::<Vec<_>>(), ["evt_genuine"]);
    assert_ne!(status_of(&app, row).await.0, InvitationStatus::Completed);
}

#[tokio::test]
async fn a_live_provider_without_an_operator_secret_refuses_every_webhook() {
    // Arrange: no secret configured, or only the published sandbox one (which is ignored).
    let logs = crate::onboarding_rules::capture_logs();
    for secrets in [vec![], vec![ZAVU_SECRET.to_owned().into()]] {
        let app = spawn_production(move |s| s.providers.zavu_webhook_secrets = secrets).await;
        let (row, zavu_id, _) = app.tracked_invitation().await;
        let body = zavu_body("evt_1", &zavu_id, "completed");

        // Act
        let resp = app
            .http
            .post(app.url("/webhooks/zavu"))
            .header("x-zavu-signature", zavu_signature(ZAVU_SECRET, &body))
            .body(body)
            .send()
            .await
            .unwrap();

        // Assert
        assert_eq!(resp.status().as_u16(), 401);
        assert!(app.state.store.inbox_entries(Provider::Zavu).await.unwrap().is_empty());
        assert_eq!(status_of(&app, row).await.0, InvitationStatus::Pending);
    }
    // Startup said so: one line per provider, and a warning for the secretless LIVE one.
    let logged = String::from_utf8_lossy(&logs.0.lock().unwrap()).to_string();
    let line = |needle: &str, provider: &str| logged.lines().any(|l| l.contains(needle) && l.contains(provider));
    assert!(line("provider LIVE", "provider=ZAVU"), "{logged}");
    assert!(line("provider DISABLED", "provider=SINCH") && line("provider DISABLED", "provider=SENDZEN"));
    assert!(line("without a configured webhook secret", "provider=ZAVU"));
    assert!(line("ignoring a configured webhook secret equal to the published sandbox secret", "provider=ZAVU"));
    assert!(!logged.contains(ZAVU_SECRET), "the secret itself is never logged");
}

#[tokio::test]
async fn dev_mode_keeps_the_sandbox_for_unconfigured_providers() {
    let app = spawn_live(|_| {}).await;
    let me = app.http.get(app.url("/sandbox/zavu/v1/me")).send().await.unwrap().status().as_u16();
    let modes: Vec<_> = app.state.providers.all().iter().map(|p| p.mode()).collect();
    assert_ne!(me, 404, "the Zavu simulator is mounted");
    assert!(modes.iter().all(|m| *m == bspgraph::domain::ProviderMode::Sandbox), "{modes:?}");
}

/// A delivery whose header carries too many or malformed signatures is refused (401)
/// and nothing is stored, even when one of the candidates is valid.
#[tokio::test]
async fn webhook_signature_headers_beyond_the_caps_are_refused_unstored() {
    // Arrange
    let app = spawn_live(|_| {}).await;
    let (row, zavu_id, _) = app.tracked_invitation().await;
    let body = zavu_body("evt_caps", &zavu_id, "completed");
    let valid = zavu_signature(ZAVU_SECRET, &body);
    let bogus = |n: usize| (0..n).map(|i| format!(",v2={}", format!("{:02x}", i % 256).repeat(32))).collect::<String>();
    let headers = [
        format!("{valid}{}", bogus(5)),
        format!("{valid}{}", bogus(3000)),
        format!("{valid},v2={}", "ab".repeat(31)),
        format!("{valid},v2={}", "zz".repeat(32)),
    ];

    // Act
    let mut statuses = Vec::new();
    for header in headers {
        let resp = app.http.post(app.url("/webhooks/zavu")).header("x-zavu-signature", header).body(body.clone());
        statuses.push(resp.send().await.unwrap().status().as_u16());
    }

    // Assert
    assert_eq!(statuses, [401; 4]);
    assert!(app.state.store.inbox_entries(Provider::Zavu).await.unwrap().is_empty());
    assert_eq!(status_of(&app, row).await.0, InvitationStatus::Pending);
}

#[tokio::test]
async fn refreshing_an_object_of_a_disabled_provider_is_a_provider_disabled_error() {
    // Arrange: production without any credentials; a Zavu row written earlier.
    let app = spawn_live(|s| {
        s.security.mode = bspgraph::modes::Mode::Production;
        s.secret_key = Some(TEST_SECRET_KEY.to_owned().into());
    })
    .await;
    let key = operator(&app).await;
    let client = app.client().await;
    let row = app.register_invitation(client, "inv_earlier", "PENDING").await;
    let gid = bspgraph::domain::GlobalId::new(bspgraph::domain::NodeType::Invitation, row).encode();

    // Act
    let body = gql(&app, &key, "mutation($id: ID!) { refresh(id: $id) { node { id } } }", json!({ "id": gid })).await;

    // Assert
    assert_eq!(body["errors"][0]["extensions"]["code"], "PROVIDER_DISABLED", "{body}");
    assert_eq!(body["errors"][0]["extensions"]["provider"], "ZAVU", "{body}");
    assert_eq!(status_of(&app, row).await.0, InvitationStatus::Pending);
}
