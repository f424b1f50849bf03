//! The providers' official SDKs (`@zavudev/sdk`, `@sinch/sdk-client` + `@sinch/conversation`,
//! pinned in tests/js-sdk) against the simulators: `tests/js-sdk/sdk_check.mjs` makes
//! the calls; this test prepares the simulators, reads what the SDKs decoded and checks
//! what the simulators recorded. Skipped (with the reason printed) when
//! `tests/js-sdk/node_modules` is absent: `cd tests/js-sdk && npm ci` installs it.

use std::path::Path;

use bspgraph::domain::SenderRequest;
use bspgraph::providers::ProviderAdapter;
use bspgraph_sandbox::SimAction;
use secrecy::ExposeSecret;
use serde_json::Value;

use crate::provider_support::*;

#[tokio::test]
async fn official_sdks_succeed_against_the_simulators() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/js-sdk");
    if !dir.join("node_modules").is_dir() {
        eprintln!("skipping the SDK check: tests/js-sdk/node_modules is absent (npm ci there)");
        return;
    }
    let zavu = zavu_env().await;
    let sinch = sinch_env().await;
    let project = sinch.sim.project_id().to_owned();
    let es = SenderRequest::EmbeddedSignup {
        project_id: project.clone(),
        region: "EU".into(),
        meta_local_storage: Some("DE".into()),
        waba_id: "111".into(),
        phone_number_id: "222".into(),
    };
    let sender = sinch.adapter.create_sender(es).await.unwrap();
    sinch.sim.simulate(&sender.id, SimAction::Activate).unwrap();
    let active = sinch.adapter.get_sender(Some(&project), &sender.id).await.unwrap();
    let token = active.bearer_token.unwrap().expose_secret().to_owned();
    zavu.sim.core.clear_requests();
    sinch.sim.core.clear_requests();
    let cfg = bspgraph_sandbox::sinch::SinchSimConfig::default();
    let vars = [
        ("ZAVU_BASE", zavu.base.clone()),
        ("ZAVU_KEY", "zv_test_sandbox".to_owned()),
        ("SINCH_AUTH", format!("{}/auth", sinch.base)),
        ("SINCH_CONVERSATION", format!("{}/conversation/eu", sinch.base)),
        ("SINCH_PROJECT", project.clone()),
        ("SINCH_KEY_ID", cfg.key_id),
        ("SINCH_KEY_SECRET", cfg.key_secret),
        ("SINCH_SENDER_ID", sender.id.clone()),
        ("SINCH_SENDER_TOKEN", token),
    ];

    let script = dir.join("sdk_check.mjs");
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node").arg(script).envs(vars).output().expect("node runs")
    })
    .await
    .unwrap();

    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the SDK script failed: {stderr}");
    let got: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    let z = &got["zavu"];
    assert_eq!((z["created"].as_str(), z["cancelled"].as_str()), (Some("pending"), Some("cancelled")), "{got}");
    assert_eq!((z["read"].as_bool(), z["project"].as_str()), (Some(true), Some("prj_sandbox")));
    assert_eq!(z["listed"].as_array().unwrap().len(), 1, "the cursor iterator stopped on a null nextCursor");
    assert_eq!(z["missing"]["status"], 404);
    assert_eq!(z["missing"]["error"]["error"]["code"], "not_found", "{got}");
    let s = &got["sinch"];
    assert_eq!((s["status"].as_str(), s["read"].as_str()), (Some("ACTIVE"), Some("SDK app")), "{got}");
    assert_eq!(s["listed"][0], s["id"]);
    let zavu_paths: Vec<String> = zavu.sim.core.requests().iter().map(|r| format!("{} {}", r.method, r.path)).collect();
    assert!(zavu_paths.iter().any(|p| p == "POST /v1/invitations"), "{zavu_paths:?}");
    assert!(zavu.sim.core.requests().iter().all(|r| r.header("authorization") == Some("Bearer zv_test_sandbox")));
    let sinch_reqs = sinch.sim.core.requests();
    let token_req = sinch_reqs.iter().find(|r| r.path == "/auth/oauth2/token").expect("the SDK fetched a token");
    assert_eq!(token_req.body.as_ref(), b"grant_type=client_credentials");
    let apps: Vec<String> = sinch_reqs.iter().map(|r| format!("{} {}", r.method, r.path_only())).collect();
    let base = format!("/conversation/eu/v1/projects/{project}/apps");
    let id = s["id"].as_str().unwrap();
    for want in [format!("POST {base}"), format!("GET {base}/{id}"), format!("GET {base}")] {
        assert!(apps.contains(&want), "{want} not in {apps:?}");
    }
    assert!(sinch.adapter.health().healthy);
}
