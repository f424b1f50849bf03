//! Onboarding mutations: thin resolvers over [`crate::onboarding`]. Input is decoded
//! and checked here (ids, field rules), refusals become `userErrors` with a field path
//! and a stable code, provider outages become GraphQL errors through [`ApiError`].

use super::scope;
use async_graphql::{Context, Json, Object, ID};

use super::error::{ApiError, ApiResult};
use super::mutation::UserError;
use super::nodes::{load_node, InvitationNode, SenderNode};
use super::onboarding_input::{
    CompleteOnboardingInput, InvitationPayload, OnboardingOutcome, RefreshPayload, SandboxSimulatePayload,
    SenderPayload, StartOnboardingInput, SyncPayload,
};
use crate::domain::{FieldError, GlobalId, Invitation, NodeType, Provider, VerificationMethod};
use crate::onboarding::{idempotency, simulate, sinch_obo, sync, Completion, Failure, Onboarding};

/// Onboarding mutations, merged into the root `Mutation`.
#[derive(Default)]
pub struct OnboardingMutation;

fn user_errors(refusals: Vec<FieldError>) -> Vec<UserError> {
    refusals.into_iter().map(UserError::from).collect()
}

/// Split a flow failure into refusals (for the payload) and errors (GraphQL errors).
fn refusals(failure: Failure) -> ApiResult<Vec<UserError>> {
    match failure {
        Failure::Refused(r) => Ok(user_errors(r)),
        // A provider switched off in production is the caller's problem, not an outage.
        Failure::Provider(e @ crate::providers::ProviderError::Disabled { .. }) => {
            Ok(vec![UserError { field: None, message: e.to_string(), code: e.code().to_owned() }])
        }
        Failure::Provider(e) => Err(ApiError::from(e)),
        Failure::Store(e) => Err(ApiError::from(e)),
    }
}

fn ob(ctx: &Context<'_>) -> Onboarding {
    ctx.data_unchecked::<Onboarding>().clone()
}

impl RefreshPayload {
    fn not_found() -> Self {
        Self { node: None, user_errors: not_found("id", "object") }
    }
}

impl InvitationPayload {
    fn refused(errors: Vec<UserError>) -> Self {
        Self { invitation: None, user_errors: errors, warnings: vec![] }
    }

    /// The invitation a mutation left, with what needs the partner's attention.
    fn done(inv: Invitation) -> Self {
        let warnings = crate::onboarding::sendzen::webhook_warning(&inv)
            .map(|w| UserError { field: None, message: w.message, code: w.code })
            .into_iter()
            .collect();
        Self { invitation: Some(InvitationNode(inv.into())), user_errors: vec![], warnings }
    }

    async fn after(ob: &Onboarding, id: i64, result: Result<(), Failure>) -> ApiResult<Self> {
        if let Err(f) = result {
            return Ok(Self::refused(refusals(f)?));
        }
        Ok(Self::done(ob.store.invitation(id).await?))
    }
}

fn not_found(field: &str, what: &str) -> Vec<UserError> {
    user_errors(vec![FieldError::at(&[field], "NOT_FOUND", format!("no {what} has this id"))])
}

/// The invitation an argument names, if it exists and the caller may see it (a client
/// token sees only its own client's invitations; others read as not found).
async fn invitation_arg(
    ctx: &Context<'_>,
    ob: &Onboarding,
    id: &ID,
    field: &[&str],
) -> Result<Invitation, Vec<UserError>> {
    let Ok(id) = GlobalId::decode_as(id, NodeType::Invitation) else {
        return Err(user_errors(vec![FieldError::at(field, "NOT_FOUND", "not an invitation id")]));
    };
    let inv = ob.invitation(id, field).await.map_err(|f| match f {
        Failure::Refused(r) => user_errors(r),
        _ => not_found(field[field.len() - 1], "invitation"),
    })?;
    if !scope::visible(ctx, Some(inv.client_id)) {
        return Err(not_found(field[field.len() - 1], "invitation"));
    }
    Ok(inv)
}

/// Taking a client through onboarding at a provider, step by step.
#[Object]
impl OnboardingMutation {
    /// Start an onboarding at a provider: Zavu hosted link, SendZen iframe, Sinch
    /// embedded signup or on-behalf-of.
    async fn start_onboarding(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The client, the provider and its options.")] input: StartOnboardingInput,
    ) -> ApiResult<InvitationPayload> {
        scope::require_operator(ctx)?;
        let ob = ob(ctx);
        let (req, key) = match input.parse() {
            Ok(parsed) => parsed,
            Err(r) => return Ok(InvitationPayload::refused(user_errors(r))),
        };
        match idempotency::start_once(&ob, key.as_deref(), &req).await {
            Ok(inv) => Ok(InvitationPayload::done(inv)),
            Err(f) => Ok(InvitationPayload::refused(refusals(f)?)),
        }
    }

    /// Hand bspgraph the result the partner frontend got: Sinch embedded signup
    /// (`wabaId`, `phoneNumberId`) or the SendZen iframe's postMessage (`status`, ...).
    async fn complete_onboarding(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The invitation and what the signup returned.")] input: CompleteOnboardingInput,
    ) -> ApiResult<InvitationPayload> {
        let ob = ob(ctx);
        let inv = match invitation_arg(ctx, &ob, &input.invitation_id, &["input", "invitationId"]).await {
            Ok(inv) => inv,
            Err(e) => return Ok(InvitationPayload::refused(e)),
        };
        let done = Completion {
            failed: input.status == Some(OnboardingOutcome::Failed),
            waba_id: input.waba_id,
            phone_number_id: input.phone_number_id,
            message: input.message,
        };
        let result = ob.complete(&inv, done).await;
        InvitationPayload::after(&ob, inv.id, result).await
    }

    /// Cancel an invitation (Zavu at the provider; SendZen and Sinch locally).
    async fn cancel_invitation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The invitation's `id`.")] id: ID,
    ) -> ApiResult<InvitationPayload> {
        scope::require_operator(ctx)?;
        let ob = ob(ctx);
        let inv = match invitation_arg(ctx, &ob, &id, &["id"]).await {
            Ok(inv) => inv,
            Err(e) => return Ok(InvitationPayload::refused(e)),
        };
        let result = ob.cancel(&inv).await;
        InvitationPayload::after(&ob, inv.id, result).await
    }

    /// A fresh link for the same client and project (SendZen iframe).
    async fn renew_invitation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The invitation's `id`.")] id: ID,
    ) -> ApiResult<InvitationPayload> {
        let ob = ob(ctx);
        let inv = match invitation_arg(ctx, &ob, &id, &["id"]).await {
            Ok(inv) => inv,
            Err(e) => return Ok(InvitationPayload::refused(e)),
        };
        let result = ob.renew(&inv).await;
        InvitationPayload::after(&ob, inv.id, result).await
    }

    /// Ask for the verification code of a sender awaiting verification (Sinch).
    async fn register_sender(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The sender's `id`.")] id: ID,
        #[graphql(desc = "How the code reaches the phone.")] method: VerificationMethod,
    ) -> ApiResult<SenderPayload> {
        let ob = ob(ctx);
        let sender = match sender_arg(ctx, &ob, &id).await? {
            Ok(s) => s,
            Err(e) => return Ok(SenderPayload { sender: None, user_errors: e }),
        };
        sender_payload(&ob, sender.id, sinch_obo::register(&ob, &sender, method).await).await
    }

    /// Submit the verification code (Sinch); a wrong code is `WRONG_OTP`.
    async fn verify_sender(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The sender's `id`.")] id: ID,
        #[graphql(desc = "The code the phone received (surrounding spaces are ignored).")] code: String,
    ) -> ApiResult<SenderPayload> {
        let ob = ob(ctx);
        let sender = match sender_arg(ctx, &ob, &id).await? {
            Ok(s) => s,
            Err(e) => return Ok(SenderPayload { sender: None, user_errors: e }),
        };
        sender_payload(&ob, sender.id, sinch_obo::verify(&ob, &sender, code.trim()).await).await
    }

    /// Re-read an invitation or sender from its provider now (recording any status change
    /// in the event log) and return it; other objects are returned as stored.
    async fn refresh(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The `id` of an invitation or sender (any object's id is accepted).")] id: ID,
    ) -> ApiResult<RefreshPayload> {
        scope::require_operator(ctx)?;
        let ob = ob(ctx);
        let Ok(gid) = GlobalId::decode(&id) else { return Ok(RefreshPayload::not_found()) };
        match ob.refresh(gid).await {
            Err(Failure::Provider(e)) => return Err(e.into()),
            Err(Failure::Store(crate::store::StoreError::NotFound(_))) => return Ok(RefreshPayload::not_found()),
            Err(Failure::Store(e)) => return Err(e.into()),
            _ => {}
        }
        match load_node(ctx, gid).await? {
            Some(node) => Ok(RefreshPayload { node: Some(node), user_errors: vec![] }),
            None => Ok(RefreshPayload::not_found()),
        }
    }

    /// Import what was created at the provider outside bspgraph and update what bspgraph
    /// already knows, reading every page (operators only).
    async fn sync_provider(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The provider to read.")] provider: Provider,
    ) -> ApiResult<SyncPayload> {
        scope::require_operator(ctx)?;
        match sync::sync(&ob(ctx), provider).await {
            Ok(c) => Ok(SyncPayload {
                provider,
                imported: c.imported as i32,
                updated: c.updated as i32,
                user_errors: vec![],
            }),
            Err(f) => Ok(SyncPayload { provider, imported: 0, updated: 0, user_errors: refusals(f)? }),
        }
    }

    /// Sandbox mode only: play the invitation's simulated customer (or Meta) one step
    /// through the simulators' control API. bspgraph's store is not touched: the change
    /// arrives as the provider's signed webhook (subscribe to `statusChanged`, or query
    /// again), by a poll or `refresh`; for SendZen, also by relaying `customerSees` with
    /// `completeOnboarding`. Absent in production mode.
    #[graphql(visible = "super::sandbox_control_visible")]
    async fn sandbox_simulate(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The invitation's `id`.")] invitation_id: ID,
        #[graphql(desc = "What the simulated customer or provider does next.")]
        action: crate::onboarding::simulate::SandboxAction,
    ) -> ApiResult<SandboxSimulatePayload> {
        scope::require_operator(ctx)?;
        let ob = ob(ctx);
        let refused = |user_errors| SandboxSimulatePayload {
            invitation: None,
            provider_state: None,
            customer_sees: None,
            user_errors,
        };
        if ob.sandbox_control.is_none() || !super::sandbox_control_visible(ctx) {
            let refusal = FieldError::at(&["action"], "SANDBOX_DISABLED", "sandboxSimulate only works in sandbox mode");
            return Ok(refused(user_errors(vec![refusal])));
        }
        let inv = match invitation_arg(ctx, &ob, &invitation_id, &["invitationId"]).await {
            Ok(inv) => inv,
            Err(e) => return Ok(refused(e)),
        };
        match simulate::simulate(&ob, &inv, action).await {
            Ok(shown) => Ok(SandboxSimulatePayload {
                invitation: Some(InvitationNode(ob.store.invitation(inv.id).await?.into())),
                provider_state: Some(Json(shown.state)),
                customer_sees: (!shown.customer_sees.is_null()).then_some(Json(shown.customer_sees)),
                user_errors: vec![],
            }),
            Err(f) => Ok(refused(refusals(f)?)),
        }
    }
}

async fn sender_arg(
    ctx: &Context<'_>,
    ob: &Onboarding,
    id: &ID,
) -> ApiResult<Result<crate::domain::Sender, Vec<UserError>>> {
    let Ok(id) = GlobalId::decode_as(id, NodeType::Sender) else { return Ok(Err(not_found("id", "sender"))) };
    match ob.store.sender(id).await {
        Ok(s) if scope::visible(ctx, s.client_id) => Ok(Ok(s)),
        Ok(_) => Ok(Err(not_found("id", "sender"))),
        Err(crate::store::StoreError::NotFound(_)) => Ok(Err(not_found("id", "sender"))),
        Err(e) => Err(e.into()),
    }
}

async fn sender_payload(ob: &Onboarding, id: i64, result: Result<(), Failure>) -> ApiResult<SenderPayload> {
    if let Err(f) = result {
        return Ok(SenderPayload { sender: None, user_errors: refusals(f)? });
    }
    Ok(SenderPayload { sender: Some(SenderNode(ob.store.sender(id).await?.into())), user_errors: vec![] })
}
