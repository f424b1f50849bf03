//! Fidelity: the simulators' answers against the reference's wire shapes (field names
//! and casing, wrappers, status codes, error bodies), over raw HTTP, so a drift in a
//! simulator (or in what the adapters expect) is caught. Also: with no credentials the
//! app serves all three providers in SANDBOX mode, healthy.

use bspgraph_sandbox::sendzen::{SendzenSim, SendzenSimConfig};
use bspgraph_sandbox::serve_standalone;
use bspgraph_sandbox::sinch::{SinchSim, SinchSimConfig};
use bspgraph_sandbox::zavu::{ZavuSim, ZavuSimConfig};
use bspgraph_sandbox::SimAction;
use serde_json::{json, Value};

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default();
    k.sort();
    k
}

fn has_all(v: &Value, names: &[&str]) {
    for n in names {
        assert!(v.get(n).is_some(), "missing {n} in {v}");
    }
}

async fn send(req: reqwest::RequestBuilder) -> (u16, Value) {
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (status, if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() })
}

#[tokio::test]
async fn zavu_shapes() {
    let sim = ZavuSim::new(ZavuSimConfig::default());
    let base = serve_standalone(sim.router()).await.unwrap();
    let c = reqwest::Client::new();
    let auth = "Bearer zv_test_sandbox";

    let (s, created) =
        send(c.post(format!("{base}/v1/invitations")).header("authorization", auth).json(&json!({"clientName": "A"})))
            .await;
    assert_eq!(s, 201);
    assert_eq!(keys(&created), ["invitation"]);
    let inv = &created["invitation"];
    has_all(
        inv,
        &[
            "id",
            "token",
            "url",
            "status",
            "createdAt",
            "updatedAt",
            "expiresAt",
            "clientName",
            "clientEmail",
            "clientPhone",
            "phoneNumberId",
            "senderId",
            "connectionType",
            "connectedAccount",
            "failureReason",
            "viewedAt",
            "startedAt",
            "completedAt",
            "failedAt",
        ],
    );
    assert_eq!(inv["status"], "pending");
    assert_eq!(inv["connectionType"], "whatsapp_waba");
    assert!(inv["url"].as_str().unwrap().ends_with(inv["token"].as_str().unwrap()));
    let id = inv["id"].as_str().unwrap().to_owned();

    let (s, got) = send(c.get(format!("{base}/v1/invitations/{id}")).header("authorization", auth)).await;
    assert_eq!((s, keys(&got)), (200, vec!["invitation".to_owned()]));
    let (s, list) = send(c.get(format!("{base}/v1/invitations?limit=1")).header("authorization", auth)).await;
    assert_eq!((s, keys(&list)), (200, vec!["items".to_owned(), "nextCursor".to_owned()]));
    assert!(list["nextCursor"].is_null());
    sim.simulate(&id, SimAction::Complete).unwrap();
    let (_, done) = send(c.get(format!("{base}/v1/invitations/{id}")).header("authorization", auth)).await;
    assert_eq!(done["invitation"]["status"], "completed");
    assert_eq!(keys(&done["invitation"]["connectedAccount"]), ["channel", "id", "name"]);
    let sender_id = done["invitation"]["senderId"].as_str().unwrap();
    let (s, sender) = send(c.get(format!("{base}/v1/senders/{sender_id}")).header("authorization", auth)).await;
    assert_eq!(s, 200);
    has_all(&sender, &["id", "name", "phoneNumber", "channels", "whatsapp"]);
    assert!(sender.get("sender").is_none(), "senders are bare");
    let (s, senders) = send(c.get(format!("{base}/v1/senders")).header("authorization", auth)).await;
    assert_eq!((s, keys(&senders)), (200, vec!["items".to_owned(), "nextCursor".to_owned()]));
    let (s, cancel) = send(c.post(format!("{base}/v1/invitations/{id}/cancel")).header("authorization", auth)).await;
    assert_eq!(s, 409);
    assert_eq!(keys(&cancel), ["error"]);
    assert_eq!(keys(&cancel["error"]), ["code", "message"]);
    assert_eq!(cancel["error"]["code"], "already_completed");
    let (s, pn) = send(c.get(format!("{base}/v1/phone-numbers/pn_sandbox0")).header("authorization", auth)).await;
    assert_eq!((s, keys(&pn)), (200, vec!["phoneNumber".to_owned()]));
    has_all(&pn["phoneNumber"], &["id", "phoneNumber", "capabilities", "createdAt", "pricing", "status"]);
    let (s, hook) = send(
        c.post(format!("{base}/v1/invitations/webhook"))
            .header("authorization", auth)
            .json(&json!({"url": "https://x.test/h", "events": ["invitation.status_changed"]})),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(keys(&hook["webhook"]), ["active", "events", "secret", "url"]);
    let (s, me) = send(c.get(format!("{base}/v1/me")).header("authorization", auth)).await;
    assert_eq!(s, 200);
    has_all(&me, &["apiKey", "isTestMode", "project", "team"]);
    let (s, unauth) = send(c.get(format!("{base}/v1/invitations")).header("authorization", "Bearer nope")).await;
    assert_eq!((s, keys(&unauth["error"])), (401, vec!["code".to_owned(), "message".to_owned()]));
    let resp = c.get(format!("{base}/v1/invitations")).header("authorization", auth).send().await.unwrap();
    for h in ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"] {
        assert!(resp.headers().contains_key(h), "missing {h}");
    }
}

#[tokio::test]
async fn sinch_shapes() {
    let cfg = SinchSimConfig::default();
    let sim = SinchSim::new(cfg.clone());
    let base = serve_standalone(sim.router()).await.unwrap();
    let c = reqwest::Client::new();

    let (s, token) = send(
        c.post(format!("{base}/auth/oauth2/token"))
            .basic_auth(&cfg.key_id, Some(&cfg.key_secret))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("grant_type=client_credentials"),
    )
    .await;
    assert_eq!(
        (s, keys(&token)),
        (200, vec!["access_token".to_owned(), "expires_in".to_owned(), "scope".to_owned(), "token_type".to_owned()])
    );
    let bearer = format!("Bearer {}", token["access_token"].as_str().unwrap());
    let (s, bad_token) = send(
        c.post(format!("{base}/auth/oauth2/token")).basic_auth("x", Some("y")).body("grant_type=client_credentials"),
    )
    .await;
    assert_eq!(s, 401);
    has_all(&bad_token, &["error", "error_description"]);

    let (s, sub) = send(
        c.post(format!("{base}/subproject/v1/projects/{}/subprojects", cfg.project_id))
            .header("authorization", &bearer)
            .json(&json!({"displayName": "A", "labels": {"k": "v"}})),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(
        keys(&sub),
        ["createTime", "deleted", "displayName", "labels", "parentProjectId", "subprojectId", "updateTime"]
    );
    let pid = sub["subprojectId"].as_str().unwrap().to_owned();
    let (s, subs) = send(
        c.get(format!("{base}/subproject/v1/projects/{}/subprojects", cfg.project_id)).header("authorization", &bearer),
    )
    .await;
    assert_eq!((s, keys(&subs)), (200, vec!["nextPageToken".to_owned(), "subprojects".to_owned()]));
    assert_eq!(subs["nextPageToken"], "");
    let (s, rpc) = send(c.get(format!("{base}/subproject/v1/subprojects/nope")).header("authorization", &bearer)).await;
    assert_eq!(s, 404);
    assert_eq!(keys(&rpc["error"]), ["code", "details", "message", "status"]);
    assert_eq!((rpc["error"]["code"].clone(), rpc["error"]["status"].clone()), (json!(404), json!("NOT_FOUND")));

    let prov = format!("{base}/provisioning/v1/projects/{pid}");
    let (s, acc) = send(
        c.post(format!("{prov}/whatsapp"))
            .header("authorization", &bearer)
            .json(&json!({"companyLegalName": "A", "clientBusinessManagerId": "bm"})),
    )
    .await;
    assert_eq!(s, 201);
    has_all(&acc, &["isEmbeddedSignup", "businessManager", "wabaMaxPriceOnboarded", "compatibleRegions", "changes"]);
    assert_eq!(acc["changes"]["status"], "IN_PROGRESS");
    assert!(acc.get("state").is_none());
    let (s, dup) = send(
        c.post(format!("{prov}/whatsapp"))
            .header("authorization", &bearer)
            .json(&json!({"clientBusinessManagerId": "bm"})),
    )
    .await;
    assert_eq!(s, 409);
    assert_eq!(keys(&dup), ["errorCode", "message", "resolution"]);
    assert_eq!(dup["errorCode"], "account_exists");

    let (s, es) = send(
        c.post(format!("{base}/provisioning/v1/projects/{}/whatsapp/senders", cfg.project_id))
            .header("authorization", &bearer)
            .json(&json!({"region": "EU", "metaLocalStorage": "DE", "wabaId": "1", "phoneNumberId": "2"})),
    )
    .await;
    assert_eq!(s, 201);
    has_all(
        &es,
        &[
            "id",
            "region",
            "metaLocalStorage",
            "businessManager",
            "compatibleRegions",
            "cloudApi",
            "changes",
            "created",
            "modified",
        ],
    );
    assert!(es.get("state").is_none(), "an ES sender starts with only changes");
    assert_eq!(es["changes"]["status"], "IN_PROGRESS");
    let sid = es["id"].as_str().unwrap().to_owned();
    let senders_url = format!("{base}/provisioning/v1/projects/{}/whatsapp/senders", cfg.project_id);
    let (s, list) = send(c.get(&senders_url).header("authorization", &bearer)).await;
    assert_eq!(s, 200);
    has_all(&list, &["totalSize", "pageSize", "senders"]);
    let (s, reg) = send(
        c.post(format!("{senders_url}/{sid}/register"))
            .header("authorization", &bearer)
            .json(&json!({"method": "SMS"})),
    )
    .await;
    assert_eq!((s, reg["errorCode"].clone()), (409, json!("not_allowed_register")));
    sim.simulate(&sid, SimAction::Activate).unwrap();
    let (s, active) = send(c.get(format!("{senders_url}/{sid}")).header("authorization", &bearer)).await;
    assert_eq!((s, active["state"].clone()), (200, json!("ACTIVE")));
    assert!(active["bearerToken"].is_string());
    let (s, app) = send(c.post(format!("{base}/conversation/eu/v1/projects/{}/apps", cfg.project_id)).header("authorization", &bearer).json(&json!({
        "display_name": "A",
        "channel_credentials": [{"channel": "WHATSAPP", "static_bearer": {"claimed_identity": sid, "token": active["bearerToken"]}}]
    }))).await;
    assert_eq!(s, 200);
    has_all(&app, &["id", "display_name", "channel_credentials", "rate_limits", "retention_policy", "processing_mode"]);
    assert_eq!(keys(&app["rate_limits"]), ["inbound", "outbound", "webhooks"]);
    let (s, del) = send(c.delete(format!("{senders_url}/{sid}")).header("authorization", &bearer)).await;
    assert_eq!((s, del), (204, Value::Null));
    let (s, hook) = send(
        c.post(format!("{prov}/webhooks"))
            .header("authorization", &bearer)
            .json(&json!({"target": "https://x.test/h", "secret": "s", "triggers": ["ALL"]})),
    )
    .await;
    assert_eq!(
        (s, keys(&hook)),
        (201, vec!["id".to_owned(), "projectId".to_owned(), "target".to_owned(), "triggers".to_owned()])
    );
    let (s, hooks) = send(c.get(format!("{prov}/webhooks")).header("authorization", &bearer)).await;
    assert_eq!(s, 200);
    assert_eq!(keys(&hooks), ["nextPageToken", "pageSize", "previousPageToken", "totalSize", "webhooks"]);
    let (s, unauth) = send(c.get(format!("{prov}/whatsapp")).header("authorization", "Bearer nope")).await;
    assert_eq!((s, unauth["errorCode"].clone()), (401, json!("unauthorized_error")));
    sim.expire_tokens();
    let resp = c.get(format!("{prov}/whatsapp")).header("authorization", &bearer).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    assert!(resp.headers()["www-authenticate"].to_str().unwrap().contains("expired"));
}

#[tokio::test]
async fn sendzen_shapes() {
    let cfg = SendzenSimConfig::default();
    let sim = SendzenSim::new(cfg.clone());
    let base = serve_standalone(sim.router()).await.unwrap();
    let c = reqwest::Client::new();
    let auth = format!("Bearer {}", cfg.partner_key);

    let (s, ok) = send(
        c.post(format!("{base}/v1/partner/onboard"))
            .header("authorization", &auth)
            .json(&json!({"client_identifier": "c1", "client_webhook_url": "https://x.test/h"})),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(keys(&ok), ["iframe_url", "user_data", "webhook"]);
    assert_eq!(keys(&ok["user_data"]), ["api_key", "client_identifier", "project_id", "project_name"]);
    assert_eq!(keys(&ok["webhook"]), ["detail", "url", "valid"]);
    let (s, bad) =
        send(c.post(format!("{base}/v1/partner/onboard")).header("authorization", &auth).json(&json!({}))).await;
    assert_eq!((s, keys(&bad)), (400, vec!["error".to_owned(), "message".to_owned()]));
    let (s, unauth) = send(
        c.post(format!("{base}/v1/partner/onboard"))
            .header("authorization", "Bearer no")
            .json(&json!({"client_identifier": "c"})),
    )
    .await;
    assert_eq!((s, unauth["error"].clone()), (401, json!("Invalid API key")));
    let customer = format!("Bearer {}", ok["user_data"]["api_key"].as_str().unwrap());
    let (s, _) = send(c.get(format!("{base}/v1/auth/api_key")).header("authorization", &customer)).await;
    assert_eq!(s, 200);
    let (s, logs) = send(c.get(format!("{base}/v1/logs?pageSize=20")).header("authorization", &customer)).await;
    assert_eq!((s, keys(&logs)), (200, vec!["data".to_owned(), "message".to_owned()]));
    assert!(logs["data"]["logs"].is_array());
}

#[tokio::test]
async fn without_credentials_all_three_providers_are_sandboxed_and_healthy() {
    let app = crate::helpers::spawn_app().await;
    let query = "{ providers { provider mode healthy lastError lastSyncAt capabilities } }";

    let body = crate::helpers::eventually("every startup check recorded", || async {
        let body = app.gql(query, json!({})).await;
        let checked =
            body["data"]["providers"].as_array().is_some_and(|a| a.iter().all(|p| p["lastSyncAt"].is_string()));
        checked.then_some(body)
    })
    .await;

    let providers = body["data"]["providers"].as_array().unwrap();
    let names: Vec<&str> = providers.iter().map(|p| p["provider"].as_str().unwrap()).collect();
    assert_eq!(names, ["SENDZEN", "ZAVU", "SINCH"]);
    for p in providers {
        assert_eq!(p["mode"], "SANDBOX", "{p}");
        assert_eq!(p["healthy"], true, "{p}");
        assert!(p["lastSyncAt"].is_string(), "the startup check reached the simulator: {p}");
    }
    assert!(providers[1]["capabilities"].as_array().unwrap().contains(&json!("CANCEL_INVITATION")));
    assert!(providers[2]["capabilities"].as_array().unwrap().contains(&json!("EMBEDDED_SIGNUP")));
}
