//! The GraphQL object types of the five entities and the `Node` interface (the event
//! log's type is in `event`). They wrap `domain` values; relations resolve through the loaders.

use std::sync::Arc;

use async_graphql::{Context, Interface, Json, Object, ID};

use super::batch::{BatchKey, Loaders};
use super::connection::{list_cost, page_args, slice, InvitationConnection, Total};
use super::error::ApiResult;
use super::fast::Fast;
use super::loaders::*;
use super::scalars::Timestamp;
use crate::domain::{
    Client, CursorKind, GlobalId, Invitation, InvitationStatus, NodeType, OnboardingFlow, Project, Provider, Sender,
    SenderStatus, Waba, WabaStatus,
};
use crate::store::{Clients, InvitationFilter};

/// Any object with a global id; fetch one again with `node(id:)`.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Opaque global id; stable, unique across all types."))]
pub enum Node {
    /// A client.
    Client(ClientNode),
    /// A project.
    Project(ProjectNode),
    /// An invitation.
    Invitation(InvitationNode),
    /// A sender.
    Sender(SenderNode),
    /// A WABA.
    Waba(WabaNode),
}

fn gid(t: NodeType, id: i64) -> ID {
    ID(GlobalId::new(t, id).encode())
}

fn loaders<'a>(ctx: &Context<'a>) -> &'a Loaders {
    ctx.data_unchecked::<Arc<Loaders>>()
}

/// A related object, `None` when it does not exist or the caller may not see it.
async fn one<K>(ctx: &Context<'_>, key: Option<K>) -> ApiResult<Option<K::Value>>
where
    K: BatchKey,
    K::Value: super::scope::Owned,
{
    match key {
        Some(k) => Ok(super::scope::visible_one(ctx, loaders(ctx).load_one(k).await?)),
        None => Ok(None),
    }
}

/// Related objects, narrowed to those the caller may see.
async fn many<K, V>(ctx: &Context<'_>, key: K) -> ApiResult<Vec<V>>
where
    K: BatchKey<Value = Vec<V>>,
    V: super::scope::Owned,
{
    Ok(super::scope::visible_only(ctx, loaders(ctx).load_one(key).await?.unwrap_or_default()))
}

/// Load any node by global id through the loaders (`None` when it does not exist).
pub async fn load_node(ctx: &Context<'_>, id: GlobalId) -> ApiResult<Option<Node>> {
    crate::response_cache::pin_generation(ctx).await;
    let node = match id.node_type {
        NodeType::Client => one(ctx, Some(ClientId(id.id))).await?.map(|n| (Some(n.id), Node::Client(ClientNode(n)))),
        NodeType::Project => {
            one(ctx, Some(ProjectId(id.id))).await?.map(|n| (n.client_id, Node::Project(ProjectNode(n))))
        }
        NodeType::Invitation => {
            one(ctx, Some(InvitationId(id.id))).await?.map(|n| (Some(n.client_id), Node::Invitation(InvitationNode(n))))
        }
        NodeType::Sender => one(ctx, Some(SenderId(id.id))).await?.map(|n| (n.client_id, Node::Sender(SenderNode(n)))),
        NodeType::Waba => one(ctx, Some(WabaId(id.id))).await?.map(|n| (n.client_id, Node::Waba(WabaNode(n)))),
    };
    // A node the caller may not see reads exactly like one that does not exist.
    Ok(node.filter(|(owner, _)| super::scope::visible(ctx, *owner)).map(|(_, node)| node))
}

/// Node objects, resolved with their leaf fields in place ([`Fast`]).
fn wrap<T, N>(items: Vec<T>, f: impl Fn(T) -> N) -> Vec<Fast<N>> {
    items.into_iter().map(|t| Fast(f(t))).collect()
}

/// The client behind the `Client` type.
pub struct ClientNode(pub Arc<Client>);

/// The partner's end customer being onboarded (a business that wants WhatsApp). Kept by
/// bspgraph itself; its onboardings at the providers hang off it.
#[Object(name = "Client")]
impl ClientNode {
    /// Opaque global id.
    async fn id(&self) -> ID {
        gid(NodeType::Client, self.0.id)
    }
    /// The partner's own id for this customer (unique); null when none was given.
    async fn external_id(&self) -> Option<&str> {
        self.0.external_id.as_deref()
    }
    /// Display name, 1 to 200 characters.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Contact email; null when none was given.
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    /// Contact phone in E.164 format, e.g. +14155550123; null when none was given.
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }
    /// The partner's own key/value data, as given (a JSON object); null when none was given.
    async fn labels(&self) -> Option<Json<serde_json::Value>> {
        self.0.labels.clone().map(Json)
    }
    /// This client's onboarding attempts, oldest first.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn invitations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many items to return: 0 to 100, default 20.")] first: Option<i32>,
        #[graphql(
            desc = "Return the items after this cursor: an `endCursor` or edge `cursor` of an invitations list (a cursor of another list is BAD_CURSOR)."
        )]
        after: Option<String>,
        #[graphql(desc = "Only invitations in one of these statuses.")] status: Option<Vec<InvitationStatus>>,
        #[graphql(desc = "Only invitations at this provider.")] provider: Option<Provider>,
    ) -> ApiResult<InvitationConnection> {
        let args = page_args(CursorKind::Invitations, first, after.as_deref())?;
        let filter = InvitationFilter { provider, status: status.unwrap_or_default(), clients: Clients::All };
        let all = many(ctx, InvitationsOfClient(self.0.id, filter)).await?;
        let (page, total) = slice(all, args, |i| i.id);
        Ok(InvitationConnection::new(page, args, Total::Known(total)))
    }
    /// This client's projects at the providers (all of them, oldest first).
    async fn projects(&self, ctx: &Context<'_>) -> ApiResult<Vec<Fast<ProjectNode>>> {
        Ok(wrap(many(ctx, ProjectsOfClient(self.0.id)).await?, ProjectNode))
    }
    /// This client's WhatsApp phone numbers (all of them, oldest first).
    async fn senders(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only senders in one of these statuses.")] status: Option<Vec<SenderStatus>>,
    ) -> ApiResult<Vec<Fast<SenderNode>>> {
        Ok(wrap(many(ctx, SendersOfClient(self.0.id, status.unwrap_or_default())).await?, SenderNode))
    }
    /// This client's WhatsApp Business Accounts (all of them, oldest first).
    async fn wabas(&self, ctx: &Context<'_>) -> ApiResult<Vec<Fast<WabaNode>>> {
        Ok(wrap(many(ctx, WabasOfClient(self.0.id)).await?, WabaNode))
    }
    /// When the client was created (ISO 8601, UTC).
    async fn created_at(&self) -> Timestamp {
        Timestamp(self.0.created_at)
    }
    /// When the client was last changed (ISO 8601, UTC).
    async fn updated_at(&self) -> Timestamp {
        Timestamp(self.0.updated_at)
    }
}

/// The project behind the `Project` type.
pub struct ProjectNode(pub Arc<Project>);

/// A container at a provider that holds a client's numbers and accounts (a SendZen
/// project, a Sinch subproject, a Zavu project).
#[Object(name = "Project")]
impl ProjectNode {
    /// Opaque global id.
    async fn id(&self) -> ID {
        gid(NodeType::Project, self.0.id)
    }
    /// The provider this object lives at.
    async fn provider(&self) -> Provider {
        self.0.provider
    }
    /// The provider's id for this project.
    async fn provider_id(&self) -> &str {
        &self.0.provider_id
    }
    /// The name at the provider; null when it has none.
    async fn name(&self) -> Option<&str> {
        self.0.name.as_deref()
    }
    /// The client it belongs to; null when it was imported and not linked to a client yet.
    async fn client(&self, ctx: &Context<'_>) -> ApiResult<Option<Fast<ClientNode>>> {
        Ok(one(ctx, self.0.client_id.map(ClientId)).await?.map(|n| Fast(ClientNode(n))))
    }
    /// The WhatsApp phone numbers in this project.
    async fn senders(&self, ctx: &Context<'_>) -> ApiResult<Vec<Fast<SenderNode>>> {
        Ok(wrap(many(ctx, SendersOfProject(self.0.id)).await?, SenderNode))
    }
    /// The WhatsApp Business Accounts in this project.
    async fn wabas(&self, ctx: &Context<'_>) -> ApiResult<Vec<Fast<WabaNode>>> {
        Ok(wrap(many(ctx, WabasOfProject(self.0.id)).await?, WabaNode))
    }
    /// Whether a per-customer provider key is stored for this project (the key itself is
    /// never returned).
    async fn has_credentials(&self) -> bool {
        self.0.has_credentials
    }
    /// The provider's last payload for this object, as JSON (secrets removed); its shape
    /// differs per provider. Null when none was received.
    async fn raw(&self) -> Option<Json<serde_json::Value>> {
        self.0.raw.clone().map(Json)
    }
    /// When bspgraph last read this object from the provider (ISO 8601, UTC); null when
    /// it never did.
    async fn synced_at(&self) -> Option<Timestamp> {
        self.0.synced_at.map(Timestamp)
    }
}

/// The invitation behind the `Invitation` type.
pub struct InvitationNode(pub Arc<Invitation>);

/// One attempt to take a client through onboarding at one provider, from the link (or
/// signup session) to a connected WhatsApp number.
#[Object(name = "Invitation")]
impl InvitationNode {
    /// Opaque global id.
    async fn id(&self) -> ID {
        gid(NodeType::Invitation, self.0.id)
    }
    /// The provider this object lives at.
    async fn provider(&self) -> Provider {
        self.0.provider
    }
    /// The provider's id for this invitation; null where the provider has no invitation
    /// object (SendZen iframe, Sinch).
    async fn provider_id(&self) -> Option<&str> {
        self.0.provider_id.as_deref()
    }
    /// How the customer is taken through this onboarding.
    async fn flow(&self) -> OnboardingFlow {
        self.0.flow
    }
    /// The client being onboarded.
    async fn client(&self, ctx: &Context<'_>) -> ApiResult<Fast<ClientNode>> {
        let client = one(ctx, Some(ClientId(self.0.client_id))).await?;
        client
            .map(|c| Fast(ClientNode(c)))
            .ok_or_else(|| anyhow::anyhow!("invitation {} has no client row", self.0.id).into())
    }
    /// The provider-side project the onboarding runs in; null until the provider made one
    /// (Zavu has none).
    async fn project(&self, ctx: &Context<'_>) -> ApiResult<Option<Fast<ProjectNode>>> {
        Ok(one(ctx, self.0.project_id.map(ProjectId)).await?.map(|n| Fast(ProjectNode(n))))
    }
    /// The link to hand to the customer (Zavu) or to embed in an iframe (SendZen); null
    /// for Sinch, whose signup runs in the partner frontend.
    async fn url(&self) -> Option<&str> {
        self.0.url.as_deref()
    }
    /// Where the onboarding stands, the same for every provider.
    async fn status(&self) -> InvitationStatus {
        self.0.status
    }
    /// The provider's own status text (e.g. `in_progress`, `ONBOARDED`), for support;
    /// null when the provider has not said.
    async fn provider_status(&self) -> Option<&str> {
        self.0.provider_status.as_deref()
    }
    /// Why it failed, as the provider or the customer said it (e.g. `fb_cancelled`); null
    /// unless `status` is FAILED.
    async fn failure_reason(&self) -> Option<&str> {
        self.0.failure_reason.as_deref()
    }
    /// When the link stops working (ISO 8601, UTC); null when it does not expire.
    async fn expires_at(&self) -> Option<Timestamp> {
        self.0.expires_at.map(Timestamp)
    }
    /// When the customer first opened the link (ISO 8601, UTC); null until then or when the
    /// provider does not report it.
    async fn viewed_at(&self) -> Option<Timestamp> {
        self.0.viewed_at.map(Timestamp)
    }
    /// When the customer started (ISO 8601, UTC); null until then.
    async fn started_at(&self) -> Option<Timestamp> {
        self.0.started_at.map(Timestamp)
    }
    /// When the onboarding completed (ISO 8601, UTC); null until then.
    async fn completed_at(&self) -> Option<Timestamp> {
        self.0.completed_at.map(Timestamp)
    }
    /// The WhatsApp number this onboarding connected; null until the provider created it.
    async fn sender(&self, ctx: &Context<'_>) -> ApiResult<Option<Fast<SenderNode>>> {
        Ok(one(ctx, self.0.sender_id.map(SenderId)).await?.map(|n| Fast(SenderNode(n))))
    }
    /// The WhatsApp Business Account this onboarding connected; null until it is known.
    async fn waba(&self, ctx: &Context<'_>) -> ApiResult<Option<Fast<WabaNode>>> {
        Ok(one(ctx, self.0.waba_id.map(WabaId)).await?.map(|n| Fast(WabaNode(n))))
    }
    /// The provider's last payload for this object, as JSON (secrets removed); its shape
    /// differs per provider. Null when none was received.
    async fn raw(&self) -> Option<Json<serde_json::Value>> {
        self.0.raw.clone().map(Json)
    }
    /// When bspgraph last read this object from the provider (ISO 8601, UTC); null when
    /// it never did.
    async fn synced_at(&self) -> Option<Timestamp> {
        self.0.synced_at.map(Timestamp)
    }
    /// When the onboarding was started (ISO 8601, UTC).
    async fn created_at(&self) -> Timestamp {
        Timestamp(self.0.created_at)
    }
    /// When the invitation last changed (ISO 8601, UTC).
    async fn updated_at(&self) -> Timestamp {
        Timestamp(self.0.updated_at)
    }
}

/// The sender behind the `Sender` type.
pub struct SenderNode(pub Arc<Sender>);

/// A WhatsApp phone number a client sends messages from, at one provider.
#[Object(name = "Sender")]
impl SenderNode {
    /// Opaque global id.
    async fn id(&self) -> ID {
        gid(NodeType::Sender, self.0.id)
    }
    /// The provider this object lives at.
    async fn provider(&self) -> Provider {
        self.0.provider
    }
    /// The provider's id for this sender.
    async fn provider_id(&self) -> &str {
        &self.0.provider_id
    }
    /// The client it belongs to; null when it was imported and not linked to a client yet.
    async fn client(&self, ctx: &Context<'_>) -> ApiResult<Option<Fast<ClientNode>>> {
        Ok(one(ctx, self.0.client_id.map(ClientId)).await?.map(|n| Fast(ClientNode(n))))
    }
    /// The provider-side project it lives in; null where the provider has none.
    async fn project(&self, ctx: &Context<'_>) -> ApiResult<Option<Fast<ProjectNode>>> {
        Ok(one(ctx, self.0.project_id.map(ProjectId)).await?.map(|n| Fast(ProjectNode(n))))
    }
    /// The WhatsApp Business Account it belongs to; null until it is known.
    async fn waba(&self, ctx: &Context<'_>) -> ApiResult<Option<Fast<WabaNode>>> {
        Ok(one(ctx, self.0.waba_id.map(WabaId)).await?.map(|n| Fast(WabaNode(n))))
    }
    /// The phone number in E.164 format, e.g. +14155550123; null until the provider
    /// reports it.
    async fn phone_number(&self) -> Option<&str> {
        self.0.phone_number.as_deref()
    }
    /// Meta's id for this phone number (the same at every provider); null until known.
    async fn phone_number_id(&self) -> Option<&str> {
        self.0.phone_number_id.as_deref()
    }
    /// The WhatsApp display name customers see; null until known.
    async fn display_name(&self) -> Option<&str> {
        self.0.display_name.as_deref()
    }
    /// Where the number stands, the same for every provider.
    async fn status(&self) -> SenderStatus {
        self.0.status
    }
    /// The provider's own status text, for support; null when the provider has not said.
    async fn provider_status(&self) -> Option<&str> {
        self.0.provider_status.as_deref()
    }
    /// The provider's reason for a rejection, suspension or error; null otherwise.
    async fn status_reason(&self) -> Option<&str> {
        self.0.status_reason.as_deref()
    }
    /// Where the provider hosts the number (Sinch: `EU`, `US` or `BR`); null where the
    /// provider does not say.
    async fn region(&self) -> Option<&str> {
        self.0.region.as_deref()
    }
    /// Meta's quality rating of the number as the provider reports it (e.g. `GREEN`,
    /// `YELLOW`, `RED`); null until rated.
    async fn quality_rating(&self) -> Option<&str> {
        self.0.quality_rating.as_deref()
    }
    /// The provider's last payload for this object, as JSON (secrets removed); its shape
    /// differs per provider. Null when none was received.
    async fn raw(&self) -> Option<Json<serde_json::Value>> {
        self.0.raw.clone().map(Json)
    }
    /// When bspgraph last read this object from the provider (ISO 8601, UTC); null when
    /// it never did.
    async fn synced_at(&self) -> Option<Timestamp> {
        self.0.synced_at.map(Timestamp)
    }
}

/// The account behind the `Waba` type.
pub struct WabaNode(pub Arc<Waba>);

/// A WhatsApp Business Account (Meta's account that holds a client's numbers), as one
/// provider reports it.
#[Object(name = "Waba")]
impl WabaNode {
    /// Opaque global id.
    async fn id(&self) -> ID {
        gid(NodeType::Waba, self.0.id)
    }
    /// The provider this object lives at.
    async fn provider(&self) -> Provider {
        self.0.provider
    }
    /// Meta's id for this account (the same at every provider).
    async fn waba_id(&self) -> &str {
        &self.0.waba_id
    }
    /// The business or account name; null when the provider does not report it.
    async fn name(&self) -> Option<&str> {
        self.0.name.as_deref()
    }
    /// Where the account stands, the same for every provider.
    async fn status(&self) -> WabaStatus {
        self.0.status
    }
    /// The client it belongs to; null when it was imported and not linked to a client yet.
    async fn client(&self, ctx: &Context<'_>) -> ApiResult<Option<Fast<ClientNode>>> {
        Ok(one(ctx, self.0.client_id.map(ClientId)).await?.map(|n| Fast(ClientNode(n))))
    }
    /// The provider-side project it lives in; null where the provider has none.
    async fn project(&self, ctx: &Context<'_>) -> ApiResult<Option<Fast<ProjectNode>>> {
        Ok(one(ctx, self.0.project_id.map(ProjectId)).await?.map(|n| Fast(ProjectNode(n))))
    }
    /// The WhatsApp phone numbers in this account.
    async fn senders(&self, ctx: &Context<'_>) -> ApiResult<Vec<Fast<SenderNode>>> {
        Ok(wrap(many(ctx, SendersOfWaba(self.0.id)).await?, SenderNode))
    }
    /// The provider's last payload for this object, as JSON (secrets removed); its shape
    /// differs per provider. Null when none was received.
    async fn raw(&self) -> Option<Json<serde_json::Value>> {
        self.0.raw.clone().map(Json)
    }
    /// When bspgraph last read this object from the provider (ISO 8601, UTC); null when
    /// it never did.
    async fn synced_at(&self) -> Option<Timestamp> {
        self.0.synced_at.map(Timestamp)
    }
}
