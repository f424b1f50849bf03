//! The four onboarding flows end to end over HTTP against the simulators: payloads
//! and statuses at each step, rows, recorded provider requests and the event log.

use bspgraph::domain::{InvitationStatus, Provider, SenderStatus};
use serde_json::{json, Value};

use crate::helpers::{each_backend, each_backend_with, spawn_app_with, without_webhooks};
use crate::onboarding_support::*;

#[tokio::test]
async fn zavu_hosted_link_goes_from_pending_link_to_completed_sender() {
    // Webhooks on: Zavu names the WABA only in its signed `invitation.status_changed`.
    each_backend(|app| async move {
        let sim = app.sandbox.clone().unwrap().zavu;
        let client =
            json!({ "externalId": "acme-1", "name": "Acme", "email": "ops@acme.test", "phone": "+14155550100" });

        let started = start(
            &app,
            json!({ "provider": "ZAVU", "client": client, "expiresInDays": 14,
            "allowedPhoneCountries": ["US", "DE"] }),
        )
        .await;
        let inv = &started["invitation"];
        let id = inv["id"].as_str().unwrap().to_owned();
        assert_eq!(codes(&started), Vec::<String>::new());
        assert_eq!((inv["status"].as_str(), inv["flow"].as_str()), (Some("PENDING"), Some("HOSTED_LINK")));
        assert!(inv["url"].as_str().unwrap().starts_with("https://dashboard.zavu.dev/invite/"));
        assert_eq!(inv["client"]["externalId"], "acme-1");
        let post = sim.core.requests().into_iter().find(|r| r.method == "POST" && r.path == "/v1/invitations").unwrap();
        assert_eq!(post.header("authorization"), Some("Bearer zv_test_sandbox"));
        let body = post.json();
        assert_eq!((body["clientName"].as_str(), body["clientEmail"].as_str()), (Some("Acme"), Some("ops@acme.test")));
        assert_eq!((body["clientPhone"].as_str(), body["expiresInDays"].as_i64()), (Some("+14155550100"), Some(14)));
        assert_eq!(body["allowedPhoneCountries"], json!(["US", "DE"]));

        let done = simulate(&app, &id, "COMPLETE").await;

        let inv = &done["invitation"];
        assert_eq!(inv["status"], "COMPLETED", "{done}");
        assert_eq!(inv["sender"]["status"], "ACTIVE");
        assert!(inv["sender"]["phoneNumberId"].is_string());
        let inv = &until_waba(&app, &id).await;
        let row = app
            .store
            .invitation_by_provider_id(Provider::Zavu, inv["providerId"].as_str().unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.status, InvitationStatus::Completed);
        let sender = app.store.sender(row.sender_id.unwrap()).await.unwrap();
        assert_eq!((sender.status, sender.client_id), (SenderStatus::Active, Some(row.client_id)));
        // The sandbox step and the webhooks race for the sender and the invitation; each
        // change is logged once, whoever sees it first (the webhooks also report the
        // customer's start, IN_PROGRESS). The WABA comes by webhook only.
        let log = events(&app).await;
        assert_eq!(log[0], "Invitation:->PENDING:MUTATION", "{log:?}");
        let mut changes: Vec<_> = log[1..]
            .iter()
            .map(|e| e.rsplit_once(':').unwrap().0)
            .map(|c| if c == "Invitation:IN_PROGRESS>COMPLETED" { "Invitation:PENDING>COMPLETED" } else { c })
            .filter(|c| *c != "Invitation:PENDING>IN_PROGRESS")
            .collect();
        changes.sort_unstable();
        assert_eq!(changes, ["Invitation:PENDING>COMPLETED", "Sender:->ACTIVE", "Waba:->ONBOARDED"], "{log:?}");
        assert!(log.contains(&"Waba:->ONBOARDED:WEBHOOK".to_owned()), "{log:?}");
    })
    .await;
}

/// The invitation once the WABA named by Zavu's webhook is filed (bounded wait).
async fn until_waba(app: &crate::helpers::TestApp, id: &str) -> serde_json::Value {
    let query = format!("query($id: ID!) {{ node(id: $id) {{ ... on Invitation {{ {INV} }} }} }}");
    crate::helpers::eventually(&format!("a WABA filed for {id}"), || async {
        let inv = app.data(&query, json!({ "id": id })).await["node"].clone();
        inv["waba"]["wabaId"].is_string().then_some(inv)
    })
    .await
}

#[tokio::test]
async fn sendzen_iframe_renews_and_completes_with_project_waba_and_sender() {
    each_backend_with(without_webhooks, |app| async move {
        let sim = app.sandbox.clone().unwrap().sendzen;

        let started =
            start(&app, json!({ "provider": "SENDZEN", "client": { "externalId": "sz-1", "name": "Soylent" } })).await;
        let inv = started["invitation"].clone();
        let id = inv["id"].as_str().unwrap().to_owned();
        assert_eq!(inv["status"], "PENDING", "{started}");
        assert_eq!(started["warnings"], json!([]), "SendZen validated the per-client URL: {started}");
        assert!(inv["url"].as_str().unwrap().starts_with("https://app.sendzen.io/onboard/iframe?token="));
        let expires = chrono::DateTime::parse_from_rfc3339(inv["expiresAt"].as_str().unwrap()).unwrap();
        let ttl = expires.with_timezone(&chrono::Utc) - chrono::Utc::now();
        assert!((55..=60).contains(&ttl.num_minutes()), "{ttl}");
        assert_eq!(inv["project"]["hasCredentials"], true);
        let onboards: Vec<_> = sim.core.requests().into_iter().filter(|r| r.path == "/v1/partner/onboard").collect();
        let onboard = &onboards[0];
        assert_eq!((onboard.method.as_str(), onboard.path.as_str()), ("POST", "/v1/partner/onboard"));
        assert_eq!(onboard.header("authorization"), Some("Bearer sz_partner_sandbox"));
        let body = onboard.json();
        assert!(body["client_identifier"].as_str().unwrap().starts_with("bspgraph-client-"));
        let hook = body["client_webhook_url"].as_str().unwrap();
        let token = hook.strip_prefix(&app.url("/webhooks/sendzen/")).unwrap();
        assert_eq!(token.len(), 48, "an unguessable per-client token");
        let owner = app.store.client_by_webhook_token(token).await.unwrap().unwrap();
        assert_eq!(owner.external_id.as_deref(), Some("sz-1"));
        let validation = app.http.get(hook).send().await.unwrap();
        assert_eq!(validation.status(), 200, "SendZen's validation request is answered");
        let stranger = app.http.get(app.url(&format!("/webhooks/sendzen/{}", "0".repeat(48)))).send().await.unwrap();
        assert_eq!(stranger.status(), 404, "an unknown token is not");

        let renewed = on_invitation(&app, "renewInvitation", &id).await;
        let again = &renewed["invitation"];
        assert_ne!(again["url"], inv["url"], "a fresh iframe URL");
        assert_eq!(again["project"]["id"], inv["project"]["id"], "same project");
        let second = sim.core.requests().into_iter().filter(|r| r.path == "/v1/partner/onboard").nth(1).unwrap();
        assert_eq!(second.json()["client_webhook_url"], hook, "same webhook token");

        let done = complete(
            &app,
            json!({ "invitationId": id, "status": "COMPLETED", "wabaId": "104996122223511",
            "phoneNumberId": "106540352242922" }),
        )
        .await;
        let inv = &done["invitation"];
        assert_eq!(inv["status"], "COMPLETED", "{done}");
        assert_eq!(inv["waba"]["wabaId"], "104996122223511");
        assert_eq!(
            (inv["sender"]["phoneNumberId"].as_str(), inv["sender"]["status"].as_str()),
            (Some("106540352242922"), Some("ACTIVE"))
        );
        let log = events(&app).await;
        assert_eq!(
            log,
            vec![
                "Invitation:->PENDING:MUTATION",
                "Waba:->ONBOARDED:MUTATION",
                "Sender:->ACTIVE:MUTATION",
                "Invitation:PENDING>COMPLETED:MUTATION"
            ]
        );
    })
    .await;
}

#[tokio::test]
async fn sinch_embedded_signup_creates_sender_then_app_then_completes() {
    each_backend_with(without_webhooks, |app| async move {
        let sim = app.sandbox.clone().unwrap().sinch;
        let started = start(
            &app,
            json!({ "provider": "SINCH", "client": { "name": "Globex" },
            "sinch": { "region": "EU", "metaLocalStorage": "DE" } }),
        )
        .await;
        let inv = started["invitation"].clone();
        let id = inv["id"].as_str().unwrap().to_owned();
        assert_eq!(
            (inv["status"].as_str(), inv["flow"].as_str()),
            (Some("PENDING"), Some("EMBEDDED_SIGNUP")),
            "{started}"
        );
        assert!(inv["url"].is_null());
        let sub =
            sim.core.requests().into_iter().find(|r| r.method == "POST" && r.path.contains("subproject")).unwrap();
        assert!(
            String::from_utf8_lossy(&sub.body).contains(inv["client"]["id"].as_str().unwrap()),
            "labels carry the client id"
        );
        assert!(sub.header("authorization").unwrap().starts_with("Bearer "));

        let provisioning = complete(
            &app,
            json!({ "invitationId": id, "wabaId": "104996122223511", "phoneNumberId": "106540352242922" }),
        )
        .await;
        assert_eq!(provisioning["invitation"]["status"], "IN_PROGRESS", "{provisioning}");
        assert_eq!(provisioning["invitation"]["sender"]["status"], "PROVISIONING");
        let create = sim
            .core
            .requests()
            .into_iter()
            .find(|r| r.method == "POST" && r.path.ends_with("/whatsapp/senders"))
            .unwrap();
        assert_eq!(create.json()["phoneNumberId"], "106540352242922", "{}", create.json());

        let done = simulate(&app, &id, "ACTIVATE").await;

        assert_eq!(done["invitation"]["status"], "COMPLETED", "{done}");
        assert_eq!(done["invitation"]["sender"]["status"], "ACTIVE");
        let app_req =
            sim.core.requests().into_iter().find(|r| r.method == "POST" && r.path.ends_with("/apps")).unwrap();
        let body = app_req.json();
        assert_eq!(
            body["channel_credentials"][0]["static_bearer"]["claimed_identity"],
            done["invitation"]["sender"]["providerId"],
            "{body}"
        );
        let log = events(&app).await;
        assert_eq!(
            log,
            vec![
                "Invitation:->PENDING:MUTATION",
                "Waba:->ONBOARDED:MUTATION",
                "Sender:->PROVISIONING:MUTATION",
                "Invitation:PENDING>IN_PROGRESS:MUTATION",
                "Sender:PROVISIONING>ACTIVE:MUTATION",
                "Invitation:IN_PROGRESS>COMPLETED:MUTATION"
            ]
        );
    })
    .await;
}

#[tokio::test]
async fn sinch_on_behalf_of_waits_for_meta_then_verifies_the_sender() {
    each_backend_with(without_webhooks, |app| async move {
        let sim = app.sandbox.clone().unwrap().sinch;
        let started = start(&app, json!({ "provider": "SINCH", "client": { "name": "Initech" }, "sinch": { "region": "EU",
            "flow": "ON_BEHALF_OF", "companyLegalName": "Initech GmbH", "clientBusinessManagerId": "123456789",
            "phoneNumberProvider": "CUSTOMER", "countryCode": "49", "phoneNumber": "15123456789", "displayName": "Initech" } })).await;
        let id = started["invitation"]["id"].as_str().unwrap().to_owned();
        assert_eq!(started["invitation"]["flow"], "ON_BEHALF_OF", "{started}");
        assert_eq!(started["invitation"]["status"], "IN_PROGRESS");
        let account = sim.core.requests().into_iter().find(|r| r.method == "POST" && r.path.ends_with("/whatsapp")).unwrap();
        assert_eq!(account.json()["clientBusinessManagerId"], "123456789");

        let waiting = simulate(&app, &id, "START").await;
        assert_eq!(waiting["invitation"]["status"], "AWAITING_ACTION", "{waiting}");
        let approved = simulate(&app, &id, "APPROVE").await;
        assert_eq!(approved["invitation"]["status"], "IN_PROGRESS", "{approved}");
        let sender_id = approved["invitation"]["sender"]["id"].as_str().unwrap().to_owned();
        let pending = simulate(&app, &id, "START").await;
        assert_eq!(pending["invitation"]["sender"]["status"], "PENDING_VERIFICATION", "{pending}");
        assert_eq!(pending["invitation"]["status"], "AWAITING_ACTION");

        let sender_q = "mutation($id: ID!) { registerSender(id: $id, method: SMS) { sender { status } userErrors { code } } }";
        let registered = app.data(sender_q, json!({ "id": sender_id })).await;
        let verify_q = "mutation($id: ID!, $c: String!) { verifySender(id: $id, code: $c) { sender { status } userErrors { field code } } }";
        let wrong = app.data(verify_q, json!({ "id": sender_id, "c": "000000" })).await;
        let right = app.data(verify_q, json!({ "id": sender_id, "c": "123456" })).await;

        assert_eq!(registered["registerSender"]["sender"]["status"], "PENDING_VERIFICATION", "{registered}");
        assert_eq!(wrong["verifySender"]["userErrors"][0]["code"], "WRONG_OTP", "{wrong}");
        assert_eq!(right["verifySender"]["sender"]["status"], "ACTIVE", "{right}");
        let row = app.store.invitation(bspgraph::domain::GlobalId::decode(&id).unwrap().id).await.unwrap();
        assert_eq!(row.status, InvitationStatus::Completed);
        let paths: Vec<String> = sim.core.requests().iter().map(|r| format!("{} {}", r.method, r.path_only())).collect();
        assert!(paths.iter().any(|p| p.ends_with(":register") || p.contains("register")), "{paths:?}");
        let log = events(&app).await;
        assert_eq!(log, vec!["Invitation:->IN_PROGRESS:MUTATION", "Invitation:IN_PROGRESS>AWAITING_ACTION:MUTATION",
            "Invitation:AWAITING_ACTION>IN_PROGRESS:MUTATION", "Waba:->ONBOARDED:MUTATION", "Sender:->PROVISIONING:MUTATION",
            "Sender:PROVISIONING>PENDING_VERIFICATION:MUTATION", "Invitation:IN_PROGRESS>AWAITING_ACTION:MUTATION",
            "Sender:PENDING_VERIFICATION>ACTIVE:MUTATION", "Invitation:AWAITING_ACTION>COMPLETED:MUTATION"]);
    })
    .await;
}

#[tokio::test]
async fn sendzen_reporting_the_webhook_url_invalid_is_a_warning_on_start_and_renew() {
    // A public URL nothing answers at: SendZen's validation request fails.
    let app = spawn_app_with(|s| {
        without_webhooks(s);
        s.public_url = Some("http://127.0.0.1:9".into());
    })
    .await;
    let started = start(&app, json!({ "provider": "SENDZEN", "client": { "name": "Unreachable" } })).await;
    let id = started["invitation"]["id"].as_str().unwrap().to_owned();
    let renewed = on_invitation(&app, "renewInvitation", &id).await;

    for payload in [&started, &renewed] {
        assert_eq!(payload["userErrors"], json!([]), "it still succeeds: {payload}");
        assert_eq!(payload["invitation"]["status"], "PENDING", "{payload}");
        let warnings = payload["warnings"].as_array().unwrap();
        assert_eq!(warnings.len(), 1, "{payload}");
        assert_eq!((warnings[0]["code"].as_str(), &warnings[0]["field"]), (Some("WEBHOOK_URL_INVALID"), &Value::Null));
        assert!(warnings[0]["message"].as_str().unwrap().contains("completeOnboarding"), "{payload}");
    }
    let zavu = start(&app, json!({ "provider": "ZAVU", "client": { "name": "Unreachable" } })).await;
    assert_eq!(zavu["warnings"], json!([]), "only SendZen reports URL validity: {zavu}");
}
