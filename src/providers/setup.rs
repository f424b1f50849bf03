//! Builds the registry from settings. A provider with credentials is LIVE and accepts
//! webhooks signed only with the secrets the operator configured (never the simulators'
//! published secrets). A provider without credentials is, in dev mode, SANDBOX: the
//! same adapter pointed at the simulator mounted in this server
//! (`{base}/sandbox/{provider}`) with the sandbox's published credentials
//! ([`SANDBOX_CREDENTIALS`]). In production it is DISABLED, and no simulator exists.
//! One startup line per provider says which. This module does not know the simulators:
//! `web` mounts them.

use std::sync::Arc;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use super::sendzen::{Sendzen, SendzenConfig};
use super::sinch::{Sinch, SinchConfig};
use super::transport::HttpSettings;
use super::zavu::{Zavu, ZavuConfig};
use super::{Disabled, ProviderAdapter, Registry};
use crate::config::ProviderSettings;
use crate::domain::{Provider, ProviderMode};

/// The registry, and whether any provider is sandboxed (the simulators must be mounted).
pub struct Built {
    /// One adapter per provider.
    pub registry: Registry,
    /// Some provider runs against the embedded simulator (never in production).
    pub sandboxed: bool,
}

/// The sandbox's published credentials and webhook secrets: public, listed in the README,
/// accepted only by the simulators (and refused as webhook secrets in production).
pub struct SandboxCredentials {
    /// Zavu API key.
    pub zavu_api_key: &'static str,
    /// Zavu webhook secret (before a registration issues one).
    pub zavu_webhook_secret: &'static str,
    /// Sinch access key id.
    pub sinch_key_id: &'static str,
    /// Sinch access key secret.
    pub sinch_key_secret: &'static str,
    /// Sinch project id.
    pub sinch_project_id: &'static str,
    /// Sinch callback secret.
    pub sinch_webhook_secret: &'static str,
    /// SendZen partner key.
    pub sendzen_partner_key: &'static str,
    /// SendZen webhook secret.
    pub sendzen_webhook_secret: &'static str,
}

/// See [`SandboxCredentials`].
pub const SANDBOX_CREDENTIALS: SandboxCredentials = SandboxCredentials {
    zavu_api_key: "zv_test_sandbox",
    zavu_webhook_secret: "whsec_sandbox_zavu_0123456789abcdef",
    sinch_key_id: "sandbox-key-id",
    sinch_key_secret: "sandbox-key-secret",
    sinch_project_id: "sandbox-project",
    sinch_webhook_secret: "sinch_sandbox_webhook_secret_0123456789",
    sendzen_partner_key: "sz_partner_sandbox",
    sendzen_webhook_secret: "sendzen_sandbox_webhook_secret_0123456789",
};

fn secret(s: &str) -> SecretString {
    SecretString::from(s.to_owned())
}

fn or_sandbox(configured: &[SecretString], sandbox: &str) -> Vec<SecretString> {
    if configured.is_empty() {
        vec![secret(sandbox)]
    } else {
        configured.to_vec()
    }
}

/// What one provider's settings amount to.
enum Plan<C> {
    /// Credentials configured: the real API.
    Live(C),
    /// No credentials, dev mode: the simulator.
    Sandbox(C),
    /// No credentials, production.
    Disabled,
}

/// The operator's webhook secrets for a LIVE provider. In production the simulators'
/// published secrets (anyone can sign with those) are dropped, each drop logged; in dev
/// mode they are kept with a warning, so a LIVE bspgraph can run against a separately
/// served sandbox (`bspgraph sandbox`) exactly as against a provider.
fn live_secrets(provider: Provider, configured: &[SecretString], published: &str, prod: bool) -> Vec<SecretString> {
    let is_published = |s: &&SecretString| s.expose_secret() == published;
    if !prod {
        if configured.iter().any(|s| is_published(&s)) {
            tracing::warn!(provider = %provider, "accepting the published sandbox webhook secret (dev mode only)");
        }
        return configured.to_vec();
    }
    let kept: Vec<SecretString> = configured.iter().filter(|s| !is_published(s)).cloned().collect();
    if kept.len() < configured.len() {
        tracing::warn!(provider = %provider, "ignoring a configured webhook secret equal to the published sandbox secret");
    }
    kept
}

/// Build every adapter; `base` is this server's own URL (`http://127.0.0.1:8080`);
/// `production` turns unconfigured providers off instead of sandboxing them.
pub fn build_registry(s: &ProviderSettings, base: &str, production: bool) -> anyhow::Result<Built> {
    let http = HttpSettings {
        connect_timeout: Duration::from_secs(s.provider_connect_timeout_secs),
        timeout: Duration::from_secs(s.provider_timeout_secs),
        max_attempts: s.provider_max_attempts.max(1),
        rate_limit_per_minute: s.provider_rate_limit_per_minute.filter(|n| *n > 0),
        ..HttpSettings::default()
    };
    let mut registry = Registry::new();
    let mut sandboxed = false;
    let zavu = zavu_plan(s, base, http, production);
    let sinch = sinch_plan(s, base, http, production);
    let sendzen = sendzen_plan(s, base, http, production);
    let adapters: [(Provider, Arc<dyn ProviderAdapter>, bool); 3] = [
        adapter(Provider::Zavu, zavu, Zavu::new, &mut sandboxed)?,
        adapter(Provider::Sinch, sinch, Sinch::new, &mut sandboxed)?,
        adapter(Provider::Sendzen, sendzen, Sendzen::new, &mut sandboxed)?,
    ];
    for (id, adapter, has_webhook_secret) in adapters {
        announce(id, adapter.mode(), has_webhook_secret);
        registry.insert(adapter);
    }
    Ok(Built { registry, sandboxed })
}

/// The adapter a plan asks for, and whether it has a webhook secret to verify with.
fn adapter<C: HasSecrets, A: ProviderAdapter + 'static>(
    id: Provider,
    plan: Plan<C>,
    new: fn(C) -> anyhow::Result<A>,
    sandboxed: &mut bool,
) -> anyhow::Result<(Provider, Arc<dyn ProviderAdapter>, bool)> {
    Ok(match plan {
        Plan::Live(c) => {
            let has = c.has_secrets();
            (id, Arc::new(new(c)?), has)
        }
        Plan::Sandbox(c) => {
            *sandboxed = true;
            (id, Arc::new(new(c)?), true)
        }
        Plan::Disabled => (id, Arc::new(Disabled::new(id)), false),
    })
}

/// One startup line per provider (and a warning for a LIVE provider whose webhooks
/// cannot verify).
fn announce(id: Provider, mode: ProviderMode, has_webhook_secret: bool) {
    match mode {
        ProviderMode::Live => tracing::info!(provider = %id, "provider LIVE (credentials configured)"),
        ProviderMode::Sandbox => tracing::info!(provider = %id, "provider SANDBOXED (built-in simulator; dev mode)"),
        ProviderMode::Disabled => {
            tracing::info!(provider = %id, "provider DISABLED (no credentials in production mode)")
        }
    }
    if mode == ProviderMode::Live && !has_webhook_secret {
        let unless = match id {
            Provider::Sendzen => "",
            _ => " until its webhook registration (BSPGRAPH_PUBLIC_URL) provides one",
        };
        tracing::warn!(
            provider = %id,
            "provider is LIVE without a configured webhook secret ({id}_WEBHOOK_SECRETS): its webhooks are refused (401){unless}"
        );
    }
}

/// Adapter configs that carry webhook secrets.
trait HasSecrets {
    fn has_secrets(&self) -> bool;
}

macro_rules! has_secrets {
    ($($t:ty),+) => {$(
        impl HasSecrets for $t {
            fn has_secrets(&self) -> bool {
                self.webhook_secrets.iter().any(|s| !s.expose_secret().is_empty())
            }
        }
    )+};
}
has_secrets!(ZavuConfig, SinchConfig, SendzenConfig);

fn zavu_plan(s: &ProviderSettings, base: &str, http: HttpSettings, prod: bool) -> Plan<ZavuConfig> {
    let published = SANDBOX_CREDENTIALS.zavu_webhook_secret;
    match &s.zavu_api_key {
        Some(key) => Plan::Live(ZavuConfig {
            base_url: s.zavu_base_url.clone(),
            api_key: key.clone(),
            webhook_secrets: live_secrets(Provider::Zavu, &s.zavu_webhook_secrets, published, prod),
            mode: ProviderMode::Live,
            http,
        }),
        None if prod => Plan::Disabled,
        None => Plan::Sandbox(ZavuConfig {
            base_url: format!("{base}/sandbox/zavu"),
            api_key: secret(SANDBOX_CREDENTIALS.zavu_api_key),
            webhook_secrets: or_sandbox(&s.zavu_webhook_secrets, published),
            mode: ProviderMode::Sandbox,
            http,
        }),
    }
}

fn sinch_plan(s: &ProviderSettings, base: &str, http: HttpSettings, prod: bool) -> Plan<SinchConfig> {
    let published = SANDBOX_CREDENTIALS.sinch_webhook_secret;
    match (&s.sinch_key_id, &s.sinch_key_secret, &s.sinch_project_id) {
        (Some(id), Some(key), Some(project)) => Plan::Live(SinchConfig {
            token_url: format!("{}/oauth2/token", s.sinch_auth_url.trim_end_matches('/')),
            provisioning_url: s.sinch_provisioning_url.clone(),
            subproject_url: s.sinch_subproject_url.clone(),
            conversation_url: s.sinch_conversation_url.clone(),
            project_id: project.clone(),
            key_id: id.clone(),
            key_secret: key.clone(),
            basic_auth: s.sinch_basic_auth,
            webhook_secrets: live_secrets(Provider::Sinch, &s.sinch_webhook_secrets, published, prod),
            mode: ProviderMode::Live,
            http,
        }),
        _ if prod => Plan::Disabled,
        _ => {
            let root = format!("{base}/sandbox/sinch");
            Plan::Sandbox(SinchConfig {
                token_url: format!("{root}/auth/oauth2/token"),
                provisioning_url: format!("{root}/provisioning"),
                subproject_url: format!("{root}/subproject"),
                conversation_url: format!("{root}/conversation/{{region}}"),
                project_id: SANDBOX_CREDENTIALS.sinch_project_id.to_owned(),
                key_id: SANDBOX_CREDENTIALS.sinch_key_id.to_owned(),
                key_secret: secret(SANDBOX_CREDENTIALS.sinch_key_secret),
                basic_auth: false,
                webhook_secrets: or_sandbox(&s.sinch_webhook_secrets, published),
                mode: ProviderMode::Sandbox,
                http,
            })
        }
    }
}

fn sendzen_plan(s: &ProviderSettings, base: &str, http: HttpSettings, prod: bool) -> Plan<SendzenConfig> {
    let published = SANDBOX_CREDENTIALS.sendzen_webhook_secret;
    match &s.sendzen_partner_api_key {
        Some(key) => Plan::Live(SendzenConfig {
            base_url: s.sendzen_base_url.clone(),
            partner_key: key.clone(),
            webhook_secrets: live_secrets(Provider::Sendzen, &s.sendzen_webhook_secrets, published, prod),
            mode: ProviderMode::Live,
            http,
        }),
        None if prod => Plan::Disabled,
        None => Plan::Sandbox(SendzenConfig {
            base_url: format!("{base}/sandbox/sendzen"),
            partner_key: secret(SANDBOX_CREDENTIALS.sendzen_partner_key),
            webhook_secrets: or_sandbox(&s.sendzen_webhook_secrets, published),
            mode: ProviderMode::Sandbox,
            http,
        }),
    }
}
