//! `sandboxSimulate`: drive the simulated customer of an invitation through the
//! provider's real flow, then re-read what changed so the database and the event log
//! show it (source `SANDBOX`). The simulator also sends its signed webhooks.

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
    sandbox.simulate(inv.provider, &target, action).map_err(|e| wrong_state(&["action"], e.to_string()))?;
    match inv.provider {
        Provider::Zavu => {
            let waba = zavu_waba(ob, &target);
            return advance::zavu_invitation(ob, inv.id, waba, ChangeSource::Sandbox).await;
        }
        Provider::Sinch => return advance::advance(ob, inv.id, ChangeSource::Sandbox).await,
        Provider::Sendzen => {}
    }
    match action {
        SimAction::Complete | SimAction::Fail => match sendzen::sandbox_result(ob, inv.client_id) {
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

/// The Meta WABA id the Zavu simulator just announced for invitation `pid` (its signed
/// `invitation.status_changed` delivery is the only place Zavu reports it).
fn zavu_waba(ob: &Onboarding, pid: &str) -> Option<String> {
    let sim = &ob.sandbox.as_ref()?.zavu;
    sim.core.webhooks.deliveries().into_iter().rev().find_map(|d| {
        let v: serde_json::Value = serde_json::from_str(&d.body).ok()?;
        let data = &v["data"];
        (data["invitationId"] == pid).then(|| data["wabaAccountId"].as_str().map(str::to_owned)).flatten()
    })
}
