//! Webhook registration with the providers that take one (Zavu's
//! `POST /v1/invitations/webhook`, Sinch's provisioning webhooks on the parent
//! project): bspgraph's URL `{BSPGRAPH_PUBLIC_URL}/webhooks/{provider}` is registered at
//! startup, by `bspgraph webhooks register` and by `syncProvider`. A sandboxed provider
//! is registered the same way, with this server's own URL, before the server reports
//! itself started: the simulators deliver only where they were told to, as providers do. Registering again is
//! harmless (Zavu replaces its one configuration; Sinch answers `webhook_exists` and the
//! existing one is kept). A secret the provider issues (Zavu's `whsec_...`) is sealed
//! at rest and adopted by the adapter, so webhooks verify with it after a restart even
//! when the provider cannot be reached then. Sinch takes the secret from the registrant:
//! without `SINCH_WEBHOOK_SECRETS`, bspgraph makes a random one and keeps it the same way.
//! Every attempt is recorded, and `providers` shows it. SendZen takes its URL per client at onboarding and is not registered here.

use secrecy::SecretString;

use super::Onboarding;
use crate::domain::{Provider, ProviderMode};
use crate::providers::ProviderError;
use crate::secrets::registration_slot as slot;
use crate::store::StoreError;

/// bspgraph's webhook URL for `provider`: under `BSPGRAPH_PUBLIC_URL` when it is set;
/// for a sandboxed provider, under this server's own URL otherwise.
pub fn target(ob: &Onboarding, provider: Provider, mode: ProviderMode) -> Option<String> {
    let base = match (ob.registered_base.as_deref(), mode) {
        (Some(base), _) => base,
        (None, ProviderMode::Sandbox) => ob.public_url.as_str(),
        (None, _) => return None,
    };
    Some(format!("{}/webhooks/{}", base.trim_end_matches('/'), provider.as_str().to_ascii_lowercase()))
}

/// Register with `provider` when it is LIVE or sandboxed and takes a registration;
/// record the outcome. `None`: nothing to register (disabled, the provider has no such
/// API, or a LIVE provider without `BSPGRAPH_PUBLIC_URL` to register).
pub async fn register(ob: &Onboarding, provider: Provider) -> Result<Option<Result<String, String>>, StoreError> {
    let Ok(adapter) = ob.registry.require(provider) else { return Ok(None) };
    let Some(target) = target(ob, provider, adapter.mode()) else { return Ok(None) };
    // A provider that takes the secret from us gets a fresh random one, kept like an
    // issued one.
    let minted = adapter.needs_webhook_secret().then(mint);
    if let Some(secret) = &minted {
        adapter.adopt_webhook_secret(secret.clone());
    }
    let (secret, mut error) = match adapter.configure_webhook(None, &target).await {
        Ok(subscription) => (subscription.secret.or(minted), None),
        Err(ProviderError::Unsupported { .. }) => return Ok(None),
        // A made secret is kept even so: the adapter verifies with it from now on.
        Err(e) => (minted, Some(e.to_string())),
    };
    let sealed = match secret.map(|s| ob.secrets.seal(&s, slot(provider))).transpose() {
        Ok(sealed) => sealed,
        Err(e) => {
            error = Some(format!("the webhook secret could not be sealed: {e}"));
            None
        }
    };
    ob.store.record_registration(provider, &target, sealed, error.clone()).await?;
    let outcome = match error {
        None => Ok(target),
        Some(error) => Err(error),
    };
    match &outcome {
        Ok(t) => tracing::info!(provider = %provider, target = %t, "webhook registered"),
        Err(e) => {
            tracing::warn!(provider = %provider, error = %e, "webhook registration failed; retried at the next start, `bspgraph webhooks register` or `syncProvider`")
        }
    }
    Ok(Some(outcome))
}

/// A random webhook signing secret (32 bytes, hex).
fn mint() -> SecretString {
    let mut bytes = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut bytes);
    SecretString::from(format!("bspgraph_{}", hex::encode(bytes)))
}

/// [`register`] with every provider in `mode`, in a fixed order.
pub async fn register_all(
    ob: &Onboarding,
    mode: ProviderMode,
) -> Result<Vec<(Provider, Result<String, String>)>, StoreError> {
    let mut done = Vec::new();
    for provider in [Provider::Zavu, Provider::Sinch, Provider::Sendzen] {
        if !matches!(ob.registry.require(provider), Ok(a) if a.mode() == mode) {
            continue;
        }
        if let Some(outcome) = register(ob, provider).await? {
            done.push((provider, outcome));
        }
    }
    Ok(done)
}

/// Hand the sealed secrets of earlier registrations to their adapters (at startup,
/// before any webhook is verified). A secret that no longer opens (the key changed
/// without `secrets rotate`) is skipped with a warning.
pub async fn adopt_stored(ob: &Onboarding) -> Result<(), StoreError> {
    for reg in ob.store.registrations().await? {
        let (Some(sealed), Ok(adapter)) = (reg.sealed_secret.as_deref(), ob.registry.require(reg.provider)) else {
            continue;
        };
        match ob.secrets.open(sealed, slot(reg.provider)) {
            Ok(secret) => adapter.adopt_webhook_secret(secret),
            Err(e) => {
                tracing::warn!(provider = %reg.provider, error = %e, "a stored webhook secret does not open; skipped")
            }
        }
    }
    Ok(())
}
