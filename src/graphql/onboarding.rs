//! Onboarding mutations: thin resolvers over [`crate::onboarding`]. Input is decoded
//! and checked here (ids, field rules), refusals become `userErrors` with a field path
//! and a stable code, provider outages become GraphQL errors through [`ApiError`].

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use serde_json::json;

use super::error::{ApiError, ApiResult};
use super::mutation::{ClientInput, UserError};
use super::nodes::{load_node, InvitationNode, Node, SenderNode};
use crate::domain::ChangeSource;
use crate::domain::{ClientDraft, GlobalId, Invitation, NodeType, OnboardingFlow, Provider, VerificationMethod};
use crate::onboarding::{
    advance, idempotency, sendzen, simulate, sinch_es, sinch_obo, sync, zavu, ClientRef, Failure, Onboarding, Refusal,
    SinchParams, StartRequest,
};
use crate::sandbox::SimAction;

/// A step of the simulated customer (`sandboxSimulate`).
#[derive(async_graphql::Enum, Clone, Copy, PartialEq, Eq)]
pub enum SandboxAction {
    /// The customer opens the link / starts; Sinch: the account or sender moves on.
    Start,
    /// The customer finishes (Zavu, SendZen); Sinch: the sender becomes ACTIVE.
    Complete,
    /// The customer abandons or errors.
    Fail,
    /// The link expires.
    Expire,
    /// The provider rejects (Sinch account or sender).
    Reject,
    /// Meta approves the on-behalf-of request (Sinch account ONBOARDED).
    Approve,
    /// The sender becomes ACTIVE (Sinch).
    Activate,
    /// The sender is suspended (Sinch).
    Suspend,
}

impl From<SandboxAction> for SimAction {
    fn from(a: SandboxAction) -> Self {
        match a {
            SandboxAction::Start => Self::Start,
            SandboxAction::Complete => Self::Complete,
            SandboxAction::Fail => Self::Fail,
            SandboxAction::Expire => Self::Expire,
            SandboxAction::Reject => Self::Reject,
            SandboxAction::Approve => Self::Approve,
            SandboxAction::Activate => Self::Activate,
            SandboxAction::Suspend => Self::Suspend,
        }
    }
}

/// Onboarding mutations, merged into the root `Mutation`.
#[derive(Default)]
pub struct OnboardingMutation;

/// Sinch-specific input of `startOnboarding`.
#[derive(InputObject)]
pub struct SinchOnboardingInput {
    /// `EU`, `US` or `BR`.
    pub region: String,
    /// Meta local storage country, e.g. `DE`.
    pub meta_local_storage: Option<String>,
    /// `EMBEDDED_SIGNUP` (default) or `ON_BEHALF_OF`.
    pub flow: Option<OnboardingFlow>,
    /// On-behalf-of: legal company name.
    pub company_legal_name: Option<String>,
    /// On-behalf-of: the customer's Meta Business Manager id.
    pub client_business_manager_id: Option<String>,
    /// On-behalf-of: `CUSTOMER` or `SINCH`.
    pub phone_number_provider: Option<String>,
    /// On-behalf-of: country calling code, e.g. `49`.
    pub country_code: Option<String>,
    /// On-behalf-of: number without country code (when the customer provides it).
    pub phone_number: Option<String>,
    /// On-behalf-of: WhatsApp display name.
    pub display_name: Option<String>,
    /// On-behalf-of: business vertical.
    pub vertical: Option<String>,
}

/// Input of `startOnboarding`.
#[derive(InputObject)]
pub struct StartOnboardingInput {
    /// An existing client.
    pub client_id: Option<ID>,
    /// Or a client to create (reused when its `externalId` exists).
    pub client: Option<ClientInput>,
    /// The provider.
    pub provider: Provider,
    /// Zavu: link lifetime in days, 1..30 (default 7).
    pub expires_in_days: Option<i32>,
    /// Zavu: pre-assigned provider number id.
    pub phone_number_id: Option<String>,
    /// Zavu: ISO-3166 alpha-2 countries the customer may pick a number from.
    pub allowed_phone_countries: Option<Vec<String>>,
    /// Sinch input.
    pub sinch: Option<SinchOnboardingInput>,
    /// Same key + same input: the same invitation, no second provider call.
    pub idempotency_key: Option<String>,
}

/// Input of `completeOnboarding`: the result the partner frontend got (embedded
/// signup ids, or the SendZen iframe's postMessage).
#[derive(InputObject)]
pub struct CompleteOnboardingInput {
    /// The invitation.
    pub invitation_id: ID,
    /// Meta WABA id.
    pub waba_id: Option<String>,
    /// Meta phone-number id.
    pub phone_number_id: Option<String>,
    /// SendZen: `completed` or `failed`.
    pub status: Option<String>,
    /// SendZen: failure message.
    pub message: Option<String>,
}

/// Result of the invitation mutations.
#[derive(SimpleObject)]
pub struct InvitationPayload {
    /// The invitation, when the mutation succeeded.
    pub invitation: Option<InvitationNode>,
    /// Why it was refused; empty on success.
    pub user_errors: Vec<UserError>,
}

/// Result of the sender mutations.
#[derive(SimpleObject)]
pub struct SenderPayload {
    /// The sender, when the mutation succeeded.
    pub sender: Option<SenderNode>,
    /// Why it was refused; empty on success.
    pub user_errors: Vec<UserError>,
}

/// Result of `syncProvider`.
#[derive(SimpleObject)]
pub struct SyncPayload {
    /// The provider synced.
    pub provider: Provider,
    /// Rows created.
    pub imported: i32,
    /// Existing rows whose status changed.
    pub updated: i32,
    /// Why it was refused; empty on success.
    pub user_errors: Vec<UserError>,
}

fn user_errors(refusals: Vec<Refusal>) -> Vec<UserError> {
    refusals.into_iter().map(|r| UserError { field: Some(r.field), message: r.message, code: r.code }).collect()
}

/// Split a flow failure into refusals (for the payload) and errors (GraphQL errors).
fn refusals(failure: Failure) -> ApiResult<Vec<UserError>> {
    match failure {
        Failure::Refused(r) => Ok(user_errors(r)),
        Failure::Provider(e) => Err(ApiError::from(e)),
        Failure::Store(e) => Err(ApiError::from(e)),
    }
}

fn ob(ctx: &Context<'_>) -> Onboarding {
    ctx.data_unchecked::<Onboarding>().clone()
}

impl InvitationPayload {
    fn refused(errors: Vec<UserError>) -> Self {
        Self { invitation: None, user_errors: errors }
    }

    async fn after(ob: &Onboarding, id: i64, result: Result<(), Failure>) -> ApiResult<Self> {
        if let Err(f) = result {
            return Ok(Self::refused(refusals(f)?));
        }
        Ok(Self { invitation: Some(InvitationNode(ob.store.invitation(id).await?)), user_errors: vec![] })
    }
}

fn not_found(field: &str, what: &str) -> Vec<UserError> {
    user_errors(vec![Refusal::new(&[field], "NOT_FOUND", format!("no {what} has this id"))])
}

async fn invitation_arg(ob: &Onboarding, id: &ID, field: &[&str]) -> Result<Invitation, Vec<UserError>> {
    let Ok(id) = GlobalId::decode_as(id, NodeType::Invitation) else {
        return Err(user_errors(vec![Refusal::new(field, "NOT_FOUND", "not an invitation id")]));
    };
    ob.invitation(id, field).await.map_err(|f| match f {
        Failure::Refused(r) => user_errors(r),
        _ => not_found(field[field.len() - 1], "invitation"),
    })
}

impl StartOnboardingInput {
    /// The request and its canonical form (for the idempotency hash), or refusals.
    fn parse(self) -> Result<(StartRequest, serde_json::Value, Option<String>), Vec<Refusal>> {
        let mut errors = Vec::new();
        let client = match (self.client_id, self.client) {
            (Some(id), None) => match GlobalId::decode_as(&id, NodeType::Client) {
                Ok(id) => Some(ClientRef::Id(id)),
                Err(_) => {
                    errors.push(Refusal::new(&["input", "clientId"], "CLIENT_NOT_FOUND", "no client has this id"));
                    None
                }
            },
            (None, Some(c)) => {
                let labels = c.labels.map(|j| j.0);
                match ClientDraft::parse(
                    c.external_id.as_deref(),
                    &c.name,
                    c.email.as_deref(),
                    c.phone.as_deref(),
                    labels,
                ) {
                    Ok(d) => Some(ClientRef::Draft(d)),
                    Err(es) => {
                        errors.extend(es.into_iter().map(|e| {
                            let mut r = Refusal::from(e);
                            r.field.insert(1, "client".into());
                            r
                        }));
                        None
                    }
                }
            }
            _ => {
                errors.push(Refusal::new(
                    &["input", "clientId"],
                    "REQUIRED",
                    "give exactly one of clientId and client",
                ));
                None
            }
        };
        let sinch = self.sinch.map(|s| SinchParams {
            region: s.region,
            meta_local_storage: s.meta_local_storage,
            flow: s.flow.map(|f| f.as_str().to_owned()),
            company_legal_name: s.company_legal_name,
            client_business_manager_id: s.client_business_manager_id,
            phone_number_provider: s.phone_number_provider,
            country_code: s.country_code,
            phone_number: s.phone_number,
            display_name: s.display_name,
            vertical: s.vertical,
        });
        let canonical = json!({
            "client": match &client { Some(ClientRef::Id(id)) => json!({ "id": id }), Some(ClientRef::Draft(d)) => json!({
                "externalId": d.external_id, "name": d.name, "email": d.email, "phone": d.phone, "labels": d.labels }), None => json!(null) },
            "provider": self.provider.as_str(), "expiresInDays": self.expires_in_days, "phoneNumberId": self.phone_number_id,
            "allowedPhoneCountries": self.allowed_phone_countries, "sinch": sinch,
        });
        let found = client.is_some();
        let req = StartRequest {
            // A placeholder when the client was refused, so every other problem is reported too.
            client: client.unwrap_or(ClientRef::Id(0)),
            provider: self.provider,
            expires_in_days: self.expires_in_days,
            phone_number_id: self.phone_number_id,
            allowed_phone_countries: self.allowed_phone_countries,
            sinch,
        };
        errors.extend(req.problems());
        if errors.is_empty() && found {
            Ok((req, canonical, self.idempotency_key))
        } else {
            Err(errors)
        }
    }
}

#[Object]
impl OnboardingMutation {
    /// Start an onboarding at a provider: Zavu hosted link, SendZen iframe, Sinch
    /// embedded signup or on-behalf-of.
    async fn start_onboarding(&self, ctx: &Context<'_>, input: StartOnboardingInput) -> ApiResult<InvitationPayload> {
        let ob = ob(ctx);
        let (req, canonical, key) = match input.parse() {
            Ok(parsed) => parsed,
            Err(r) => return Ok(InvitationPayload::refused(user_errors(r))),
        };
        let hash = idempotency::request_hash(&canonical);
        match idempotency::start_once(&ob, key.as_deref(), &hash, &req).await {
            Ok(inv) => Ok(InvitationPayload { invitation: Some(InvitationNode(inv)), user_errors: vec![] }),
            Err(f) => Ok(InvitationPayload::refused(refusals(f)?)),
        }
    }

    /// Hand bspgraph the result the partner frontend got: Sinch embedded signup
    /// (`wabaId`, `phoneNumberId`) or the SendZen iframe's postMessage (`status`, ...).
    async fn complete_onboarding(
        &self,
        ctx: &Context<'_>,
        input: CompleteOnboardingInput,
    ) -> ApiResult<InvitationPayload> {
        let ob = ob(ctx);
        let inv = match invitation_arg(&ob, &input.invitation_id, &["input", "invitationId"]).await {
            Ok(inv) => inv,
            Err(e) => return Ok(InvitationPayload::refused(e)),
        };
        let result = match (inv.provider, inv.flow) {
            (Provider::Sinch, OnboardingFlow::EmbeddedSignup) => {
                sinch_es::complete(&ob, &inv, input.waba_id, input.phone_number_id).await
            }
            (Provider::Sendzen, _) => {
                let completed = input.status.as_deref().is_none_or(|s| s.eq_ignore_ascii_case("completed"));
                let result = sendzen::OnboardingResult {
                    completed,
                    waba_id: input.waba_id,
                    phone_number_id: input.phone_number_id,
                    message: input.message,
                };
                sendzen::apply_result(&ob, &inv, &result, ChangeSource::Mutation).await
            }
            _ => Err(Refusal::new(
                &["input", "invitationId"],
                "UNSUPPORTED_FOR_PROVIDER",
                "this flow completes by itself",
            )
            .into()),
        };
        InvitationPayload::after(&ob, inv.id, result).await
    }

    /// Cancel an invitation (Zavu at the provider; SendZen and Sinch locally).
    async fn cancel_invitation(&self, ctx: &Context<'_>, id: ID) -> ApiResult<InvitationPayload> {
        let ob = ob(ctx);
        let inv = match invitation_arg(&ob, &id, &["id"]).await {
            Ok(inv) => inv,
            Err(e) => return Ok(InvitationPayload::refused(e)),
        };
        let result = match inv.provider {
            Provider::Zavu => zavu::cancel(&ob, &inv).await,
            _ => zavu::local_cancel(&ob, &inv).await,
        };
        InvitationPayload::after(&ob, inv.id, result).await
    }

    /// A fresh link for the same client and project (SendZen iframe).
    async fn renew_invitation(&self, ctx: &Context<'_>, id: ID) -> ApiResult<InvitationPayload> {
        let ob = ob(ctx);
        let inv = match invitation_arg(&ob, &id, &["id"]).await {
            Ok(inv) => inv,
            Err(e) => return Ok(InvitationPayload::refused(e)),
        };
        let result = match inv.provider {
            Provider::Sendzen => sendzen::renew(&ob, &inv).await,
            _ => Err(Refusal::new(&["id"], "UNSUPPORTED_FOR_PROVIDER", "only SendZen links are renewed").into()),
        };
        InvitationPayload::after(&ob, inv.id, result).await
    }

    /// Ask for the verification code of a sender awaiting verification (Sinch).
    async fn register_sender(&self, ctx: &Context<'_>, id: ID, method: VerificationMethod) -> ApiResult<SenderPayload> {
        let ob = ob(ctx);
        let sender = match sender_arg(&ob, &id).await? {
            Ok(s) => s,
            Err(e) => return Ok(SenderPayload { sender: None, user_errors: e }),
        };
        sender_payload(&ob, sender.id, sinch_obo::register(&ob, &sender, method).await).await
    }

    /// Submit the verification code (Sinch); a wrong code is `WRONG_OTP`.
    async fn verify_sender(&self, ctx: &Context<'_>, id: ID, code: String) -> ApiResult<SenderPayload> {
        let ob = ob(ctx);
        let sender = match sender_arg(&ob, &id).await? {
            Ok(s) => s,
            Err(e) => return Ok(SenderPayload { sender: None, user_errors: e }),
        };
        sender_payload(&ob, sender.id, sinch_obo::verify(&ob, &sender, code.trim()).await).await
    }

    /// Re-read a node from its provider now and return it.
    async fn refresh(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<Node>> {
        let ob = ob(ctx);
        let gid = GlobalId::decode(&id).map_err(ApiError::BadId)?;
        let result = match gid.node_type {
            NodeType::Invitation => advance::advance(&ob, gid.id, ChangeSource::Mutation).await,
            NodeType::Sender => match ob.store.sender(gid.id).await {
                Ok(s) => advance::sender(&ob, &s, ChangeSource::Mutation).await,
                Err(_) => Ok(()),
            },
            _ => Ok(()),
        };
        match result {
            Err(Failure::Provider(e)) => return Err(e.into()),
            Err(Failure::Store(crate::store::StoreError::NotFound(_))) => return Ok(None),
            Err(Failure::Store(e)) => return Err(e.into()),
            _ => {}
        }
        load_node(ctx, gid).await
    }

    /// Import and update the provider's objects (all pages).
    async fn sync_provider(&self, ctx: &Context<'_>, provider: Provider) -> ApiResult<SyncPayload> {
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

    /// Sandbox mode only: move the invitation's simulated customer one step
    /// (the simulator also sends its signed webhooks).
    async fn sandbox_simulate(
        &self,
        ctx: &Context<'_>,
        invitation_id: ID,
        action: SandboxAction,
    ) -> ApiResult<InvitationPayload> {
        let ob = ob(ctx);
        let inv = match invitation_arg(&ob, &invitation_id, &["invitationId"]).await {
            Ok(inv) => inv,
            Err(e) => return Ok(InvitationPayload::refused(e)),
        };
        let result = simulate::simulate(&ob, &inv, action.into()).await;
        InvitationPayload::after(&ob, inv.id, result).await
    }
}

async fn sender_arg(ob: &Onboarding, id: &ID) -> ApiResult<Result<crate::domain::Sender, Vec<UserError>>> {
    let Ok(id) = GlobalId::decode_as(id, NodeType::Sender) else { return Ok(Err(not_found("id", "sender"))) };
    match ob.store.sender(id).await {
        Ok(s) => Ok(Ok(s)),
        Err(crate::store::StoreError::NotFound(_)) => Ok(Err(not_found("id", "sender"))),
        Err(e) => Err(e.into()),
    }
}

async fn sender_payload(ob: &Onboarding, id: i64, result: Result<(), Failure>) -> ApiResult<SenderPayload> {
    if let Err(f) = result {
        return Ok(SenderPayload { sender: None, user_errors: refusals(f)? });
    }
    Ok(SenderPayload { sender: Some(SenderNode(ob.store.sender(id).await?)), user_errors: vec![] })
}
