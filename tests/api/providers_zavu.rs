//! Zavu adapter contract tests against the Zavu simulator over real HTTP.

use std::time::Duration;

use bspgraph::domain::{HostedInvitationRequest, InvitationStatus, OnboardingRequest, ProviderEventKind, SenderStatus};
use bspgraph::providers::{ProviderAdapter, ProviderError};
use bspgraph_sandbox::zavu::{ZavuLimits, ZavuSimConfig};
use bspgraph_sandbox::{Fault, SimAction};

use crate::helpers::eventually;
use crate::provider_support::*;

fn draft() -> OnboardingRequest {
    OnboardingRequest::HostedInvitation(HostedInvitationRequest {
        client_name: Some("Acme".into()),
        client_email: Some("ops@acme.test".into()),
        client_phone: Some("+14155550100".into()),
        expires_in_days: Some(14),
        allowed_phone_countries: Some(vec!["US".into(), "DE".into()]),
        ..Default::default()
    })
}

async fn create(env: &ZavuEnv) -> String {
    let start = env.adapter.start_onboarding(draft()).await.unwrap();
    start.invitation.unwrap().id.unwrap()
}

#[tokio::test]
async fn create_get_cancel_round_trip_sends_camel_case_with_bearer() {
    let env = zavu_env().await;

    let start = env.adapter.start_onboarding(draft()).await.unwrap();
    let inv = start.invitation.unwrap();
    let id = inv.id.clone().unwrap();
    let read = env.adapter.get_invitation(&id).await.unwrap();
    let cancelled = env.adapter.cancel_invitation(&id).await.unwrap();

    assert_eq!(inv.status, InvitationStatus::Pending);
    assert!(inv.url.unwrap().starts_with("https://dashboard.zavu.dev/invite/"));
    assert_eq!(read.client_email.as_deref(), Some("ops@acme.test"));
    let days = (read.expires_at.unwrap() - read.created_at.unwrap()).num_days();
    assert_eq!(days, 14);
    assert_eq!(cancelled.status, InvitationStatus::Cancelled);
    let reqs = env.sim.core.requests();
    let post = &reqs[0];
    assert_eq!((post.method.as_str(), post.path.as_str()), ("POST", "/v1/invitations"));
    assert_eq!(post.header("authorization"), Some("Bearer zv_test_sandbox"));
    let body = post.json();
    assert_eq!(body["clientName"], "Acme");
    assert_eq!(body["expiresInDays"], 14);
    assert_eq!(body["allowedPhoneCountries"][1], "DE");
    assert_eq!(reqs[2].path, format!("/v1/invitations/{id}/cancel"));
}

#[tokio::test]
async fn list_follows_the_cursor_across_pages() {
    let env = zavu_env().await;
    env.sim.seed_invitations(230);

    let all = env.adapter.list_invitations().await.unwrap();

    assert_eq!(all.len(), 230);
    let pages: Vec<String> = env.sim.core.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(pages.len(), 3, "{pages:?}");
    assert!(pages[1].contains("cursor=cur_100") && pages[2].contains("cursor=cur_200"));
}

#[tokio::test]
async fn completion_links_sender_and_meta_number_and_cancel_then_conflicts() {
    let env = zavu_env().await;
    let id = create(&env).await;

    env.sim.simulate(&id, SimAction::Complete).unwrap();
    let inv = env.adapter.get_invitation(&id).await.unwrap();
    let sender = env.adapter.get_sender(None, inv.sender_id.as_deref().unwrap()).await.unwrap();
    let senders = env.adapter.list_senders(None).await.unwrap();
    let err = env.adapter.cancel_invitation(&id).await.unwrap_err();

    assert_eq!(inv.status, InvitationStatus::Completed);
    assert_eq!(sender.status, SenderStatus::Active);
    assert_eq!(sender.phone_number_id, inv.meta_phone_number_id);
    assert_eq!(senders.len(), 1);
    assert!(matches!(&err, ProviderError::Conflict { status: 409, code, .. } if code == "already_completed"));
    let ext = serde_json::to_string(&err.extensions()).unwrap();
    assert!(ext.contains("PROVIDER_CONFLICT") && ext.contains("already_completed") && ext.contains("ZAVU"));
}

#[tokio::test]
async fn failed_keeps_reason_and_can_be_retried() {
    let env = zavu_env().await;
    let id = create(&env).await;

    env.sim.simulate(&id, SimAction::Fail).unwrap();
    let failed = env.adapter.get_invitation(&id).await.unwrap();
    env.sim.simulate(&id, SimAction::Start).unwrap();
    let retried = env.adapter.get_invitation(&id).await.unwrap();

    assert_eq!(failed.status, InvitationStatus::Failed);
    assert_eq!(failed.failure_reason.as_deref(), Some("fb_cancelled"));
    assert!(failed.failed_at.is_some());
    assert_eq!(retried.status, InvitationStatus::InProgress);
}

#[tokio::test]
async fn expiry_reads_expired_and_sends_no_webhook() {
    let rx = Receiver::start(0).await;
    let env = zavu_env().await;
    let sub = env.adapter.configure_webhook(None, &rx.url).await.unwrap();
    env.adapter.adopt_webhook_secret(sub.secret.unwrap());
    let id = create(&env).await;

    env.sim.simulate(&id, SimAction::Expire).unwrap();
    let inv = env.adapter.get_invitation(&id).await.unwrap();

    // The simulator files a delivery in its log when the change happens, before sending
    // it: an empty log means nothing is on its way.
    assert_eq!(inv.status, InvitationStatus::Expired);
    assert!(env.sim.core.webhooks.deliveries().is_empty());
    assert!(rx.got.lock().unwrap().is_empty());
}

#[tokio::test]
async fn status_changes_arrive_as_signed_webhooks_the_adapter_verifies_with_retries() {
    let rx = Receiver::start(1).await;
    let env = zavu_env().await;
    let sub = env.adapter.configure_webhook(None, &rx.url).await.unwrap();
    let id = create(&env).await;

    env.sim.simulate(&id, SimAction::Complete).unwrap();
    let got = rx.wait(2).await;

    assert!(sub.secret.is_some());
    assert_eq!(got.len(), 2);
    let events: Vec<_> = got.iter().flat_map(|(h, b)| env.adapter.verify_webhook(h, b).unwrap()).collect();
    let completed = events.iter().find_map(|e| match &e.kind {
        ProviderEventKind::InvitationStatus {
            invitation_id,
            status: InvitationStatus::Completed,
            waba_id,
            phone_number_id,
            ..
        } => Some((invitation_id.clone(), waba_id.clone(), phone_number_id.clone())),
        _ => None,
    });
    let (inv_id, waba, pnid) = completed.expect("a completed event");
    assert_eq!(inv_id, id);
    assert!(waba.is_some() && pnid.is_some());
    // The two deliveries race; whichever reached the receiver first was refused and retried.
    // The simulator counts an attempt once its answer is back, which may be just after the
    // receiver kept the body: wait for the count (bounded), not for time.
    let attempts: Vec<_> = eventually("the simulator counted the retry", || async {
        let attempts: Vec<_> = env.sim.core.webhooks.deliveries().iter().map(|d| d.attempts).collect();
        attempts.iter().any(|a| *a >= 2).then_some(attempts)
    })
    .await;
    assert!(attempts.iter().any(|a| *a >= 2), "the refused delivery was retried: {attempts:?}");
}

#[tokio::test]
async fn wrong_key_is_an_authentication_error_with_zavus_code() {
    let env = zavu_env().await;
    let bad = zavu_adapter(&env.base, "zv_test_wrong", "whsec_x", fast_http());

    let err = bad.get_invitation("inv_x").await.unwrap_err();

    assert_eq!(
        err,
        ProviderError::Authentication {
            provider: bspgraph::domain::Provider::Zavu,
            status: 401,
            code: Some("unauthorized".into())
        }
    );
    assert_eq!(err.code(), "PROVIDER_AUTHENTICATION");
    assert!(!bad.health().healthy);
}

#[tokio::test]
async fn not_found_and_invalid_input_keep_the_providers_codes() {
    let env = zavu_env().await;

    let missing = env.adapter.get_invitation("inv_missing").await.unwrap_err();
    let bad = env
        .adapter
        .start_onboarding(OnboardingRequest::HostedInvitation(HostedInvitationRequest {
            expires_in_days: Some(31),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    let unknown_number = env
        .adapter
        .start_onboarding(OnboardingRequest::HostedInvitation(HostedInvitationRequest {
            phone_number_id: Some("pn_nope".into()),
            ..Default::default()
        }))
        .await
        .unwrap_err();

    assert!(matches!(missing, ProviderError::NotFound { code: Some(ref c), .. } if c == "not_found"));
    assert!(matches!(bad, ProviderError::InvalidRequest { status: 400, ref code, .. } if code == "invalid_request"));
    assert!(matches!(unknown_number, ProviderError::NotFound { .. }));
    assert!(env.adapter.health().healthy, "answers about our input do not make the provider unhealthy");
}

#[tokio::test]
async fn rate_limit_429_waits_for_retry_after_then_succeeds() {
    let env = zavu_env().await;
    let id = create(&env).await;
    env.sim.core.clear_requests();
    env.sim.core.inject(Fault::RateLimited { retry_after_secs: 1 }, 1);

    let inv = env.adapter.get_invitation(&id).await.unwrap();

    assert_eq!(inv.id.as_deref(), Some(id.as_str()));
    let reqs = env.sim.core.requests();
    assert_eq!(reqs.len(), 2);
    let gap = reqs[1].at - reqs[0].at;
    assert!(gap >= Duration::from_millis(990), "waited {gap:?}");
    assert!(env.adapter.health().rate_limit_remaining.is_some());
}

#[tokio::test]
async fn simulator_enforces_published_limits_with_headers() {
    let cfg = ZavuSimConfig { limits: ZavuLimits { create_invitation: 2, ..Default::default() }, ..Default::default() };
    let mut http = fast_http();
    http.max_attempts = 1;
    let env = zavu_env_with(cfg, http).await;

    create(&env).await;
    create(&env).await;
    let err = env.adapter.start_onboarding(draft()).await.unwrap_err();

    assert!(
        matches!(err, ProviderError::RateLimited { retry_after: Some(_), ref code, .. } if code.as_deref() == Some("rate_limit_exceeded"))
    );
    assert_eq!(env.adapter.health().rate_limit_remaining, Some(0));
}

#[tokio::test]
async fn server_errors_retry_reads_but_never_creates() {
    let env = zavu_env().await;
    env.sim.core.inject(Fault::ServerError, 1);
    let listed = env.adapter.list_invitations().await;
    env.sim.core.clear_requests();
    env.sim.core.inject(Fault::ServerError, 1);

    let created = env.adapter.start_onboarding(draft()).await;

    assert!(listed.is_ok());
    assert!(matches!(created, Err(ProviderError::Unavailable { status: Some(500), .. })));
    assert_eq!(env.sim.core.requests().len(), 1, "a create is not retried blindly");
}

#[tokio::test]
async fn a_create_that_times_out_is_uncertain_and_sent_once() {
    let env = zavu_env().await;
    env.sim.core.inject(Fault::Latency(Duration::from_millis(1500)), 1);

    let err = env.adapter.start_onboarding(draft()).await.unwrap_err();

    assert_eq!(err.code(), "PROVIDER_UNCERTAIN_CREATE");
    // The simulator still creates it once its latency has passed: the caller must
    // reconcile by listing. Wait for that fact.
    eventually("the slow create landed", || async {
        (!env.adapter.list_invitations().await.unwrap().is_empty()).then_some(())
    })
    .await;
    assert_eq!(env.adapter.list_invitations().await.unwrap().len(), 1);
    let posts = env.sim.core.requests().iter().filter(|r| r.method == "POST").count();
    assert_eq!(posts, 1, "sent once");
}

#[tokio::test]
async fn a_read_that_times_out_is_retried_then_reported() {
    let env = zavu_env().await;
    env.sim.core.inject(Fault::Latency(Duration::from_millis(1500)), 3);

    let err = env.adapter.get_invitation("inv_x").await.unwrap_err();

    assert_eq!(err, ProviderError::Timeout { provider: bspgraph::domain::Provider::Zavu });
    assert_eq!(env.sim.core.requests().len(), 3);
}
