//! The per-provider dispatch of the invitation actions: [`Onboarding::complete`],
//! [`Onboarding::cancel`], [`Onboarding::renew`] and [`Onboarding::refresh`] pick the
//! flow that applies to the object's provider, flow and type, so callers (the GraphQL
//! mutations) never match on providers or node types themselves.

use super::{advance, sendzen, sinch_es, zavu, Failure, Onboarding, Outcome};
use crate::domain::{ChangeSource, FieldError, GlobalId, Invitation, NodeType, OnboardingFlow, Provider};
use crate::providers::ProviderError;

/// What the partner frontend got from a signup it ran: Sinch embedded signup's ids, or
/// the SendZen iframe's postMessage.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Completion {
    /// The signup failed or was abandoned (else it completed).
    pub failed: bool,
    /// Meta WABA id.
    pub waba_id: Option<String>,
    /// Meta phone-number id.
    pub phone_number_id: Option<String>,
    /// What the frontend was told, when it failed.
    pub message: Option<String>,
}

impl Onboarding {
    /// Apply `done` to `inv`: Sinch embedded signup completes (or is abandoned), SendZen
    /// takes the iframe's result; other flows complete by themselves
    /// (`UNSUPPORTED_FOR_PROVIDER` on `input.invitationId`).
    pub async fn complete(&self, inv: &Invitation, done: Completion) -> Outcome<()> {
        match (inv.provider, inv.flow) {
            (Provider::Sinch, OnboardingFlow::EmbeddedSignup) if done.failed => {
                sinch_es::abandon(self, inv, done.message).await
            }
            (Provider::Sinch, OnboardingFlow::EmbeddedSignup) => {
                sinch_es::complete(self, inv, done.waba_id, done.phone_number_id).await
            }
            (Provider::Sendzen, _) => {
                let result = sendzen::OnboardingResult {
                    completed: !done.failed,
                    waba_id: done.waba_id,
                    phone_number_id: done.phone_number_id,
                    message: done.message,
                };
                sendzen::apply_result(self, inv, &result, ChangeSource::Mutation).await
            }
            _ => Err(FieldError::at(
                &["input", "invitationId"],
                "UNSUPPORTED_FOR_PROVIDER",
                "this flow completes by itself",
            )
            .into()),
        }
    }

    /// Cancel `inv`: at Zavu through its API, elsewhere locally (SendZen and Sinch have
    /// nothing to cancel at the provider).
    pub async fn cancel(&self, inv: &Invitation) -> Outcome<()> {
        match inv.provider {
            Provider::Zavu => zavu::cancel(self, inv).await,
            Provider::Sendzen | Provider::Sinch => zavu::local_cancel(self, inv).await,
        }
    }

    /// A fresh link for `inv`'s client and project: SendZen only
    /// (`UNSUPPORTED_FOR_PROVIDER` on `id` otherwise).
    pub async fn renew(&self, inv: &Invitation) -> Outcome<()> {
        match inv.provider {
            Provider::Sendzen => sendzen::renew(self, inv).await,
            Provider::Zavu | Provider::Sinch => {
                Err(FieldError::at(&["id"], "UNSUPPORTED_FOR_PROVIDER", "only SendZen links are renewed").into())
            }
        }
    }

    /// Re-read the invitation or sender `id` names from its provider now and take the
    /// step that calls for, as a poll would; other objects, and objects the provider has
    /// nothing to re-read for (SendZen senders), are left as stored. A missing sender is
    /// left to the caller's lookup, which reports it.
    pub async fn refresh(&self, id: GlobalId) -> Outcome<()> {
        let result = match id.node_type {
            NodeType::Invitation => advance::advance(self, id.id, ChangeSource::Mutation).await,
            NodeType::Sender => match self.store.sender(id.id).await {
                Ok(s) => advance::sender(self, &s, ChangeSource::Mutation).await,
                Err(_) => Ok(()),
            },
            _ => Ok(()),
        };
        match result {
            Err(Failure::Provider(ProviderError::Unsupported { .. })) => Ok(()),
            other => other,
        }
    }
}
