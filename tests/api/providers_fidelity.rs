//! Fidelity fixes found with the official clients: what the adapters send (the Sinch
//! on-behalf-of create body of seed 003), what they keep (an OBO sender's details after
//! verification; a Zavu messenger connection is not a WhatsApp number), and what the
//! simulators answer (Conversation API app get/list, unknown routes and methods).

use bspgraph::domain::{AccountRequest, OnboardingRequest, ProviderEventKind, SenderRequest, VerificationMethod};
use bspgraph::providers::ProviderAdapter;
use bspgraph_sandbox::SimAction;
use serde_json::{json, Value};

use crate::helpers::{spawn_app_with, without_webhooks};
use crate::onboarding_support::{simulate, start};
use crate::provider_support::*;

async fn answer(req: reqwest::RequestBuilder) -> (u16, Value) {
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn obo(project: &str) -> SenderRequest {
    SenderRequest::OnBehalfOf {
        project_id: project.into(),
        region: "EU".into(),
        meta_local_storage: None,
        phone_number_provider: "CUSTOMER".into(),
        country_code: "46".into(),
        phone_number: Some("1234123456".into()),
        display_name: "Example Sender".into(),
        vertical: Some("NON_PROFIT".into()),
    }
}

/// A subproject with an ONBOARDED on-behalf-of account.
async fn onboarded_project(env: &SinchEnv) -> String {
    let start = OnboardingRequest::EmbeddedSignupProject { display_name: "Acme".into(), labels: vec![] };
    let project = env.adapter.start_onboarding(start).await.unwrap().project.unwrap().id;
    let account = AccountRequest {
        project_id: project.clone(),
        client_business_manager_id: "bm1".into(),
        company_legal_name: Some("Acme Ltd".into()),
        waba_name: None,
    };
    env.adapter.start_onboarding(OnboardingRequest::OnBehalfOfAccount(account)).await.unwrap();
    env.sim.simulate(&project, SimAction::Approve).unwrap();
    project
}

#[tokio::test]
async fn sinch_obo_sender_is_submitted_with_the_body_of_seed_003() {
    let env = sinch_env().await;
    let project = onboarded_project(&env).await;

    let sender = env.adapter.create_sender(obo(&project)).await.unwrap();
    let draft = answer(
        reqwest::Client::new()
            .post(format!("{}/provisioning/v1/projects/{project}/whatsapp/senders", env.base))
            .basic_auth("sandbox-key-id", Some("sandbox-key-secret"))
            .json(&json!({ "region": "EU", "phoneNumberProvider": "SINCH", "details": { "countryCode": "46", "displayName": "D" } })),
    )
    .await;

    let post =
        env.sim.core.requests().into_iter().find(|r| r.method == "POST" && r.path.ends_with("/senders")).unwrap();
    let body = post.json();
    assert_eq!(body["status"], "submit", "{body}");
    assert_eq!((body["region"].as_str(), body["phoneNumberProvider"].as_str()), (Some("EU"), Some("CUSTOMER")));
    let details = &body["details"];
    for (k, v) in [("countryCode", "46"), ("phoneNumber", "1234123456"), ("displayName", "Example Sender")] {
        assert_eq!(details[k], v, "{body}");
    }
    assert_eq!(details["vertical"], "NON_PROFIT");
    assert_eq!(sender.provider_status.as_deref(), Some("IN_PROGRESS"), "submitted, so in review");
    assert_eq!((draft.0, draft.1["changes"]["status"].as_str()), (201, Some("DRAFT")), "without submit: a draft");
    let draft_id = draft.1["id"].as_str().unwrap();
    assert!(env.sim.simulate(draft_id, SimAction::Start).is_err(), "a draft is not reviewed");
}

#[tokio::test]
async fn sinch_obo_sender_keeps_display_name_and_vertical_after_verification() {
    let env = sinch_env().await;
    let project = onboarded_project(&env).await;
    let sender = env.adapter.create_sender(obo(&project)).await.unwrap();
    env.sim.simulate(&sender.id, SimAction::Start).unwrap();
    env.adapter.register_sender(&project, &sender.id, VerificationMethod::Sms).await.unwrap();

    env.adapter.verify_sender(&project, &sender.id, "123456").await.unwrap();
    let active = env.adapter.get_sender(Some(&project), &sender.id).await.unwrap();

    assert_eq!(active.provider_status.as_deref(), Some("ACTIVE"));
    assert_eq!(active.display_name.as_deref(), Some("Example Sender"));
    assert_eq!(active.raw["details"]["displayName"], "Example Sender", "{}", active.raw);
    assert_eq!(active.raw["details"]["vertical"], "NON_PROFIT");
    assert_eq!(active.raw["metadata"]["displayName"]["value"], "Example Sender");
    assert_eq!(active.phone_number.as_deref(), Some("+461234123456"));
}

#[tokio::test]
async fn an_obo_sender_verified_through_the_api_keeps_its_name_in_the_app_it_gets() {
    let app = spawn_app_with(without_webhooks).await;
    let sim = app.sandbox.clone().unwrap().sinch;
    let started = start(
        &app,
        json!({ "provider": "SINCH", "client": { "name": "Initech" }, "sinch": { "region": "EU",
        "flow": "ON_BEHALF_OF", "companyLegalName": "Initech GmbH", "clientBusinessManagerId": "123456789",
        "phoneNumberProvider": "CUSTOMER", "countryCode": "49", "phoneNumber": "15123456789",
        "displayName": "Initech", "vertical": "RETAIL" } }),
    )
    .await;
    let id = started["invitation"]["id"].as_str().unwrap().to_owned();
    simulate(&app, &id, "APPROVE").await;
    let pending = simulate(&app, &id, "START").await;
    let sender_id = pending["invitation"]["sender"]["id"].as_str().unwrap().to_owned();
    let register = "mutation($id: ID!) { registerSender(id: $id, method: SMS) { userErrors { code } } }";
    app.data(register, json!({ "id": sender_id })).await;

    let verify = "mutation($id: ID!) { verifySender(id: $id, code: \"123456\") { sender { status displayName raw } } }";
    let verified = app.data(verify, json!({ "id": sender_id })).await;

    let sender = &verified["verifySender"]["sender"];
    assert_eq!(sender["status"], "ACTIVE", "{verified}");
    assert_eq!(sender["displayName"], "Initech");
    assert_eq!(sender["raw"]["details"]["displayName"], "Initech", "{sender}");
    assert_eq!(sender["raw"]["details"]["vertical"], "RETAIL");
    let app_req = sim.core.requests().into_iter().find(|r| r.method == "POST" && r.path.ends_with("/apps")).unwrap();
    assert_eq!(app_req.json()["display_name"], "bspgraph Initech");
}

/// A messenger invitation created at Zavu directly (bspgraph only creates WhatsApp ones).
async fn messenger_invitation(base: &str) -> String {
    let (status, body) = answer(
        reqwest::Client::new()
            .post(format!("{base}/v1/invitations"))
            .bearer_auth("zv_test_sandbox")
            .json(&json!({ "clientName": "Page Co", "connectionType": "messenger" })),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body["invitation"]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_zavu_messenger_connection_is_not_a_whatsapp_number() {
    let rx = Receiver::start(0).await;
    let env = zavu_env().await;
    let sub = env.adapter.configure_webhook(None, &rx.url).await.unwrap();
    env.adapter.adopt_webhook_secret(sub.secret.unwrap());
    let id = messenger_invitation(&env.base).await;

    env.sim.simulate(&id, SimAction::Complete).unwrap();
    let inv = env.adapter.get_invitation(&id).await.unwrap();
    let senders = env.adapter.list_senders(None).await.unwrap();
    let got = rx.wait(2).await;
    let events: Vec<_> = got.iter().flat_map(|(h, b)| env.adapter.verify_webhook(h, b).unwrap()).collect();

    assert_eq!(inv.connection_type.as_deref(), Some("messenger"));
    assert_eq!(inv.raw["connectedAccount"]["channel"], "messenger", "{}", inv.raw);
    assert!(inv.raw["senderId"].is_string(), "Zavu names a sender");
    assert_eq!((inv.meta_phone_number_id, inv.sender_id), (None, None), "a Page id is not a phone-number id");
    assert!(senders.is_empty(), "a messenger-only sender is not a WhatsApp sender: {senders:?}");
    let page_sender = env.adapter.get_sender(None, inv.raw["senderId"].as_str().unwrap()).await.unwrap();
    assert_eq!((page_sender.phone_number, page_sender.phone_number_id), (None, None));
    let done = events.iter().find_map(|e| match &e.kind {
        ProviderEventKind::InvitationStatus { provider_status, sender_id, waba_id, phone_number_id, .. }
            if provider_status == "completed" =>
        {
            Some((sender_id.clone(), waba_id.clone(), phone_number_id.clone()))
        }
        _ => None,
    });
    assert_eq!(done, Some((None, None, None)));
    assert!(got.iter().all(|(_, b)| !String::from_utf8_lossy(b).contains("wabaAccountId")));
}

#[tokio::test]
async fn a_synced_zavu_messenger_invitation_stores_no_sender() {
    let app = spawn_app_with(without_webhooks).await;
    let zavu = app.sandbox.clone().unwrap().zavu;
    let messenger = messenger_invitation(&app.url("/sandbox/zavu")).await;
    let whatsapp = start(&app, json!({ "provider": "ZAVU", "client": { "name": "Wa Co" } })).await;
    let wa_id = whatsapp["invitation"]["providerId"].as_str().unwrap().to_owned();
    zavu.simulate(&messenger, SimAction::Complete).unwrap();
    zavu.simulate(&wa_id, SimAction::Complete).unwrap();

    app.data("mutation { syncProvider(provider: ZAVU) { imported } }", json!({})).await;
    let q = "{ invitations(first: 10) { edges { node { id providerId status sender { id } } } } }";
    let listed = app.data(q, json!({})).await;
    let imported = listed["invitations"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["providerId"] == messenger.as_str())
        .unwrap()["node"]
        .clone();
    let refresh = "mutation($id: ID!) { refresh(id: $id) { node { ... on Invitation { status sender { id } } } } }";
    let refreshed = app.data(refresh, json!({ "id": imported["id"] })).await;
    let senders = app.data("{ senders(first: 10) { edges { node { phoneNumber phoneNumberId } } } }", json!({})).await;

    assert_eq!(refreshed["refresh"]["node"]["status"], "COMPLETED", "{refreshed}");
    assert!(refreshed["refresh"]["node"]["sender"].is_null(), "{refreshed}");
    let edges = senders["senders"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 1, "only the WhatsApp sender: {senders}");
    assert!(edges[0]["node"]["phoneNumberId"].is_string());
}

#[tokio::test]
async fn conversation_api_apps_can_be_read_and_listed_on_their_region() {
    let env = sinch_env().await;
    let project = env.sim.project_id().to_owned();
    let es = SenderRequest::EmbeddedSignup {
        project_id: project.clone(),
        region: "EU".into(),
        meta_local_storage: None,
        waba_id: "1".into(),
        phone_number_id: "2".into(),
    };
    let sender = env.adapter.create_sender(es).await.unwrap();
    env.sim.simulate(&sender.id, SimAction::Activate).unwrap();
    let active = env.adapter.get_sender(Some(&project), &sender.id).await.unwrap();
    let req = bspgraph::domain::AppRequest {
        project_id: project.clone(),
        region: "EU".into(),
        display_name: "A".into(),
        sender_id: sender.id.clone(),
        bearer_token: active.bearer_token.unwrap(),
    };
    let created = env.adapter.create_app(req).await.unwrap();
    let apps = format!("{}/conversation/eu/v1/projects/{project}/apps", env.base);
    let c = reqwest::Client::new();
    let get = |url: String| c.get(url).basic_auth("sandbox-key-id", Some("sandbox-key-secret"));

    let (s_one, one) = answer(get(format!("{apps}/{}", created.id))).await;
    let (s_all, all) = answer(get(apps.clone())).await;
    let (s_us, us) = answer(get(apps.replace("/eu/", "/us/"))).await;
    let (s_missing, missing) = answer(get(format!("{apps}/NOPE"))).await;

    assert_eq!((s_one, one["id"].as_str()), (200, Some(created.id.as_str())));
    assert_eq!(one, created.raw, "get answers the AppResponse create answered");
    assert_eq!(one["channel_credentials"][0]["static_bearer"]["claimed_identity"], sender.id.as_str());
    assert!(one["channel_credentials"][0]["static_bearer"].get("token").is_none());
    assert_eq!((s_all, all.as_object().unwrap().keys().map(String::as_str).collect::<Vec<_>>()), (200, vec!["apps"]));
    assert_eq!(all["apps"][0]["id"], created.id.as_str());
    assert_eq!((s_us, us["apps"].as_array().map(Vec::len)), (200, Some(0)), "apps live in their region");
    assert_eq!(s_missing, 404);
    assert_eq!(
        (missing["error"]["code"].clone(), missing["error"]["status"].clone()),
        (json!(404), json!("NOT_FOUND"))
    );
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_in_each_providers_error_shape() {
    let app = spawn_app_with(without_webhooks).await;
    let c = reqwest::Client::new();
    let sb = |p: &str| app.url(&format!("/sandbox{p}"));
    let basic = |r: reqwest::RequestBuilder| r.basic_auth("sandbox-key-id", Some("sandbox-key-secret"));

    let zavu = answer(c.get(sb("/zavu/v1/nothing")).bearer_auth("zv_test_sandbox")).await;
    let zavu_method = answer(c.delete(sb("/zavu/v1/invitations")).bearer_auth("zv_test_sandbox")).await;
    let papi = answer(basic(c.get(sb("/sinch/provisioning/v1/nothing")))).await;
    let rpc = answer(basic(c.get(sb("/sinch/subproject/v1/nothing")))).await;
    let conv = answer(basic(c.get(sb("/sinch/conversation/eu/v1/nothing")))).await;
    let auth = answer(c.get(sb("/sinch/auth/oauth2/token"))).await;
    let sendzen = answer(c.get(sb("/sendzen/v1/nothing")).bearer_auth("sz_partner_sandbox")).await;

    assert_eq!(zavu.0, 404);
    assert_eq!(zavu.1["error"]["code"], "not_found", "{}", zavu.1);
    assert!(zavu.1["error"]["message"].is_string());
    assert_eq!((zavu_method.0, zavu_method.1["error"]["code"].clone()), (405, json!("method_not_allowed")));
    assert_eq!((papi.0, papi.1["errorCode"].clone()), (404, json!("not_found")), "{}", papi.1);
    assert!(papi.1["resolution"].is_string());
    for (status, body) in [&rpc, &conv] {
        assert_eq!(*status, 404);
        assert_eq!((body["error"]["code"].clone(), body["error"]["status"].clone()), (json!(404), json!("NOT_FOUND")));
        assert!(body["error"]["details"].is_array(), "{body}");
    }
    assert_eq!(auth.0, 405);
    assert!(auth.1["error"].is_string() && auth.1["error_description"].is_string(), "{}", auth.1);
    assert_eq!(sendzen, (404, json!({ "error": "Not Found", "message": "No route for GET /v1/nothing" })));
}
