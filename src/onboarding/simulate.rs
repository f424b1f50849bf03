//! `sandboxSimulate`: ask the simulators' control API over HTTP
//! (`POST /sandbox/control/{provider}/simulate`, what any test or person can call) to
//! move the simulated customer of an invitation through the provider's real flow. It
//! only plays the customer's (or Meta's) part: bspgraph learns what changed as it would
//! from a real provider, by the signed webhook the simulator sends, by the poller or
//! `refresh` reading the provider's API, or (SendZen, which has no read API) when the
//! partner relays the iframe's result (`customerSees`) with `completeOnboarding`.
//! Nothing here reads the simulators' internals or writes bspgraph's store.

use std::time::Duration;

use serde_json::{json, Value};

use super::{sendzen, wrong_state, FieldError, Onboarding, Outcome, SandboxControl};
use crate::domain::{Invitation, OnboardingFlow, Provider};
use crate::providers::ProviderError;

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

/// What the simulator answered: the provider object's new state and, for SendZen, the
/// result its iframe posts to the partner's page (what a partner frontend would relay
/// with `completeOnboarding`).
#[derive(Debug, Clone, Default)]
pub struct Simulated {
    /// The provider object's state after the action (the control API's `state`).
    pub state: Value,
    /// SendZen's iframe result (`customerSees`), else null.
    pub customer_sees: Value,
}

/// Apply `action` to the simulated customer of `inv` through the control API. Nothing
/// in bspgraph's store changes here: the change arrives as the provider's webhook, by a
/// poll or `refresh`, or (SendZen) when the partner relays `customerSees`.
#[tracing::instrument(skip_all, fields(invitation_id = inv.id, action = ?action))]
pub async fn simulate(ob: &Onboarding, inv: &Invitation, action: SandboxAction) -> Outcome<Simulated> {
    let Some(control) = ob.sandbox_control.as_ref() else {
        return Err(
            FieldError::at(&["action"], "SANDBOX_DISABLED", "sandboxSimulate only works in sandbox mode").into()
        );
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
    control_simulate(control, inv.provider, &target, action).await
}

/// `POST {control}/{provider}/simulate`; 404 and 409 are the user error `WRONG_STATE`.
async fn control_simulate(
    control: &SandboxControl,
    provider: Provider,
    id: &str,
    action: SandboxAction,
) -> Outcome<Simulated> {
    let url = format!("{}/{}/simulate", control.url, provider.as_str().to_ascii_lowercase());
    let body = json!({ "id": id, "action": action.wire() });
    let unavailable = |status: Option<u16>, message: String| ProviderError::Unavailable { provider, status, message };
    let call = control.client.post(url).json(&body).timeout(Duration::from_secs(10)).send().await;
    let res = call.map_err(|e| unavailable(None, e.without_url().to_string()))?;
    let status = res.status().as_u16();
    let answer: Value = res.json().await.unwrap_or(Value::Null);
    let message = || answer["error"].as_str().unwrap_or("refused by the simulator").to_owned();
    match status {
        200 => Ok(Simulated { state: answer["state"].clone(), customer_sees: answer["customerSees"].clone() }),
        404 | 409 => Err(wrong_state(&["action"], message())),
        _ => Err(unavailable(Some(status), message()).into()),
    }
}
