//! Test support for the provider suites: simulators on port 0, adapters with short
//! timeouts pointed at them, and a webhook receiver that records what it gets.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use bspgraph::domain::ProviderMode;
use bspgraph::providers::sendzen::{Sendzen, SendzenConfig};
use bspgraph::providers::sinch::{Sinch, SinchConfig};
use bspgraph::providers::transport::HttpSettings;
use bspgraph::providers::zavu::{Zavu, ZavuConfig};
use bspgraph_sandbox::sendzen::{SendzenSim, SendzenSimConfig};
use bspgraph_sandbox::serve_standalone;
use bspgraph_sandbox::sinch::{SinchSim, SinchSimConfig};
use bspgraph_sandbox::zavu::{ZavuSim, ZavuSimConfig};
use secrecy::SecretString;

use crate::helpers::eventually;

pub fn secret(s: &str) -> SecretString {
    SecretString::from(s.to_owned())
}

/// Fast settings: 1 s total timeout, small backoff.
pub fn fast_http() -> HttpSettings {
    HttpSettings {
        connect_timeout: Duration::from_secs(1),
        timeout: Duration::from_millis(1000),
        max_attempts: 3,
        base_backoff: Duration::from_millis(20),
        max_retry_after: Duration::from_secs(60),
        ..HttpSettings::default()
    }
}

/// Captures webhook deliveries; answers `fail_first` deliveries with 500, then 200.
#[derive(Clone, Default)]
pub struct Receiver {
    pub got: Arc<Mutex<Vec<(HeaderMap, Bytes)>>>,
    pub fail_first: Arc<Mutex<usize>>,
    pub url: String,
}

impl Receiver {
    pub async fn start(fail_first: usize) -> Self {
        let mut r = Receiver { fail_first: Arc::new(Mutex::new(fail_first)), ..Default::default() };
        let state = r.clone();
        let app = Router::new().route(
            "/hook",
            post(move |headers: HeaderMap, body: Bytes| {
                let state = state.clone();
                async move {
                    let mut fail = state.fail_first.lock().unwrap();
                    if *fail > 0 {
                        *fail -= 1;
                        return StatusCode::INTERNAL_SERVER_ERROR;
                    }
                    state.got.lock().unwrap().push((headers, body));
                    StatusCode::OK
                }
            }),
        );
        r.url = format!("{}/hook", serve_standalone(app).await.unwrap());
        r
    }

    /// Wait until `n` deliveries arrived; every delivery received then.
    pub async fn wait(&self, n: usize) -> Vec<(HeaderMap, Bytes)> {
        eventually(&format!("{n} deliveries received"), || async {
            let got = self.got.lock().unwrap().clone();
            (got.len() >= n).then_some(got)
        })
        .await
    }
}

pub struct ZavuEnv {
    pub sim: Arc<ZavuSim>,
    pub base: String,
    pub adapter: Zavu,
}

pub async fn zavu_env() -> ZavuEnv {
    let cfg = ZavuSimConfig::default();
    zavu_env_with(cfg, fast_http()).await
}

pub async fn zavu_env_with(cfg: ZavuSimConfig, http: HttpSettings) -> ZavuEnv {
    let key = cfg.api_key.clone();
    let whsec = cfg.webhook_secret.clone();
    let sim = ZavuSim::new(cfg);
    let base = serve_standalone(sim.router()).await.unwrap();
    let adapter = zavu_adapter(&base, &key, &whsec, http);
    ZavuEnv { sim, base, adapter }
}

pub fn zavu_adapter(base: &str, key: &str, whsec: &str, http: HttpSettings) -> Zavu {
    Zavu::new(ZavuConfig {
        base_url: base.to_owned(),
        api_key: secret(key),
        webhook_secrets: vec![secret(whsec)],
        mode: ProviderMode::Sandbox,
        http,
    })
    .unwrap()
}

pub struct SinchEnv {
    pub sim: Arc<SinchSim>,
    pub base: String,
    pub adapter: Sinch,
}

pub fn sinch_config(base: &str, sim: &SinchSimConfig, key_secret: &str, http: HttpSettings) -> SinchConfig {
    SinchConfig {
        token_url: format!("{base}/auth/oauth2/token"),
        provisioning_url: format!("{base}/provisioning"),
        subproject_url: format!("{base}/subproject"),
        conversation_url: format!("{base}/conversation/{{region}}"),
        project_id: sim.project_id.clone(),
        key_id: sim.key_id.clone(),
        key_secret: secret(key_secret),
        basic_auth: false,
        webhook_secrets: vec![secret(bspgraph::providers::SANDBOX_CREDENTIALS.sinch_webhook_secret)],
        mode: ProviderMode::Sandbox,
        http,
    }
}

pub async fn sinch_env() -> SinchEnv {
    let cfg = SinchSimConfig::default();
    let sim = SinchSim::new(cfg.clone());
    let base = serve_standalone(sim.router()).await.unwrap();
    let adapter = Sinch::new(sinch_config(&base, &cfg, &cfg.key_secret, fast_http())).unwrap();
    SinchEnv { sim, base, adapter }
}

pub struct SendzenEnv {
    pub sim: Arc<SendzenSim>,
    pub base: String,
    pub adapter: Sendzen,
}

pub fn sendzen_adapter(base: &str, key: &str, whsec: &str) -> Sendzen {
    Sendzen::new(SendzenConfig {
        base_url: base.to_owned(),
        partner_key: secret(key),
        webhook_secrets: vec![secret(whsec)],
        mode: ProviderMode::Sandbox,
        http: fast_http(),
    })
    .unwrap()
}

pub async fn sendzen_env() -> SendzenEnv {
    let cfg = SendzenSimConfig::default();
    let sim = SendzenSim::new(cfg.clone());
    let base = serve_standalone(sim.router()).await.unwrap();
    let adapter = sendzen_adapter(&base, &cfg.partner_key, &cfg.webhook_secret);
    SendzenEnv { sim, base, adapter }
}
