//! Live mode end to end, on two servers: the simulators run as their own server (in
//! place of the real providers), and bspgraph runs with every provider LIVE, configured
//! only through its settings and with webhook secrets of the operator's own. The
//! customer's part is played at the simulators; bspgraph is never asked to `refresh`.
//! Each flow must complete by the providers' webhooks alone, or by the poller alone
//! when every webhook is dropped, with its sender and WABA filed once. The flow tests
//! run on SQLite, then on PostgreSQL when `TEST_DATABASE_URL` is set.

use bspgraph::domain::Provider;
use bspgraph_sandbox::{Fault, Sandbox, SandboxConfig, SimAction};
use serde_json::{json, Value};

use crate::helpers::{eventually, postgres_for, spawn_live, spawn_live_on, TestApp, TEST_SECRET_KEY};

/// What the Zavu simulator issues when a webhook URL is registered.
const ZAVU_ISSUED: &str = "whsec_issued_at_registration_0a1b2c3d";
const SENDZEN_SECRET: &str = "operator-sendzen-live-flows-6a7b";

struct TwoServers {
    app: TestApp,
    sim: Sandbox,
}

/// bspgraph LIVE against the simulators at `sim`, configured as the README says (the
/// sandbox credentials and the simulators' URLs), serving on `port`
/// and registering its webhooks there. SendZen's webhook secret is the caller's.
async fn live_against(
    sim: &str,
    port: u16,
    db: Option<&str>,
    adjust: impl FnOnce(&mut bspgraph::config::Settings),
) -> TestApp {
    let configure = |s: &mut bspgraph::config::Settings| {
        s.listen = format!("127.0.0.1:{port}").parse().unwrap();
        s.public_url = Some(format!("http://127.0.0.1:{port}"));
        s.secret_key = Some(TEST_SECRET_KEY.to_owned().into());
        let p = &mut s.providers;
        p.zavu_api_key = Some("zv_test_sandbox".to_owned().into());
        p.zavu_base_url = format!("{sim}/sandbox/zavu");
        // No Zavu secret configured: Zavu issues one when bspgraph registers its URL.
        p.sinch_key_id = Some("sandbox-key-id".to_owned());
        p.sinch_key_secret = Some("sandbox-key-secret".to_owned().into());
        p.sinch_project_id = Some("sandbox-project".to_owned());
        p.sinch_auth_url = format!("{sim}/sandbox/sinch/auth");
        p.sinch_provisioning_url = format!("{sim}/sandbox/sinch/provisioning");
        p.sinch_subproject_url = format!("{sim}/sandbox/sinch/subproject");
        p.sinch_conversation_url = format!("{sim}/sandbox/sinch/conversation/{{region}}");
        // No Sinch secret configured either: bspgraph makes one and registers it.
        p.sendzen_partner_api_key = Some("sz_partner_sandbox".to_owned().into());
        p.sendzen_base_url = format!("{sim}/sandbox/sendzen");
        adjust(s);
    };
    match db {
        Some(url) => spawn_live_on(url, configure).await,
        None => spawn_live(configure).await,
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The simulator server, then bspgraph LIVE against it on SQLite (`poll`: a 0.2 s poller).
async fn two_servers(poll: bool) -> TwoServers {
    two_servers_on(None, poll).await
}

/// Run `flow` on two servers with SQLite, then again with PostgreSQL when
/// `TEST_DATABASE_URL` is set (otherwise the skip is printed).
async fn on_each_backend<F, Fut>(name: &str, poll: bool, flow: F)
where
    F: Fn(TwoServers) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    flow(two_servers_on(None, poll).await).await;
    if let Some(url) = postgres_for(&format!("the PostgreSQL run of {name}")).await {
        flow(two_servers_on(Some(&url), poll).await).await;
    }
}

/// [`two_servers`] on the database `db` (SQLite in a temporary directory when `None`).
async fn two_servers_on(db: Option<&str>, poll: bool) -> TwoServers {
    let port = free_port();
    // The simulators deliver only to what bspgraph registers through their APIs (Zavu's
    // invitation webhook, Sinch's provisioning webhooks) or gives at onboarding (SendZen).
    let mut config = SandboxConfig::default();
    config.zavu.webhook_secret = ZAVU_ISSUED.into();
    config.sendzen.webhook_secret = SENDZEN_SECRET.into();
    let sim = Sandbox::new(config.clone());
    let sim_url = bspgraph_sandbox::serve_standalone(sim.router()).await.unwrap();
    let app = live_against(&sim_url, port, db, |s| {
        s.providers.sendzen_webhook_secrets = vec![SENDZEN_SECRET.to_owned().into()];
        if poll {
            s.live.poll_interval_secs = 0.2;
        }
    })
    .await;
    assert!(app.state.sandbox.is_none(), "no simulator inside the LIVE server");
    let env = TwoServers { app, sim };
    env.registered().await;
    env
}

const INV: &str = "id providerId status sender { providerId status } waba { wabaId } project { providerId }";

impl TwoServers {
    async fn gql(&self, query: &str, variables: Value) -> Value {
        let value = self.app.gql(query, variables).await;
        assert!(value.get("errors").is_none(), "unexpected errors: {value}");
        value["data"].clone()
    }

    async fn start(&self, input: Value) -> Value {
        let q = format!(
            "mutation($i: StartOnboardingInput!) {{ startOnboarding(input: $i) {{ invitation {{ {INV} }} userErrors {{ code message }} }} }}"
        );
        let started = self.gql(&q, json!({ "i": input })).await["startOnboarding"].clone();
        assert_eq!(started["userErrors"], json!([]), "{started}");
        started["invitation"].clone()
    }

    async fn invitation(&self, id: &str) -> Value {
        let q = format!("query($id: ID!) {{ node(id: $id) {{ ... on Invitation {{ {INV} }} }} }}");
        self.gql(&q, json!({ "id": id })).await["node"].clone()
    }

    /// A Sinch embedded signup the customer finished at Meta: the invitation started and
    /// `completeOnboarding` sent, so bspgraph created the sender. (invitation id, the
    /// sender's reading then.)
    async fn sinch_signed_up(&self, client: &str, waba: &str, phone: &str) -> (String, Value) {
        let input = json!({ "provider": "SINCH", "client": { "name": client }, "sinch": { "region": "EU" } });
        let id = self.start(input).await["id"].as_str().unwrap().to_owned();
        let q = format!(
            "mutation($i: CompleteOnboardingInput!) {{ completeOnboarding(input: $i) {{ invitation {{ {INV} }} userErrors {{ code }} }} }}"
        );
        let input = json!({ "invitationId": id, "wabaId": waba, "phoneNumberId": phone });
        let provisioning = self.gql(&q, json!({ "i": input })).await["completeOnboarding"].clone();
        assert_eq!(provisioning["userErrors"], json!([]), "{provisioning}");
        (id, provisioning["invitation"]["sender"].clone())
    }

    /// A Zavu invitation for a new client `name` whose customer opens the link and
    /// finishes at the simulator; its reading once `COMPLETED` (bounded wait).
    async fn zavu_customer_finishes(&self, name: &str) -> Value {
        let inv = self.start(json!({ "provider": "ZAVU", "client": { "name": name } })).await;
        let pid = inv["providerId"].as_str().unwrap();
        self.sim.simulate(bspgraph_sandbox::SimProvider::Zavu, pid, SimAction::Start).unwrap();
        self.sim.simulate(bspgraph_sandbox::SimProvider::Zavu, pid, SimAction::Complete).unwrap();
        self.completed(inv["id"].as_str().unwrap()).await
    }

    /// Wait until invitation `id` is `COMPLETED` with its sender.
    async fn completed(&self, id: &str) -> Value {
        self.until(id, |i| i["status"] == "COMPLETED" && !i["sender"].is_null()).await
    }

    /// Wait until invitation `id` reads as `done` says; that reading.
    async fn until(&self, id: &str, done: impl Fn(&Value) -> bool) -> Value {
        eventually(&format!("invitation {id} in the awaited state"), || async {
            let reading = self.invitation(id).await;
            done(&reading).then_some(reading)
        })
        .await
    }

    /// The event log as `Type:FROM>TO:SOURCE` (`-` for no previous status).
    async fn events(&self) -> Vec<String> {
        let q = "{ events(first: 100) { edges { node { source previousStatus status node { __typename } } } } }";
        let data = self.gql(q, json!({})).await;
        let edges = data["events"]["edges"].as_array().cloned().unwrap_or_default();
        edges
            .iter()
            .map(|e| {
                let n = &e["node"];
                let typename = n["node"]["__typename"].as_str().unwrap_or("?");
                let from = n["previousStatus"].as_str().unwrap_or("-");
                format!(
                    "{typename}:{from}>{}:{}",
                    n["status"].as_str().unwrap_or("?"),
                    n["source"].as_str().unwrap_or("?")
                )
            })
            .collect()
    }

    /// Wait until the startup registrations (Zavu, Sinch) are recorded; the `providers`
    /// rows then.
    async fn registered(&self) -> Value {
        let q = "{ providers { provider webhook { target registeredAt lastError hasIssuedSecret } } }";
        eventually("the webhooks registered at startup", || async {
            let data = self.gql(q, json!({})).await;
            let rows = data["providers"].as_array().cloned().unwrap_or_default();
            let done = |p: &str| rows.iter().any(|r| r["provider"] == p && r["webhook"]["registeredAt"].is_string());
            (done("ZAVU") && done("SINCH")).then(|| data["providers"].clone())
        })
        .await
    }

    fn drop_every_webhook(&self) {
        for core in [&self.sim.zavu.core, &self.sim.sinch.core, &self.sim.sendzen.core] {
            core.inject(Fault::DropWebhook, 10_000);
        }
    }
}

#[tokio::test]
async fn startup_registers_the_webhooks_and_seals_the_secret_zavu_issued() {
    // Arrange + Act: startup.
    let env = two_servers(false).await;

    // Assert
    let rows = env.registered().await;
    let zavu = rows.as_array().unwrap().iter().find(|r| r["provider"] == "ZAVU").unwrap();
    let me = env.app.url("/webhooks/zavu");
    assert_eq!(zavu["webhook"]["target"], me.as_str(), "{rows}");
    assert_eq!(zavu["webhook"]["hasIssuedSecret"], true, "{rows}");
    let sinch = rows.as_array().unwrap().iter().find(|r| r["provider"] == "SINCH").unwrap();
    assert_eq!(sinch["webhook"]["lastError"], Value::Null, "{rows}");
    assert_eq!(sinch["webhook"]["hasIssuedSecret"], true, "the secret bspgraph made is kept: {rows}");
    let posted =
        env.sim.zavu.core.requests().into_iter().find(|r| r.method == "POST" && r.path == "/v1/invitations/webhook");
    assert_eq!(posted.unwrap().json()["url"], me.as_str());
    let hooks =
        env.sim.sinch.core.requests().into_iter().filter(|r| r.method == "POST" && r.path.ends_with("/webhooks"));
    let body = hooks.last().unwrap().json();
    assert_eq!(
        (body["target"].as_str(), body["triggers"].clone()),
        (Some(env.app.url("/webhooks/sinch").as_str()), json!(["ALL"]))
    );
    use sea_orm::ConnectionTrait;
    let db = env.app.db().await;
    let backend = db.get_database_backend();
    let row = db
        .query_one(sea_orm::Statement::from_string(
            backend,
            "SELECT secret FROM webhook_registrations WHERE provider = 'ZAVU'",
        ))
        .await
        .unwrap()
        .unwrap();
    let sealed: Vec<u8> = row.try_get("", "secret").unwrap();
    assert!(!sealed.windows(ZAVU_ISSUED.len()).any(|w| w == ZAVU_ISSUED.as_bytes()), "sealed, not in clear");
}

#[tokio::test]
async fn zavu_completes_by_webhook_alone_with_its_sender_and_waba() {
    // Arrange
    on_each_backend("zavu_completes_by_webhook_alone_with_its_sender_and_waba", false, |env| async move {
        // Act
        let done = env.zavu_customer_finishes("Hooli").await;

        // Assert
        assert_eq!(done["sender"]["status"], "ACTIVE", "{done}");
        assert!(done["waba"]["wabaId"].is_string(), "the WABA id from invitation.status_changed: {done}");
        let log = env.events().await;
        assert_eq!(
            log.iter().filter(|e| e.starts_with("Invitation:") && e.ends_with(">COMPLETED:WEBHOOK")).count(),
            1,
            "{log:?}"
        );
        assert!(log.iter().any(|e| e.starts_with("Sender:->") && e.ends_with(":WEBHOOK")), "{log:?}");
    })
    .await;
}

#[tokio::test]
async fn zavu_completes_by_the_poller_alone_when_every_webhook_is_dropped() {
    // Arrange
    on_each_backend("zavu_completes_by_the_poller_alone_when_every_webhook_is_dropped", true, |env| async move {
        env.drop_every_webhook();

        // Act
        let done = env.zavu_customer_finishes("Pied Piper").await;

        // Assert
        assert_eq!(done["sender"]["status"], "ACTIVE", "{done}");
        let log = env.events().await;
        assert!(
            log.iter()
                .any(|e| e == "Invitation:IN_PROGRESS>COMPLETED:POLL" || e == "Invitation:PENDING>COMPLETED:POLL"),
            "{log:?}"
        );
        assert!(!log.iter().any(|e| e.ends_with(":WEBHOOK")), "no webhook arrived: {log:?}");
    })
    .await;
}

#[tokio::test]
async fn sinch_embedded_signup_gets_its_app_and_completes_by_callback_alone() {
    let name = "sinch_embedded_signup_gets_its_app_and_completes_by_callback_alone";
    on_each_backend(name, false, |env| embedded_signup(env, "WEBHOOK", "104996122223511", "106540352242922")).await;
}

#[tokio::test]
async fn sinch_embedded_signup_completes_by_the_poller_alone() {
    on_each_backend("sinch_embedded_signup_completes_by_the_poller_alone", true, |env| async move {
        env.drop_every_webhook();
        embedded_signup(env, "POLL", "104996122223512", "106540352242923").await;
    })
    .await;
}

/// The embedded signup after Meta's part: bspgraph creates the sender, Sinch activates
/// it, and the news must reach bspgraph by `source` alone (the callback, or the poller).
async fn embedded_signup(env: TwoServers, source: &str, waba: &str, phone: &str) {
    // Arrange: the customer finished Meta's signup; bspgraph creates the sender.
    let (id, sender) = env.sinch_signed_up("Raviga", waba, phone).await;
    assert_eq!(sender["status"], "PROVISIONING", "{sender}");
    let sender = sender["providerId"].as_str().unwrap().to_owned();

    // Act: Sinch activates the sender.
    env.sim.simulate(bspgraph_sandbox::SimProvider::Sinch, &sender, SimAction::Activate).unwrap();

    // Assert
    let done = env.completed(&id).await;
    assert_eq!(done["sender"]["status"], "ACTIVE", "{done}");
    let apps = env.sim.sinch.core.requests().into_iter().filter(|r| r.method == "POST" && r.path.ends_with("/apps"));
    assert_eq!(apps.count(), 1, "one Conversation API app");
    let log = env.events().await;
    assert!(log.contains(&format!("Sender:PROVISIONING>ACTIVE:{source}")), "{log:?}");
    assert!(log.contains(&format!("Invitation:IN_PROGRESS>COMPLETED:{source}")), "{log:?}");
}

#[tokio::test]
async fn sinch_on_behalf_of_advances_by_account_and_sender_callbacks_then_completes_on_verification() {
    on_each_backend("the on-behalf-of callbacks test", false, |env| on_behalf_of(env, "WEBHOOK", "987654321")).await;
}

#[tokio::test]
async fn sinch_on_behalf_of_advances_by_the_poller_alone_when_every_webhook_is_dropped() {
    on_each_backend(
        "sinch_on_behalf_of_advances_by_the_poller_alone_when_every_webhook_is_dropped",
        true,
        |env| async move {
            env.drop_every_webhook();
            on_behalf_of(env, "POLL", "987654322").await;
        },
    )
    .await;
}

/// The on-behalf-of flow with Meta's and the customer's part played at the simulator;
/// every step before the OTP must reach bspgraph by `source`.
async fn on_behalf_of(env: TwoServers, source: &str, business_manager: &str) {
    // Arrange
    let inv = env
        .start(json!({ "provider": "SINCH", "client": { "name": "Aviato" }, "sinch": { "region": "EU",
            "flow": "ON_BEHALF_OF", "companyLegalName": "Aviato Inc", "clientBusinessManagerId": business_manager,
            "phoneNumberProvider": "CUSTOMER", "countryCode": "49", "phoneNumber": "15123456780", "displayName": "Aviato" } }))
        .await;
    let id = inv["id"].as_str().unwrap().to_owned();
    let project = inv["project"]["providerId"].as_str().unwrap().to_owned();

    // Act: Meta asks for verification, then approves; the customer gets the OTP.
    env.sim.simulate(bspgraph_sandbox::SimProvider::Sinch, &project, SimAction::Start).unwrap();
    env.until(&id, |i| i["status"] == "AWAITING_ACTION").await;
    env.sim.simulate(bspgraph_sandbox::SimProvider::Sinch, &project, SimAction::Approve).unwrap();
    let approved = env.until(&id, |i| !i["sender"].is_null()).await;
    let sender_pid = approved["sender"]["providerId"].as_str().unwrap().to_owned();
    env.sim.simulate(bspgraph_sandbox::SimProvider::Sinch, &sender_pid, SimAction::Start).unwrap();
    env.until(&id, |i| i["sender"]["status"] == "PENDING_VERIFICATION").await;
    let q = "query($id: ID!) { node(id: $id) { ... on Invitation { sender { id } } } }";
    let sender = env.gql(q, json!({ "id": id })).await["node"]["sender"]["id"].as_str().unwrap().to_owned();
    let register = "mutation($id: ID!) { registerSender(id: $id, method: SMS) { userErrors { code } } }";
    assert_eq!(env.gql(register, json!({ "id": sender })).await["registerSender"]["userErrors"], json!([]));
    let verify = "mutation($id: ID!) { verifySender(id: $id, code: \"123456\") { userErrors { code } } }";
    assert_eq!(env.gql(verify, json!({ "id": sender })).await["verifySender"]["userErrors"], json!([]));

    // Assert
    let done = env.completed(&id).await;
    assert_eq!(done["sender"]["status"], "ACTIVE", "{done}");
    let log = env.events().await;
    for step in
        ["Invitation:IN_PROGRESS>AWAITING_ACTION", "Sender:->PROVISIONING", "Sender:PROVISIONING>PENDING_VERIFICATION"]
    {
        assert!(log.contains(&format!("{step}:{source}")), "{step} by {source}: {log:?}");
    }
    // The verification's own step and the sender's ACTIVE callback race to complete it:
    // either may, once.
    let completions: Vec<_> =
        log.iter().filter(|e| e.starts_with("Invitation:") && e.contains(">COMPLETED:")).collect();
    assert_eq!(completions.len(), 1, "{log:?}");
    assert!(completions[0].ends_with(":MUTATION") || completions[0].ends_with(&format!(":{source}")), "{log:?}");
}

#[tokio::test]
async fn sendzen_completes_by_its_result_webhook_to_the_per_client_url() {
    // Arrange
    on_each_backend("sendzen_completes_by_its_result_webhook_to_the_per_client_url", false, |env| async move {
        let inv = env.start(json!({ "provider": "SENDZEN", "client": { "name": "Endframe" } })).await;
        let id = inv["id"].as_str().unwrap().to_owned();
        // What a person copies from GraphiQL: the SendZen project's `providerId`.
        let project = inv["project"]["providerId"].as_str().unwrap().to_owned();

        // Act: the customer finishes the hosted signup; SendZen posts the result.
        env.sim.simulate(bspgraph_sandbox::SimProvider::Sendzen, &project, SimAction::Complete).unwrap();

        // Assert
        let done = env.completed(&id).await;
        assert_eq!(done["sender"]["status"], "ACTIVE", "{done}");
        assert!(done["waba"]["wabaId"].is_string(), "{done}");
        let log = env.events().await;
        assert!(log.iter().any(|e| e.starts_with("Invitation:") && e.ends_with(">COMPLETED:WEBHOOK")), "{log:?}");
        let to_client_url = env.sim.sendzen.core.webhooks.deliveries();
        assert!(to_client_url.iter().all(|d| d.url.contains("/webhooks/sendzen/")), "per-client URL only");
    })
    .await;
}

#[tokio::test]
async fn a_webhook_and_the_poller_racing_file_one_sender_and_one_completion() {
    // Arrange: webhooks delivered and a 0.2 s poller, both seeing the completion.
    on_each_backend("a_webhook_and_the_poller_racing_file_one_sender_and_one_completion", true, |env| async move {
        let inv = env.start(json!({ "provider": "ZAVU", "client": { "name": "Gavin" } })).await;
        let pid = inv["providerId"].as_str().unwrap();

        // Act
        env.sim.simulate(bspgraph_sandbox::SimProvider::Zavu, pid, SimAction::Complete).unwrap();
        let done = env.completed(inv["id"].as_str().unwrap()).await;

        // Assert
        assert_eq!(done["sender"]["status"], "ACTIVE", "{done}");
        let log = env.events().await;
        assert_eq!(log.iter().filter(|e| e.starts_with("Sender:-")).count(), 1, "one sender: {log:?}");
        assert_eq!(
            log.iter().filter(|e| e.starts_with("Invitation:") && e.contains(">COMPLETED:")).count(),
            1,
            "{log:?}"
        );
        let senders = env.gql("{ senders(first: 10) { totalCount } }", json!({})).await;
        assert_eq!(senders["senders"]["totalCount"], 1, "{senders}");
    })
    .await;
}

/// `bspgraph sandbox --listen` as its own process: the simulators and their control API.
struct SandboxProcess {
    url: String,
    http: reqwest::Client,
    _child: tokio::process::Child,
}

impl SandboxProcess {
    async fn start() -> Self {
        let port = free_port();
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_bspgraph"))
            .args(["sandbox", "--listen", &format!("127.0.0.1:{port}")])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let this = Self { url: format!("http://127.0.0.1:{port}"), http: reqwest::Client::new(), _child: child };
        eventually("bspgraph sandbox started", || async {
            this.http.get(format!("{}/sandbox/control/zavu/requests", this.url)).send().await.ok().map(drop)
        })
        .await;
        this
    }

    /// `POST /sandbox/control/{provider}/simulate`: the status and body.
    async fn simulate(&self, provider: &str, id: &str, action: &str) -> (u16, Value) {
        let url = format!("{}/sandbox/control/{provider}/simulate", self.url);
        let resp = self.http.post(url).json(&json!({ "id": id, "action": action })).send().await.unwrap();
        (resp.status().as_u16(), resp.json().await.unwrap_or(Value::Null))
    }

    async fn requests(&self, provider: &str) -> Vec<Value> {
        let url = format!("{}/sandbox/control/{provider}/requests", self.url);
        let body: Value = self.http.get(url).send().await.unwrap().json().await.unwrap();
        body["requests"].as_array().cloned().unwrap_or_default()
    }

    /// `POST /sandbox/control/{provider}/faults`: the status.
    async fn fault(&self, provider: &str, body: Value) -> u16 {
        let url = format!("{}/sandbox/control/{provider}/faults", self.url);
        self.http.post(url).json(&body).send().await.unwrap().status().as_u16()
    }

    /// The status of `GET /v1/invitations` at the Zavu simulator, with the sandbox key.
    async fn zavu_list_status(&self) -> u16 {
        let req = self.http.get(format!("{}/sandbox/zavu/v1/invitations", self.url)).bearer_auth("zv_test_sandbox");
        req.send().await.unwrap().status().as_u16()
    }
}

#[tokio::test]
async fn the_control_api_injects_the_faults_it_is_given_and_resets() {
    let sim = SandboxProcess::start().await;

    // 5xx with the status given, for the next N calls only.
    assert_eq!(sim.fault("zavu", json!({ "status": 503, "count": 2 })).await, 200);
    let statuses = [sim.zavu_list_status().await, sim.zavu_list_status().await, sim.zavu_list_status().await];
    assert_eq!(statuses, [503, 503, 200]);
    // 429 with Retry-After.
    assert_eq!(sim.fault("zavu", json!({ "status": 429, "retryAfter": 7, "count": 1 })).await, 200);
    let limited = sim.http.get(format!("{}/sandbox/zavu/v1/invitations", sim.url)).bearer_auth("zv_test_sandbox");
    let limited = limited.send().await.unwrap();
    assert_eq!((limited.status().as_u16(), limited.headers()["retry-after"].to_str().unwrap()), (429, "7"));
    // A fault pending at reset is forgotten, with the recorded requests.
    assert_eq!(sim.fault("zavu", json!({ "status": 500, "count": 5 })).await, 200);
    let reset = sim.http.post(format!("{}/sandbox/control/reset", sim.url)).send().await.unwrap();
    assert_eq!(reset.status().as_u16(), 204);
    assert_eq!(sim.requests("zavu").await.len(), 0);
    assert_eq!(sim.zavu_list_status().await, 200);
    // Refusals: an unknown provider, a body naming no fault.
    assert_eq!(sim.fault("nope", json!({ "status": 503 })).await, 400);
    assert_eq!(sim.fault("zavu", json!({ "status": 404 })).await, 400);
}

#[tokio::test]
async fn a_live_bspgraph_completes_flows_against_the_sandbox_command_driven_by_its_control_api() {
    // Arrange: the simulators as their own process; bspgraph LIVE configured only by
    // the settings the README gives for this.
    let sim = SandboxProcess::start().await;
    let port = free_port();
    let app = live_against(&sim.url, port, None, |s| {
        s.providers.sendzen_webhook_secrets = vec![SandboxConfig::default().sendzen.webhook_secret.into()];
    })
    .await;
    let env = TwoServers { app, sim: Sandbox::new(SandboxConfig::default()) }; // its `sim` is unused here
    env.registered().await;

    // Act + Assert: Zavu, by its webhook.
    let zavu = env.start(json!({ "provider": "ZAVU", "client": { "name": "Zavu Co" } })).await;
    let pid = zavu["providerId"].as_str().unwrap();
    let (status, answer) = sim.simulate("zavu", pid, "COMPLETE").await;
    assert_eq!((status, answer["state"]["status"].as_str()), (200, Some("completed")), "{answer}");
    let done = env.completed(zavu["id"].as_str().unwrap()).await;
    assert!(done["waba"]["wabaId"].is_string(), "{done}");

    // SendZen, by its result webhook to the per-client URL.
    let sendzen = env.start(json!({ "provider": "SENDZEN", "client": { "name": "SendZen Co" } })).await;
    let project = sendzen["project"]["providerId"].as_str().unwrap();
    let (status, answer) = sim.simulate("sendzen", project, "COMPLETE").await;
    assert_eq!((status, answer["customerSees"]["status"].as_str()), (200, Some("completed")), "{answer}");
    env.completed(sendzen["id"].as_str().unwrap()).await;

    // Sinch embedded signup, by the sender's callback.
    let (id, sender) = env.sinch_signed_up("Sinch Co", "104996122223599", "106540352242999").await;
    let sender = sender["providerId"].as_str().unwrap().to_owned();
    let (status, answer) = sim.simulate("sinch", &sender, "ACTIVATE").await;
    assert_eq!((status, answer["state"]["state"].as_str()), (200, Some("ACTIVE")), "{answer}");
    env.completed(&id).await;

    // The control API's refusals and recorder.
    assert_eq!(sim.simulate("zavu", "inv_unknown", "COMPLETE").await.0, 404);
    assert_eq!(sim.simulate("zavu", pid, "START").await.0, 409, "a completed invitation cannot start again");
    assert_eq!(sim.simulate("nope", pid, "START").await.0, 400);
    let apps = sim.requests("sinch").await;
    assert_eq!(
        apps.iter().filter(|r| r["method"] == "POST" && r["path"].as_str().unwrap_or("").ends_with("/apps")).count(),
        1
    );
    let log = env.events().await;
    assert_eq!(
        log.iter().filter(|e| e.starts_with("Invitation:") && e.ends_with(">COMPLETED:WEBHOOK")).count(),
        3,
        "{log:?}"
    );
}

#[tokio::test]
async fn every_webhook_delivered_twice_and_in_reverse_order_yields_one_sender_and_one_event_per_transition() {
    on_each_backend("the duplicate-delivery test", false, |env| async move {
        // Arrange: the customer starts and finishes while every delivery is lost on the way.
        env.drop_every_webhook();
        let inv = env.start(json!({ "provider": "ZAVU", "client": { "name": "Nucleus" } })).await;
        let pid = inv["providerId"].as_str().unwrap();
        env.sim.simulate(bspgraph_sandbox::SimProvider::Zavu, pid, SimAction::Start).unwrap();
        env.sim.simulate(bspgraph_sandbox::SimProvider::Zavu, pid, SimAction::Complete).unwrap();
        let sent = env.sim.zavu.core.webhooks.deliveries();
        assert_eq!(sent.len(), 2, "in_progress, then completed");

        // Act: each delivery arrives twice, the newest first, signed as Zavu signs.
        for delivery in sent.iter().rev().chain(sent.iter().rev()) {
            let signature = crate::zavu_support::zavu_signature(ZAVU_ISSUED, &delivery.body);
            let req = env.app.http.post(&delivery.url).header("x-zavu-signature", signature);
            let resp = req.header("content-type", "application/json").body(delivery.body.clone()).send().await.unwrap();
            assert_eq!(resp.status(), 200);
        }

        // Assert
        let done = env.completed(inv["id"].as_str().unwrap()).await;
        assert_eq!(done["sender"]["status"], "ACTIVE", "{done}");
        let log = env.events().await;
        // Whichever delivery is applied first, each transition is written once and a
        // completed invitation never moves back.
        let unique: std::collections::HashSet<&String> = log.iter().collect();
        assert_eq!(unique.len(), log.len(), "no transition twice: {log:?}");
        assert_eq!(
            log.iter().filter(|e| e.starts_with("Invitation:") && e.contains(">COMPLETED:")).count(),
            1,
            "{log:?}"
        );
        assert!(!log.iter().any(|e| e.starts_with("Invitation:COMPLETED>")), "{log:?}");
        assert_eq!(log.iter().filter(|e| e.starts_with("Sender:-")).count(), 1, "{log:?}");
    })
    .await;
}

#[tokio::test]
async fn a_webhook_that_arrives_before_its_invitation_is_committed_is_applied_once_it_is() {
    // Arrange: the provider's invitation exists; bspgraph's row does not yet.
    let app = spawn_live(|_| {}).await;
    let client = app.client().await;
    let zavu_id = app.zavu_invitation().await;

    // Act: the webhook first, then the row (as when the mutation commits late).
    assert_eq!(app.zavu_webhook("evt_early", &zavu_id, "in_progress", true).await, 200);
    eventually("the early delivery tried", || async {
        let inbox = app.state.store.inbox_entries(Provider::Zavu).await.unwrap();
        inbox.iter().any(|e| e.delivery_id == "evt_early" && e.last_error.is_some()).then_some(())
    })
    .await;
    let row = app.register_invitation(client, &zavu_id, "PENDING").await;

    // Assert
    eventually("the early webhook applied", || async {
        let inv = app.state.store.invitation(row).await.unwrap();
        (inv.status == bspgraph::domain::InvitationStatus::InProgress).then_some(())
    })
    .await;
}
