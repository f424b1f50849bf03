//! Sinch adapter contract tests against the Sinch simulator over real HTTP.

use bspgraph::domain::{
    AccountRequest, AppRequest, OnboardingRequest, ProviderEventKind, SenderRequest, SenderStatus, VerificationMethod,
    WabaStatus,
};
use bspgraph::providers::sinch::Sinch;
use bspgraph::providers::{ProviderAdapter, ProviderError};
use bspgraph_sandbox::{Fault, SimAction};
use secrecy::ExposeSecret;

use crate::provider_support::*;

async fn subproject(env: &SinchEnv) -> String {
    let start = env
        .adapter
        .start_onboarding(OnboardingRequest::EmbeddedSignupProject {
            display_name: "Acme".into(),
            labels: vec![("aggregatorClientId".into(), "42".into())],
        })
        .await
        .unwrap();
    start.project.unwrap().id
}

fn es(project: &str, pnid: &str) -> SenderRequest {
    SenderRequest::EmbeddedSignup {
        project_id: project.into(),
        region: "EU".into(),
        meta_local_storage: Some("DE".into()),
        waba_id: "1111".into(),
        phone_number_id: pnid.into(),
    }
}

#[tokio::test]
async fn embedded_signup_subproject_sender_then_app() {
    let env = sinch_env().await;
    let project = subproject(&env).await;

    let created = env.adapter.create_sender(es(&project, "2222")).await.unwrap();
    env.sim.simulate(&created.id, SimAction::Activate).unwrap();
    let active = env.adapter.get_sender(Some(&project), &created.id).await.unwrap();
    let app = env
        .adapter
        .create_app(AppRequest {
            project_id: project.clone(),
            region: active.region.clone().unwrap(),
            display_name: "Acme app".into(),
            sender_id: active.id.clone(),
            bearer_token: active.bearer_token.clone().unwrap(),
        })
        .await
        .unwrap();

    assert_eq!(created.status, SenderStatus::Provisioning);
    assert_eq!(created.provider_status.as_deref(), Some("IN_PROGRESS"));
    assert_eq!(created.phone_number_id.as_deref(), Some("2222"));
    assert_eq!(active.status, SenderStatus::Active);
    assert!(active.raw.get("bearerToken").is_none(), "the bearer token is kept out of raw");
    assert_eq!(app.channel_status.as_deref(), Some("ACTIVE"));
    let reqs = env.sim.core.requests();
    let sub = reqs.iter().find(|r| r.path.starts_with("/subproject/v1/projects/sandbox-project/subprojects")).unwrap();
    assert_eq!(sub.json()["labels"]["aggregatorClientId"], "42");
    assert!(sub.header("authorization").unwrap().starts_with("Bearer "));
    let app_req = reqs.iter().find(|r| r.path == format!("/conversation/eu/v1/projects/{project}/apps")).unwrap();
    let cred = &app_req.json()["channel_credentials"][0];
    assert_eq!(cred["static_bearer"]["claimed_identity"], active.id.as_str());
    assert_eq!(cred["static_bearer"]["token"], active.bearer_token.unwrap().expose_secret());
}

#[tokio::test]
async fn on_behalf_of_account_sender_register_and_verify() {
    let env = sinch_env().await;
    let project = subproject(&env).await;
    let account = AccountRequest {
        project_id: project.clone(),
        client_business_manager_id: "bm1".into(),
        company_legal_name: Some("Acme Ltd".into()),
        waba_name: None,
    };

    let started = env.adapter.start_onboarding(OnboardingRequest::OnBehalfOfAccount(account)).await.unwrap();
    env.sim.simulate(&project, SimAction::Start).unwrap();
    let awaiting = env.adapter.get_waba(&project).await.unwrap();
    env.sim.simulate(&project, SimAction::Approve).unwrap();
    let onboarded = env.adapter.get_waba(&project).await.unwrap();
    let sender = env
        .adapter
        .create_sender(SenderRequest::OnBehalfOf {
            project_id: project.clone(),
            region: "EU".into(),
            meta_local_storage: None,
            phone_number_provider: "CUSTOMER".into(),
            country_code: "49".into(),
            phone_number: Some("15123456789".into()),
            display_name: "Acme".into(),
            vertical: Some("RETAIL".into()),
        })
        .await
        .unwrap();
    env.sim.simulate(&sender.id, SimAction::Start).unwrap();
    let early = env.adapter.verify_sender(&project, &sender.id, "123456").await.unwrap_err();
    let reg = env.adapter.register_sender(&project, &sender.id, VerificationMethod::Sms).await.unwrap();
    let wrong = env.adapter.verify_sender(&project, &sender.id, "000000").await.unwrap_err();
    env.adapter.verify_sender(&project, &sender.id, "123456").await.unwrap();
    let active = env.adapter.get_sender(Some(&project), &sender.id).await.unwrap();

    assert_eq!(started.waba.unwrap().status, WabaStatus::Pending);
    assert_eq!(awaiting.status, WabaStatus::AwaitingAction);
    assert_eq!(onboarded.status, WabaStatus::Onboarded);
    assert!(onboarded.waba_id.is_some());
    assert_eq!(sender.phone_number.as_deref(), Some("+4915123456789"));
    assert!(matches!(early, ProviderError::Conflict { ref code, .. } if code == "not_allowed_verify"));
    assert!(reg.code_sent);
    assert!(matches!(wrong, ProviderError::Conflict { ref code, .. } if code == "wrong_otp"));
    assert_eq!(active.status, SenderStatus::Active);
}

#[tokio::test]
async fn senders_list_follows_page_tokens_and_uninitialized_projects_have_none() {
    let env = sinch_env().await;
    let project = subproject(&env).await;
    let empty = env.adapter.list_senders(Some(&project)).await.unwrap();
    for i in 0..120 {
        env.adapter.create_sender(es(&project, &format!("pn{i}"))).await.unwrap();
    }

    let all = env.adapter.list_senders(Some(&project)).await.unwrap();
    let projects = env.adapter.list_projects().await.unwrap();

    assert!(empty.is_empty());
    assert_eq!(all.len(), 120);
    let lists = env
        .sim
        .core
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path_only().ends_with("/whatsapp/senders"))
        .count();
    assert_eq!(lists, 3, "one empty answer, then two pages");
    assert_eq!(projects.len(), 1);
    assert_eq!(projects[0].labels, vec![("aggregatorClientId".to_owned(), "42".to_owned())]);
}

#[tokio::test]
async fn error_shapes_of_both_apis_map_to_the_taxonomy() {
    let env = sinch_env().await;
    let project = subproject(&env).await;
    env.adapter.create_sender(es(&project, "dup")).await.unwrap();

    let no_project = env.adapter.get_waba("nope").await.unwrap_err();
    let no_sender = env.adapter.get_sender(Some(&project), "nope").await.unwrap_err();
    let dup = env.adapter.create_sender(es(&project, "dup")).await.unwrap_err();
    let register = env.adapter.register_sender(&project, "nope", VerificationMethod::Voice).await.unwrap_err();

    assert!(matches!(no_project, ProviderError::NotFound { code: Some(ref c), .. } if c == "project_not_found"));
    assert!(matches!(no_sender, ProviderError::NotFound { code: Some(ref c), .. } if c == "sender_not_found"));
    assert!(matches!(dup, ProviderError::Conflict { ref code, .. } if code == "used_phone_number_id"));
    assert!(matches!(register, ProviderError::NotFound { .. }));
}

#[tokio::test]
async fn token_is_cached_and_refetched_once_after_an_expired_token_401() {
    let env = sinch_env().await;
    subproject(&env).await;
    env.adapter.list_projects().await.unwrap();
    let after_two_calls = env.sim.tokens_issued();
    env.sim.expire_tokens();

    env.adapter.list_projects().await.unwrap();

    assert_eq!(after_two_calls, 1);
    assert_eq!(env.sim.tokens_issued(), 2);
    assert_eq!(env.adapter.tokens().fetches(), 2);
    let unauthorized = env.sim.core.requests().iter().filter(|r| r.path.starts_with("/subproject")).count();
    assert_eq!(unauthorized, 4, "create, list, rejected list, retried list");
}

#[tokio::test]
async fn wrong_key_secret_is_an_authentication_error() {
    let env = sinch_env().await;
    let cfg = bspgraph_sandbox::sinch::SinchSimConfig::default();
    let bad = Sinch::new(sinch_config(&env.base, &cfg, "wrong", fast_http())).unwrap();

    let err = bad.list_projects().await.unwrap_err();

    assert!(
        matches!(err, ProviderError::Authentication { status: 401, code: Some(ref c), .. } if c == "invalid_client")
    );
    assert!(!bad.health().healthy);
}

#[tokio::test]
async fn a_429_on_the_subprojects_api_waits_for_retry_after() {
    let env = sinch_env().await;
    env.adapter.check_credentials().await.unwrap();
    env.sim.core.inject(Fault::RateLimited { retry_after_secs: 1 }, 1);

    let list = env.adapter.list_projects().await;

    assert!(list.is_ok());
    let reqs: Vec<_> = env
        .sim
        .core
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/auth") || r.path.starts_with("/subproject"))
        .collect();
    let gap = reqs.last().unwrap().at - reqs[reqs.len() - 2].at;
    assert!(gap >= std::time::Duration::from_millis(990), "{gap:?}");
}

#[tokio::test]
async fn callbacks_are_signed_and_verified_into_sender_events() {
    let rx = Receiver::start(0).await;
    let env = sinch_env().await;
    let project = subproject(&env).await;
    let hook = env.adapter.configure_webhook(Some(&project), &rx.url).await.unwrap();
    let again = env.adapter.configure_webhook(Some(&project), &rx.url).await.unwrap();
    let sender = env.adapter.create_sender(es(&project, "pn")).await.unwrap();

    env.sim.simulate(&sender.id, SimAction::Activate).unwrap();
    let got = rx.wait(1).await;

    assert_eq!(hook.events, vec!["ALL".to_owned()]);
    assert_eq!(again.id, hook.id, "an existing webhook is reused");
    let events = env.adapter.verify_webhook(&got[0].0, &got[0].1).unwrap();
    assert_eq!(events[0].event_type, "WHATSAPP_SENDER_ACTIVE");
    match &events[0].kind {
        ProviderEventKind::Sender(s) => {
            assert_eq!((s.id.as_str(), s.status), (sender.id.as_str(), SenderStatus::Active))
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(events[0].raw["payload"].get("bearerToken").is_none());
}

#[tokio::test]
async fn access_tokens_are_jwts_whose_exp_matches_expires_in() {
    use base64::Engine;
    let env = sinch_env().await;

    let token: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/auth/oauth2/token", env.base))
        .basic_auth("sandbox-key-id", Some("sandbox-key-secret"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    let jwt = token["access_token"].as_str().unwrap();
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3, "{jwt}");
    let claims: serde_json::Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    let lifetime = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
    assert_eq!(lifetime, token["expires_in"].as_i64().unwrap());
    env.adapter.list_projects().await.unwrap();
}
