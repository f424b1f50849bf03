//! `sandboxSimulate`: ask the simulators' control API over HTTP
//! (`POST /sandbox/control/{provider}/simulate`, what any test or person can call) to
//! move the simulated customer of an invitation through the provider's real flow, then
//! learn what changed as a partner would: by the provider's read API (Zavu, Sinch) or
//! the iframe's relayed result (SendZen), with source `SANDBOX`. Nothing here reads the
//! simulators' internals; the simulator also sends its signed webhooks, which bring the
//! rest (Zavu's WABA).

use std::time::Duration;

use serde_json::{json, Value};

use super::{advance, sendzen, wrong_state, Onboarding, Outcome, Refusal, SandboxControl};
use crate::domain::{ChangeSource, Invitation, InvitationStatus, OnboardingFlow, Provider};
use crate::providers::ProviderError;
use crate::store::{NewStatus, StatusChange};

/// A step of a simulated customer (the `sandboxSimulate` action).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, async_graphql::Enum)]
pub enum SandboxAction {
    /// The customer opens the link / starts signup; Sinch: account or sender moves on.
    Start,
    /// The customer finishes (Zavu, SendZen); Sinch: sender becomes ACTIVE.
    Complete,
    /// The customer abandons or errors.
    Fail,
    /// The link expires (Zavu: silently, no webhook).
    Expire,
    /// The provider rejects (Sinch account or sender).
    Reject,
    /// Meta approves the on-behalf-of request (Sinch account -> ONBOARDED).
    Approve,
    /// The sender becomes ACTIVE (Sinch).
    Activate,
    /// The sender is suspended (Sinch).
    Suspend,
}

impl SandboxAction {
    /// The control API's name for it.
    fn wire(self) -> &'static str {
        match self {
            Self::Start => "START",
            Self::Complete => "COMPLETE",
            Self::Fail => "FAIL",
            Self::Expire => "EXPIRE",
            Self::Reject => "REJECT",
            Self::Approve => "APPROVE",
            Self::Activate => "ACTIVATE",
            Self::Suspend => "SUSPEND",
        }
    }
}

/// Apply `action` to the simulated customer of `inv`.
#[tracing::instrument(skip_all, fields(invitation_id = inv.id, action = ?action))]
pub async fn simulate(ob: &Onboarding, inv: &Invitation, action: SandboxAction) -> Outcome<()> {
    let Some(control) = ob.sandbox_control.as_ref() else {
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
    let shown = control_simulate(control, inv.provider, &target, action).await?;
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
        SandboxAction::Complete | SandboxAction::Fail => match relayed(&shown) {
            Some(result) => sendzen::apply_result(ob, inv, &result, ChangeSource::Sandbox).await,
            None => Ok(()),
        },
        SandboxAction::Expire => {
            let change =
                StatusChange::local(inv.id, NewStatus::Invitation(InvitationStatus::Expired), ChangeSource::Sandbox);
            ob.store.apply_status_change(change).await?;
            Ok(())
        }
        _ => Ok(()),
    }
}

/// `POST {control}/{provider}/simulate`; the answer's `customerSees` (SendZen's iframe
/// result, else null). 404 and 409 are the user error `WRONG_STATE`.
async fn control_simulate(
    control: &SandboxControl,
    provider: Provider,
    id: &str,
    action: SandboxAction,
) -> Outcome<Value> {
    let url = format!("{}/{}/simulate", control.url, provider.as_str().to_ascii_lowercase());
    let body = json!({ "id": id, "action": action.wire() });
    let unavailable = |status: Option<u16>, message: String| ProviderError::Unavailable { provider, status, message };
    let call = control.client.post(url).json(&body).timeout(Duration::from_secs(10)).send().await;
    let res = call.map_err(|e| unavailable(None, e.without_url().to_string()))?;
    let status = res.status().as_u16();
    let answer: Value = res.json().await.unwrap_or(Value::Null);
    let message = || answer["error"].as_str().unwrap_or("refused by the simulator").to_owned();
    match status {
        200 => Ok(answer["customerSees"].clone()),
        404 | 409 => Err(wrong_state(&["action"], message())),
        _ => Err(unavailable(Some(status), message()).into()),
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
