//! `sandboxSimulate`: drive the simulated customer of an invitation through the
//! provider's real flow, then learn what changed as a partner would: by the provider's
//! read API (Zavu, Sinch) or the iframe's relayed result (SendZen), with source
//! `SANDBOX`. Nothing here reads the simulators' internals; the simulator also sends
//! its signed webhooks, which bring the rest (Zavu's WABA).

use super::{advance, sendzen, wrong_state, Onboarding, Outcome, Refusal};
use crate::domain::{ChangeSource, Invitation, InvitationStatus, OnboardingFlow, Provider};
use crate::sandbox::SimAction;
use crate::store::{NewStatus, StatusChange};

/// Apply `action` to the simulated customer of `inv`.
#[tracing::instrument(skip_all, fields(invitation_id = inv.id, action = ?action))]
pub async fn simulate(ob: &Onboarding, inv: &Invitation, action: SimAction) -> Outcome<()> {
    let Some(sandbox) = ob.sandbox.as_ref() else {
        return Err(Refusal::new(&["action"], "SANDBOX_DISABLED", "sandboxSimulate only works in sandbox mode").into());
    };
    let target = match inv.provider {
        Provider::Zavu => inv.provider_id.clone(),
        Provider::Sendzen => Some(sendzen::client_identifier(inv.client_id)),
        Provider::Sinch => match (inv.sender_id, inv.project_id) {
            (Some(s), _) => Some(ob.store.sender(s).await?.provider_id),
            (None, Some(p)) if inv.flow == OnboardingFlow::OnBehalfOf => Some(ob.store.project(p).await?.provider_id),
            _ => None,
        },
    };
    let target =
        target.ok_or_else(|| wrong_state(&["invitationId"], "nothing to simulate yet: complete the signup first"))?;
    let shown = sandbox.simulate(inv.provider, &target, action).map_err(|e| wrong_state(&["action"], e.to_string()))?;
    match inv.provider {
        // Read back through the provider's API, as `refresh` does. Zavu reports the WABA
        // only in its webhook, which files it when it arrives.
        Provider::Zavu => return advance::zavu_invitation(ob, inv.id, None, ChangeSource::Sandbox).await,
        Provider::Sinch => return advance::advance(ob, inv.id, ChangeSource::Sandbox).await,
        Provider::Sendzen => {}
    }
    match action {
        // SendZen has no read API: its iframe posts the result to the partner's page,
        // which relays it (as `completeOnboarding` does); the webhook brings it too.
        SimAction::Complete | SimAction::Fail => match relayed(&shown) {
            Some(result) => sendzen::apply_result(ob, inv, &result, ChangeSource::Sandbox).await,
            None => Ok(()),
        },
        SimAction::Expire => {
            let change = StatusChange {
                node_id: inv.id,
                status: NewStatus::Invitation(InvitationStatus::Expired),
                provider_status: None,
                reason: None,
                raw: None,
                source: ChangeSource::Sandbox,
            };
            ob.store.apply_status_change(change).await?;
            Ok(())
        }
        _ => Ok(()),
    }
}

/// The SendZen iframe's result, as its postMessage carries it.
fn relayed(shown: &serde_json::Value) -> Option<sendzen::OnboardingResult> {
    let text = |k: &str| shown[k].as_str().map(str::to_owned);
    Some(sendzen::OnboardingResult {
        completed: shown["status"].as_str()? == "completed",
        waba_id: text("waba_id"),
        phone_number_id: text("phone_number_id"),
        message: text("message"),
    })
}
