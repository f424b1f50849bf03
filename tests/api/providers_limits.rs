//! Rate limits as the simulators answer them and as the adapters respect them: Zavu's
//! per-endpoint windows (seed 004), Sinch's token bucket and API windows, SendZen's
//! window; each 429 in the provider's own error shape with its headers.

use std::time::Duration;

use bspgraph::domain::ProviderMode;
use bspgraph::providers::sendzen::{Sendzen, SendzenConfig};
use bspgraph::providers::sinch::Sinch;
use bspgraph::providers::{ProviderAdapter, ProviderError};
use bspgraph_sandbox::sendzen::{SendzenSim, SendzenSimConfig};
use bspgraph_sandbox::serve_standalone;
use bspgraph_sandbox::sinch::{SinchSim, SinchSimConfig};
use bspgraph_sandbox::zavu::{ZavuLimits, ZavuSimConfig};
use bspgraph_sandbox::Fault;
use serde_json::{json, Value};

use crate::provider_support::*;

async fn answer(req: reqwest::RequestBuilder) -> (u16, reqwest::header::HeaderMap, Value) {
    let resp = req.send().await.unwrap();
    let (status, headers) = (resp.status().as_u16(), resp.headers().clone());
    let text = resp.text().await.unwrap();
    (status, headers, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn header(h: &reqwest::header::HeaderMap, name: &str) -> Option<String> {
    h.get(name).map(|v| v.to_str().unwrap().to_owned())
}

#[tokio::test]
async fn zavu_limits_are_per_endpoint_and_match_the_adapters_table() {
    let env = zavu_env().await;
    let c = reqwest::Client::new();
    let auth = "Bearer zv_test_sandbox";
    let (_, _, created) =
        answer(c.post(format!("{}/v1/invitations", env.base)).header("authorization", auth).json(&json!({}))).await;
    let id = created["invitation"]["id"].as_str().unwrap().to_owned();
    let calls = [
        ("create_invitation", c.post(format!("{}/v1/invitations", env.base)).json(&json!({}))),
        ("list_invitations", c.get(format!("{}/v1/invitations", env.base))),
        ("get_invitation", c.get(format!("{}/v1/invitations/{id}", env.base))),
        ("cancel_invitation", c.post(format!("{}/v1/invitations/{id}/cancel", env.base))),
        ("list_senders", c.get(format!("{}/v1/senders", env.base))),
        ("me", c.get(format!("{}/v1/me", env.base))),
    ];

    let mut seen = Vec::new();
    for (op, req) in calls {
        let (_, h, _) = answer(req.header("authorization", auth)).await;
        seen.push((op, header(&h, "x-ratelimit-limit"), header(&h, "x-ratelimit-remaining")));
    }

    let table = bspgraph::providers::zavu::BUCKETS;
    for (op, limit, _) in &seen {
        let ours = table.iter().find(|(n, _)| n == op).map(|(_, l)| l.to_string());
        assert_eq!(limit.as_deref(), ours.as_deref(), "{op}: simulator and adapter disagree");
    }
    let limits: Vec<&str> = seen.iter().map(|(_, l, _)| l.as_deref().unwrap()).collect();
    assert_eq!(limits, ["100", "200", "200", "100", "1000", "1000"], "seed 004 and the overview page");
    assert_eq!(seen[0].2.as_deref(), Some("98"), "two creates counted in the create window");
    assert_eq!(seen[3].2.as_deref(), Some("99"), "the cancel window is its own");
}

#[tokio::test]
async fn a_full_create_window_leaves_cancel_and_get_alone() {
    let limits = ZavuLimits { create_invitation: 2, ..Default::default() };
    let mut http = fast_http();
    http.max_attempts = 1;
    let env = zavu_env_with(ZavuSimConfig { limits, ..Default::default() }, http).await;
    let draft =
        || bspgraph::domain::OnboardingRequest::HostedInvitation(bspgraph::domain::HostedInvitationRequest::default());
    let first = env.adapter.start_onboarding(draft()).await.unwrap().invitation.unwrap().id.unwrap();
    env.adapter.start_onboarding(draft()).await.unwrap();

    let refused = env.adapter.start_onboarding(draft()).await.unwrap_err();
    let read = env.adapter.get_invitation(&first).await;
    let cancelled = env.adapter.cancel_invitation(&first).await;

    assert!(
        matches!(refused, ProviderError::RateLimited { retry_after: Some(_), ref code, .. } if code.as_deref() == Some("rate_limit_exceeded")),
        "{refused:?}"
    );
    assert!(read.is_ok() && cancelled.is_ok());
    let last_create = env.sim.core.requests().into_iter().filter(|r| r.path == "/v1/invitations").count();
    assert_eq!(last_create, 3);
}

#[tokio::test]
async fn sinch_token_endpoint_is_a_bucket_of_thirty_answering_429_without_retry_after() {
    let cfg = SinchSimConfig::default();
    let sim = SinchSim::new(cfg.clone());
    let base = serve_standalone(sim.router()).await.unwrap();
    let c = reqwest::Client::new();
    let token = || {
        c.post(format!("{base}/auth/oauth2/token"))
            .basic_auth(&cfg.key_id, Some(&cfg.key_secret))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("grant_type=client_credentials")
            .send()
    };

    let answers = futures_util::future::join_all((0..60).map(|_| token())).await;

    let statuses: Vec<u16> = answers.iter().map(|r| r.as_ref().unwrap().status().as_u16()).collect();
    assert!(statuses.iter().filter(|s| **s == 200).count() >= 30, "{statuses:?}");
    let refused = answers.into_iter().map(Result::unwrap).find(|r| r.status() == 429).expect("a 429");
    assert!(refused.headers().get("retry-after").is_none(), "Sinch's token 429 has no Retry-After");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "too_many_requests", "{body}");
    assert!(body["error_description"].is_string());
}

fn sinch_with(cfg: &SinchSimConfig, base: &str, http: bspgraph::providers::transport::HttpSettings) -> Sinch {
    Sinch::new(sinch_config(base, cfg, &cfg.key_secret, http)).unwrap()
}

#[tokio::test]
async fn the_adapter_waits_out_a_token_429_and_honours_retry_after() {
    let cfg = SinchSimConfig { token_bucket: (1, 10), ..Default::default() };
    let sim = SinchSim::new(cfg.clone());
    let base = serve_standalone(sim.router()).await.unwrap();
    let mut http = fast_http();
    http.base_backoff = Duration::from_millis(100);
    let drained = reqwest::Client::new()
        .post(format!("{base}/auth/oauth2/token"))
        .basic_auth(&cfg.key_id, Some(&cfg.key_secret))
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    let refill = sinch_with(&cfg, &base, http);

    let after_refill = refill.check_credentials().await;
    sim.core.clear_requests();
    sim.core.inject(Fault::RateLimited { retry_after_secs: 1 }, 1);
    let told = sinch_with(&cfg, &base, http).check_credentials().await;

    assert_eq!(drained.status().as_u16(), 200);
    assert!(after_refill.is_ok(), "{after_refill:?}");
    assert!(refill.tokens().fetches() >= 2, "the first answer was a 429, then a retry");
    assert!(told.is_ok(), "{told:?}");
    let reqs = sim.core.requests();
    assert_eq!(reqs.len(), 2);
    assert!(reqs[1].at - reqs[0].at >= Duration::from_millis(990), "Retry-After: 1 was honoured");
}

#[tokio::test]
async fn token_429s_are_retried_a_bounded_number_of_times() {
    let cfg = SinchSimConfig { token_bucket: (1, 1), ..Default::default() };
    let sim = SinchSim::new(cfg.clone());
    let base = serve_standalone(sim.router()).await.unwrap();
    let adapter = sinch_with(&cfg, &base, fast_http());
    adapter.check_credentials().await.unwrap();
    adapter.tokens().invalidate().await;

    let err = adapter.check_credentials().await.unwrap_err();

    assert!(matches!(err, ProviderError::RateLimited { .. }), "{err:?}");
    assert_eq!(adapter.tokens().fetches(), 1 + fast_http().max_attempts as u64);
    assert_eq!(sim.tokens_issued(), 1);
}

#[tokio::test]
async fn sinch_apis_answer_429_beyond_their_minute_limit_in_their_own_shapes() {
    let cfg = SinchSimConfig { api_limit_per_min: 2, ..Default::default() };
    let sim = SinchSim::new(cfg.clone());
    let base = serve_standalone(sim.router()).await.unwrap();
    let c = reqwest::Client::new();
    let basic = |r: reqwest::RequestBuilder| r.basic_auth(&cfg.key_id, Some(&cfg.key_secret));
    let subs = format!("{base}/subproject/v1/projects/{}/subprojects", cfg.project_id);
    let hooks = format!("{base}/provisioning/v1/projects/{}/webhooks", cfg.project_id);

    let mut sub_answers = Vec::new();
    for _ in 0..3 {
        sub_answers.push(answer(basic(c.get(&subs))).await);
    }
    let mut prov_answers = Vec::new();
    for _ in 0..3 {
        prov_answers.push(answer(basic(c.get(&hooks))).await);
    }

    let statuses = |a: &[(u16, reqwest::header::HeaderMap, Value)]| a.iter().map(|x| x.0).collect::<Vec<_>>();
    assert_eq!(statuses(&sub_answers), [200, 200, 429], "the subprojects window is its own");
    assert_eq!(statuses(&prov_answers), [200, 200, 429], "the provisioning window is its own");
    let (_, h, rpc) = &sub_answers[2];
    assert!(header(h, "retry-after").is_some());
    assert_eq!(rpc["error"]["code"], 429);
    assert_eq!(rpc["error"]["status"], "RESOURCE_EXHAUSTED");
    assert!(rpc["error"]["details"].is_array());
    let (_, h, papi) = &prov_answers[2];
    assert!(header(h, "retry-after").is_some());
    assert_eq!(papi["errorCode"], "too_many_requests");
    assert!(papi["message"].is_string() && papi["resolution"].is_string());
}

#[tokio::test]
async fn sendzen_answers_429_beyond_its_minute_limit_per_key() {
    let cfg = SendzenSimConfig { limit_per_min: 2, ..Default::default() };
    let sim = SendzenSim::new(cfg.clone());
    let base = serve_standalone(sim.router()).await.unwrap();
    let mut one_try = fast_http();
    one_try.max_attempts = 1;
    let adapter = Sendzen::new(SendzenConfig {
        base_url: base.clone(),
        partner_key: secret(&cfg.partner_key),
        webhook_secrets: vec![secret(&cfg.webhook_secret)],
        mode: ProviderMode::Sandbox,
        http: one_try,
    })
    .unwrap();
    let c = reqwest::Client::new();
    let check = |key: &str| c.get(format!("{base}/v1/auth/api_key")).bearer_auth(key.to_owned());

    let first = answer(check(&cfg.partner_key)).await;
    let second = answer(check(&cfg.partner_key)).await;
    let third = answer(check(&cfg.partner_key)).await;
    let other_key = answer(check("sk_test_someone_else")).await;
    let err = adapter.check_credentials().await.unwrap_err();

    assert_eq!((first.0, second.0, third.0), (200, 200, 429));
    assert!(header(&third.1, "retry-after").is_some());
    assert_eq!(third.2, json!({ "error": "Too Many Requests", "message": "Rate limit exceeded, retry later" }));
    assert_eq!(other_key.0, 401, "another key has its own window (and is unknown)");
    assert!(matches!(err, ProviderError::RateLimited { retry_after: Some(_), .. }), "{err:?}");
}
