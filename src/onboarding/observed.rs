//! The flow steps that background sources take: a verified webhook (`process`) or a
//! poll (`poller`) hands over what it saw, and the step that is due runs here through
//! the same functions `refresh` and the mutations use ([`super::advance`],
//! [`super::sendzen::apply_result`]), each with its own `source`. So a flow completes
//! against a real provider with no call to `refresh`: a completed Zavu invitation gets
//! its sender and WABA, an `ACTIVE` Sinch sender its Conversation API app and then
//! `COMPLETED`, an `ONBOARDED` Sinch account its sender, and a SendZen result its WABA
//! and sender.
//!
//! Steps are safe to repeat: rows are filed by provider id (one row each), a status
//! that does not change appends no event, and the app step is claimed in the database,
//! so it runs once per invitation across instances (`store::step_claims`).

use super::sendzen::{client_identifier, OnboardingResult};
use super::{advance, Failure, Onboarding, Outcome};
use crate::domain::{ChangeSource, InvitationStatus, OnboardingFlow, Provider};

/// What a source hands over, and what came of it.
pub type Noted = Outcome<Option<String>>;

/// A provider invitation reached `status` (Zavu). On `COMPLETED`, file and link the
/// sender and the WABA: the invitation is re-read for the sender, and `waba_hint` is
/// the Meta WABA id when the source carried it (Zavu sends it only in the webhook).
pub async fn invitation(
    ob: &Onboarding,
    id: i64,
    status: InvitationStatus,
    waba_hint: Option<String>,
    source: ChangeSource,
) -> Outcome<()> {
    let inv = ob.store.invitation(id).await?;
    let missing = inv.sender_id.is_none() || (inv.waba_id.is_none() && waba_hint.is_some());
    if inv.provider != Provider::Zavu || status != InvitationStatus::Completed || !missing {
        return Ok(());
    }
    advance::zavu_invitation(ob, id, waba_hint, source).await
}

/// A sender changed (a Sinch callback is only a hint): re-read it with its own
/// project and take the step its state calls for.
pub async fn sender(ob: &Onboarding, id: i64, source: ChangeSource) -> Outcome<()> {
    let row = ob.store.sender(id).await?;
    advance::sender(ob, &row, source).await
}

/// A Sinch account changed. Its callback names no project, so the open on-behalf-of
/// invitations are found by what it does name: the project when the event carries one,
/// else the customer's Meta Business Manager id that the invitation was started with.
/// Each match is advanced through a fresh read of its own project's account (its
/// sender is created once the account is `ONBOARDED`), so a match can never apply
/// another project's state.
pub async fn account(
    ob: &Onboarding,
    project_id: Option<&str>,
    business_manager: Option<&str>,
    source: ChangeSource,
) -> Noted {
    let open = match project_id {
        Some(pid) => match ob.store.project_by_provider_id(Provider::Sinch, pid).await? {
            Some(project) => ob.store.open_invitations_of_project(project.id).await?,
            None => Vec::new(),
        },
        None => ob.store.open_invitations_of_provider(Provider::Sinch).await?,
    };
    let mut matched = Vec::new();
    for inv in open.into_iter().filter(|i| i.flow == OnboardingFlow::OnBehalfOf) {
        let named = match (project_id, business_manager) {
            (Some(_), _) => true,
            (None, Some(bm)) => {
                let params = ob.store.invitation_params(inv.id).await?;
                params["clientBusinessManagerId"].as_str() == Some(bm)
            }
            (None, None) => false,
        };
        if named {
            matched.push(inv.id);
        }
    }
    if matched.is_empty() {
        return Ok(Some("no open on-behalf-of invitation for this account".to_owned()));
    }
    for id in matched {
        advance::advance(ob, id, source).await?;
    }
    Ok(None)
}

/// SendZen's onboarding result for a client: apply it to the client's open SendZen
/// invitation (SendZen has no invitation id; the result names the client).
pub async fn sendzen_result(
    ob: &Onboarding,
    identifier: &str,
    result: &OnboardingResult,
    source: ChangeSource,
) -> Noted {
    let Some(client_id) = client_of(identifier) else {
        return Ok(Some("the result names no bspgraph client".to_owned()));
    };
    let open = ob.store.open_invitations_of_client(client_id, Provider::Sendzen).await?;
    let Some(inv) = open.into_iter().next() else {
        return Ok(Some("no open SendZen invitation for this client (already applied?)".to_owned()));
    };
    match super::sendzen::apply_result(ob, &inv, result, source).await {
        Ok(()) => Ok(None),
        Err(Failure::Refused(refusals)) => {
            let codes: Vec<&str> = refusals.iter().map(|r| r.code.as_str()).collect();
            Ok(Some(format!("result refused: {}", codes.join(", "))))
        }
        Err(e) => Err(e),
    }
}

/// The client id in SendZen's `client_identifier` (see [`client_identifier`]).
fn client_of(identifier: &str) -> Option<i64> {
    let id: i64 = identifier.strip_prefix("bspgraph-client-")?.parse().ok()?;
    (client_identifier(id) == identifier).then_some(id)
}

/// A failed step as the background sources report it (they retry on error).
pub fn describe(failure: Failure) -> anyhow::Error {
    match failure {
        Failure::Refused(refusals) => {
            let text: Vec<String> = refusals.iter().map(|r| format!("{}: {}", r.code, r.message)).collect();
            anyhow::anyhow!("step refused: {}", text.join("; "))
        }
        Failure::Provider(e) => anyhow::Error::new(e),
        Failure::Store(e) => anyhow::Error::new(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_own_identifiers_name_a_client() {
        assert_eq!(client_of("bspgraph-client-42"), Some(42));
        assert_eq!(client_of("bspgraph-client-042"), None);
        assert_eq!(client_of("bspgraph-client-"), None);
        assert_eq!(client_of("other-42"), None);
    }
}
