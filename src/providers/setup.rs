//! Builds the registry from settings: each provider with credentials is LIVE; each
//! without is SANDBOX, pointed at its simulator mounted in this server
//! (`{base}/sandbox/{provider}`) with the simulator's credentials and webhook secret,
//! the simulator in turn sending its webhooks to `{base}/webhooks/{provider}`.

use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;

use super::http::HttpSettings;
use super::sendzen::{Sendzen, SendzenConfig};
use super::sinch::{Sinch, SinchConfig};
use super::zavu::{Zavu, ZavuConfig};
use super::Registry;
use crate::config::ProviderSettings;
use crate::domain::ProviderMode;
use crate::sandbox::{Sandbox, SandboxConfig};

/// The registry and, when any provider is sandboxed, the simulators to mount.
pub struct Built {
    /// One adapter per provider.
    pub registry: Registry,
    /// The simulators (mount `sandbox.router()` in the app).
    pub sandbox: Option<Sandbox>,
}

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

/// Build every adapter; `base` is this server's own URL (`http://127.0.0.1:8080`).
pub fn build_registry(s: &ProviderSettings, base: &str) -> anyhow::Result<Built> {
    let http = HttpSettings {
        connect_timeout: Duration::from_secs(s.provider_connect_timeout_secs),
        timeout: Duration::from_secs(s.provider_timeout_secs),
        max_attempts: s.provider_max_attempts.max(1),
        rate_limit_per_minute: s.provider_rate_limit_per_minute.filter(|n| *n > 0),
        ..HttpSettings::default()
    };
    let mut sb = SandboxConfig::default();
    sb.zavu.webhook_target = Some(format!("{base}/webhooks/zavu"));
    sb.sinch.webhook_target = Some(format!("{base}/webhooks/sinch"));
    sb.sendzen.webhook_target = Some(format!("{base}/webhooks/sendzen"));
    // In sandbox mode the simulators sign with the configured secret when there is one.
    let first = |v: &[SecretString]| v.first().map(|x| secrecy::ExposeSecret::expose_secret(x).to_owned());
    if let Some(x) = first(&s.zavu_webhook_secrets) {
        sb.zavu.webhook_secret = x
    }
    if let Some(x) = first(&s.sinch_webhook_secrets) {
        sb.sinch.webhook_secret = x
    }
    if let Some(x) = first(&s.sendzen_webhook_secrets) {
        sb.sendzen.webhook_secret = x
    }

    let mut registry = Registry::new();
    let mut sandboxed = false;

    let zavu = match &s.zavu_api_key {
        Some(key) => ZavuConfig {
            base_url: s.zavu_base_url.clone(),
            api_key: key.clone(),
            webhook_secrets: s.zavu_webhook_secrets.clone(),
            mode: ProviderMode::Live,
            http,
        },
        None => {
            sandboxed = true;
            ZavuConfig {
                base_url: format!("{base}/sandbox/zavu"),
                api_key: secret(&sb.zavu.api_key),
                webhook_secrets: or_sandbox(&s.zavu_webhook_secrets, &sb.zavu.webhook_secret),
                mode: ProviderMode::Sandbox,
                http,
            }
        }
    };
    registry.insert(Arc::new(Zavu::new(zavu)?));

    let sinch = match (&s.sinch_key_id, &s.sinch_key_secret, &s.sinch_project_id) {
        (Some(id), Some(key), Some(project)) => SinchConfig {
            token_url: format!("{}/oauth2/token", s.sinch_auth_url.trim_end_matches('/')),
            provisioning_url: s.sinch_provisioning_url.clone(),
            subproject_url: s.sinch_subproject_url.clone(),
            conversation_url: s.sinch_conversation_url.clone(),
            project_id: project.clone(),
            key_id: id.clone(),
            key_secret: key.clone(),
            basic_auth: s.sinch_basic_auth,
            webhook_secrets: s.sinch_webhook_secrets.clone(),
            mode: ProviderMode::Live,
            http,
        },
        _ => {
            sandboxed = true;
            let root = format!("{base}/sandbox/sinch");
            SinchConfig {
                token_url: format!("{root}/auth/oauth2/token"),
                provisioning_url: format!("{root}/provisioning"),
                subproject_url: format!("{root}/subproject"),
                conversation_url: format!("{root}/conversation/{{region}}"),
                project_id: sb.sinch.project_id.clone(),
                key_id: sb.sinch.key_id.clone(),
                key_secret: secret(&sb.sinch.key_secret),
                basic_auth: false,
                webhook_secrets: or_sandbox(&s.sinch_webhook_secrets, &sb.sinch.webhook_secret),
                mode: ProviderMode::Sandbox,
                http,
            }
        }
    };
    registry.insert(Arc::new(Sinch::new(sinch)?));

    let sendzen = match &s.sendzen_partner_api_key {
        Some(key) => SendzenConfig {
            base_url: s.sendzen_base_url.clone(),
            partner_key: key.clone(),
            webhook_secrets: s.sendzen_webhook_secrets.clone(),
            mode: ProviderMode::Live,
            http,
        },
        None => {
            sandboxed = true;
            SendzenConfig {
                base_url: format!("{base}/sandbox/sendzen"),
                partner_key: secret(&sb.sendzen.partner_key),
                webhook_secrets: or_sandbox(&s.sendzen_webhook_secrets, &sb.sendzen.webhook_secret),
                mode: ProviderMode::Sandbox,
                http,
            }
        }
    };
    registry.insert(Arc::new(Sendzen::new(sendzen)?));

    Ok(Built { registry, sandbox: sandboxed.then(|| Sandbox::new(sb)) })
}
