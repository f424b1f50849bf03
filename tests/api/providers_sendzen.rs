//! SendZen adapter contract tests against the SendZen simulator over real HTTP.

use bspgraph::domain::{InvitationStatus, OnboardingRequest, ProviderEventKind};
use bspgraph::providers::{ProviderAdapter, ProviderError};
use bspgraph_sandbox::{Fault, SimAction};
use secrecy::ExposeSecret;

use crate::provider_support::*;

fn onboard(webhook: Option<String>) -> OnboardingRequest {
    OnboardingRequest::PartnerOnboard { client_identifier: "client-42".into(), webhook_url: webhook }
}

#[tokio::test]
async fn onboard_returns_iframe_project_and_customer_key_kept_secret() {
    let env = sendzen_env().await;

    let start = env.adapter.start_onboarding(onboard(Some("https://example.test/hook".into()))).await.unwrap();
    let again = env.adapter.start_onboarding(onboard(None)).await.unwrap();

    let inv = start.invitation.unwrap();
    let project = start.project.unwrap();
    assert_eq!(inv.status, InvitationStatus::Pending);
    assert!(inv.url.as_deref().unwrap().starts_with("https://app.sendzen.io/onboard/iframe?token="));
    let ttl = inv.expires_at.unwrap() - inv.created_at.unwrap();
    assert_eq!(ttl.num_minutes(), 60);
    let key = project.api_key.clone().unwrap();
    assert!(!project.raw.to_string().contains(key.expose_secret()), "the key is not in raw");
    assert_eq!(again.project.unwrap().id, project.id, "same client, same project");
    let req = &env.sim.core.requests()[0];
    assert_eq!(req.header("authorization"), Some("Bearer sz_partner_sandbox"));
    assert_eq!(req.json()["client_identifier"], "client-42");
    assert_eq!(req.json()["client_webhook_url"], "https://example.test/hook");
    env.adapter.check_project_key(&key).await.unwrap();
    let wrong = env.adapter.check_project_key(&secret("sk_test_wrong")).await.unwrap_err();
    assert!(matches!(wrong, ProviderError::Authentication { status: 401, .. }));
}

#[tokio::test]
async fn missing_identifier_and_wrong_partner_key_keep_sendzens_error() {
    let env = sendzen_env().await;
    let bad = sendzen_adapter(&env.base, "wrong", "x");

    let invalid = env
        .adapter
        .start_onboarding(OnboardingRequest::PartnerOnboard { client_identifier: " ".into(), webhook_url: None })
        .await
        .unwrap_err();
    let unauthorized = bad.check_credentials().await.unwrap_err();

    assert!(
        matches!(invalid, ProviderError::InvalidRequest { status: 400, ref code, ref message, .. } if code == "Bad Request" && message.contains("client_identifier"))
    );
    assert!(matches!(unauthorized, ProviderError::Authentication { code: Some(ref c), .. } if c == "Invalid API key"));
}

#[tokio::test]
async fn completion_is_a_signed_webhook_verified_into_an_onboarding_result() {
    let rx = Receiver::start(0).await;
    let env = sendzen_env().await;
    env.adapter.start_onboarding(onboard(Some(rx.url.clone()))).await.unwrap();

    env.sim.simulate("client-42", SimAction::Complete).unwrap();
    let got = rx.wait(1).await;

    let events = env.adapter.verify_webhook(&got[0].0, &got[0].1).unwrap();
    match &events[0].kind {
        ProviderEventKind::OnboardingResult { completed, waba_id, phone_number_id, client_identifier, .. } => {
            assert!(*completed);
            assert!(waba_id.is_some() && phone_number_id.is_some());
            assert_eq!(client_identifier.as_deref(), Some("client-42"));
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(events[0].event_id.len(), 64, "hash of the signed body");
}

#[tokio::test]
async fn operations_sendzen_lacks_are_unsupported_not_panics() {
    let env = sendzen_env().await;

    let errs = [
        env.adapter.cancel_invitation("x").await.unwrap_err(),
        env.adapter.list_projects().await.unwrap_err(),
        env.adapter.list_senders(None).await.unwrap_err(),
        env.adapter
            .start_onboarding(OnboardingRequest::EmbeddedSignupProject { display_name: "x".into(), labels: vec![] })
            .await
            .unwrap_err(),
    ];

    for e in errs {
        assert_eq!(e.code(), "UNSUPPORTED");
    }
    assert!(env.sim.core.requests().is_empty());
}

#[tokio::test]
async fn a_timed_out_onboard_is_uncertain_and_not_resent() {
    let env = sendzen_env().await;
    env.sim.core.inject(Fault::Latency(std::time::Duration::from_millis(1500)), 1);

    let err = env.adapter.start_onboarding(onboard(None)).await.unwrap_err();

    assert_eq!(err.code(), "PROVIDER_UNCERTAIN_CREATE");
    assert_eq!(env.sim.core.requests().len(), 1);
}
