//! The GraphQL object types of the five entities and the event, and the `Node`
//! interface. They wrap `domain` values; relations resolve through the loaders.

use std::sync::Arc;

use async_graphql::{Context, Interface, Json, Object, ID};
use chrono::{DateTime, Utc};

use super::batch::{BatchKey, Loaders};
use super::connection::{list_cost, page_args, slice, InvitationConnection, Total};
use super::error::ApiResult;
use super::loaders::*;
use crate::domain::{
    ChangeSource, Client, Event, GlobalId, Invitation, InvitationStatus, NodeType, OnboardingFlow, Project, Provider,
    Sender, SenderStatus, Waba, WabaStatus,
};
use crate::store::InvitationFilter;

/// Any object with a global id.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Opaque global id."))]
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

fn wrap<T, N>(items: Vec<T>, f: impl Fn(T) -> N) -> Vec<N> {
    items.into_iter().map(f).collect()
}

/// The partner's end customer being onboarded.
pub struct ClientNode(pub Client);

#[Object(name = "Client")]
impl ClientNode {
    async fn id(&self) -> ID {
        gid(NodeType::Client, self.0.id)
    }
    /// The partner's own id for this customer (unique).
    async fn external_id(&self) -> Option<&str> {
        self.0.external_id.as_deref()
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    /// E.164.
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }
    async fn labels(&self) -> Option<Json<serde_json::Value>> {
        self.0.labels.clone().map(Json)
    }
    /// This client's onboarding attempts, oldest first.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn invitations(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        status: Option<Vec<InvitationStatus>>,
        provider: Option<Provider>,
    ) -> ApiResult<InvitationConnection> {
        let args = page_args(first, after.as_deref())?;
        let filter = InvitationFilter { provider, status: status.unwrap_or_default(), client_id: None };
        let all = many(ctx, InvitationsOfClient(self.0.id, filter)).await?;
        let (page, total) = slice(all, args, |i| i.id);
        Ok(InvitationConnection::new(page, args, Total::Known(total)))
    }
    async fn projects(&self, ctx: &Context<'_>) -> ApiResult<Vec<ProjectNode>> {
        Ok(wrap(many(ctx, ProjectsOfClient(self.0.id)).await?, ProjectNode))
    }
    async fn senders(&self, ctx: &Context<'_>, status: Option<Vec<SenderStatus>>) -> ApiResult<Vec<SenderNode>> {
        Ok(wrap(many(ctx, SendersOfClient(self.0.id, status.unwrap_or_default())).await?, SenderNode))
    }
    async fn wabas(&self, ctx: &Context<'_>) -> ApiResult<Vec<WabaNode>> {
        Ok(wrap(many(ctx, WabasOfClient(self.0.id)).await?, WabaNode))
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A provider-side container.
pub struct ProjectNode(pub Project);

#[Object(name = "Project")]
impl ProjectNode {
    async fn id(&self) -> ID {
        gid(NodeType::Project, self.0.id)
    }
    async fn provider(&self) -> Provider {
        self.0.provider
    }
    async fn provider_id(&self) -> &str {
        &self.0.provider_id
    }
    async fn name(&self) -> Option<&str> {
        self.0.name.as_deref()
    }
    async fn client(&self, ctx: &Context<'_>) -> ApiResult<Option<ClientNode>> {
        Ok(one(ctx, self.0.client_id.map(ClientId)).await?.map(ClientNode))
    }
    async fn senders(&self, ctx: &Context<'_>) -> ApiResult<Vec<SenderNode>> {
        Ok(wrap(many(ctx, SendersOfProject(self.0.id)).await?, SenderNode))
    }
    async fn wabas(&self, ctx: &Context<'_>) -> ApiResult<Vec<WabaNode>> {
        Ok(wrap(many(ctx, WabasOfProject(self.0.id)).await?, WabaNode))
    }
    /// A per-customer provider key is stored (the key itself is never returned).
    async fn has_credentials(&self) -> bool {
        self.0.has_credentials
    }
    async fn raw(&self) -> Option<Json<serde_json::Value>> {
        self.0.raw.clone().map(Json)
    }
    async fn synced_at(&self) -> Option<DateTime<Utc>> {
        self.0.synced_at
    }
}

/// One onboarding attempt.
pub struct InvitationNode(pub Invitation);

#[Object(name = "Invitation")]
impl InvitationNode {
    async fn id(&self) -> ID {
        gid(NodeType::Invitation, self.0.id)
    }
    async fn provider(&self) -> Provider {
        self.0.provider
    }
    /// Null where the provider has no invitation object.
    async fn provider_id(&self) -> Option<&str> {
        self.0.provider_id.as_deref()
    }
    async fn flow(&self) -> OnboardingFlow {
        self.0.flow
    }
    async fn client(&self, ctx: &Context<'_>) -> ApiResult<ClientNode> {
        let client = one(ctx, Some(ClientId(self.0.client_id))).await?;
        client.map(ClientNode).ok_or_else(|| anyhow::anyhow!("invitation {} has no client row", self.0.id).into())
    }
    async fn project(&self, ctx: &Context<'_>) -> ApiResult<Option<ProjectNode>> {
        Ok(one(ctx, self.0.project_id.map(ProjectId)).await?.map(ProjectNode))
    }
    /// The link to hand to the customer (null for embedded signup).
    async fn url(&self) -> Option<&str> {
        self.0.url.as_deref()
    }
    async fn status(&self) -> InvitationStatus {
        self.0.status
    }
    async fn provider_status(&self) -> Option<&str> {
        self.0.provider_status.as_deref()
    }
    async fn failure_reason(&self) -> Option<&str> {
        self.0.failure_reason.as_deref()
    }
    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.expires_at
    }
    async fn viewed_at(&self) -> Option<DateTime<Utc>> {
        self.0.viewed_at
    }
    async fn started_at(&self) -> Option<DateTime<Utc>> {
        self.0.started_at
    }
    async fn completed_at(&self) -> Option<DateTime<Utc>> {
        self.0.completed_at
    }
    async fn sender(&self, ctx: &Context<'_>) -> ApiResult<Option<SenderNode>> {
        Ok(one(ctx, self.0.sender_id.map(SenderId)).await?.map(SenderNode))
    }
    async fn waba(&self, ctx: &Context<'_>) -> ApiResult<Option<WabaNode>> {
        Ok(one(ctx, self.0.waba_id.map(WabaId)).await?.map(WabaNode))
    }
    async fn raw(&self) -> Option<Json<serde_json::Value>> {
        self.0.raw.clone().map(Json)
    }
    async fn synced_at(&self) -> Option<DateTime<Utc>> {
        self.0.synced_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A WhatsApp phone-number sender.
pub struct SenderNode(pub Sender);

#[Object(name = "Sender")]
impl SenderNode {
    async fn id(&self) -> ID {
        gid(NodeType::Sender, self.0.id)
    }
    async fn provider(&self) -> Provider {
        self.0.provider
    }
    async fn provider_id(&self) -> &str {
        &self.0.provider_id
    }
    async fn client(&self, ctx: &Context<'_>) -> ApiResult<Option<ClientNode>> {
        Ok(one(ctx, self.0.client_id.map(ClientId)).await?.map(ClientNode))
    }
    async fn project(&self, ctx: &Context<'_>) -> ApiResult<Option<ProjectNode>> {
        Ok(one(ctx, self.0.project_id.map(ProjectId)).await?.map(ProjectNode))
    }
    async fn waba(&self, ctx: &Context<'_>) -> ApiResult<Option<WabaNode>> {
        Ok(one(ctx, self.0.waba_id.map(WabaId)).await?.map(WabaNode))
    }
    /// E.164.
    async fn phone_number(&self) -> Option<&str> {
        self.0.phone_number.as_deref()
    }
    /// Meta's phone number id, shared across providers.
    async fn phone_number_id(&self) -> Option<&str> {
        self.0.phone_number_id.as_deref()
    }
    async fn display_name(&self) -> Option<&str> {
        self.0.display_name.as_deref()
    }
    async fn status(&self) -> SenderStatus {
        self.0.status
    }
    async fn provider_status(&self) -> Option<&str> {
        self.0.provider_status.as_deref()
    }
    /// Rejection or error reason from the provider.
    async fn status_reason(&self) -> Option<&str> {
        self.0.status_reason.as_deref()
    }
    async fn region(&self) -> Option<&str> {
        self.0.region.as_deref()
    }
    async fn quality_rating(&self) -> Option<&str> {
        self.0.quality_rating.as_deref()
    }
    async fn raw(&self) -> Option<Json<serde_json::Value>> {
        self.0.raw.clone().map(Json)
    }
    async fn synced_at(&self) -> Option<DateTime<Utc>> {
        self.0.synced_at
    }
}

/// A WhatsApp Business Account.
pub struct WabaNode(pub Waba);

#[Object(name = "Waba")]
impl WabaNode {
    async fn id(&self) -> ID {
        gid(NodeType::Waba, self.0.id)
    }
    async fn provider(&self) -> Provider {
        self.0.provider
    }
    /// Meta's WABA id.
    async fn waba_id(&self) -> &str {
        &self.0.waba_id
    }
    async fn name(&self) -> Option<&str> {
        self.0.name.as_deref()
    }
    async fn status(&self) -> WabaStatus {
        self.0.status
    }
    async fn client(&self, ctx: &Context<'_>) -> ApiResult<Option<ClientNode>> {
        Ok(one(ctx, self.0.client_id.map(ClientId)).await?.map(ClientNode))
    }
    async fn project(&self, ctx: &Context<'_>) -> ApiResult<Option<ProjectNode>> {
        Ok(one(ctx, self.0.project_id.map(ProjectId)).await?.map(ProjectNode))
    }
    async fn senders(&self, ctx: &Context<'_>) -> ApiResult<Vec<SenderNode>> {
        Ok(wrap(many(ctx, SendersOfWaba(self.0.id)).await?, SenderNode))
    }
    async fn raw(&self) -> Option<Json<serde_json::Value>> {
        self.0.raw.clone().map(Json)
    }
    async fn synced_at(&self) -> Option<DateTime<Utc>> {
        self.0.synced_at
    }
}

/// One change recorded in the event log.
pub struct StatusEvent(pub Event);

#[Object]
impl StatusEvent {
    /// Resume point for subscriptions and the `events` query.
    async fn cursor(&self) -> String {
        crate::domain::encode_cursor(self.0.seq)
    }
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
    async fn provider(&self) -> Provider {
        self.0.provider
    }
    async fn source(&self) -> ChangeSource {
        self.0.source
    }
    /// The Invitation, Sender, Waba or Project that changed.
    async fn node(&self, ctx: &Context<'_>) -> ApiResult<Node> {
        let id = GlobalId::new(self.0.node_type, self.0.node_id);
        load_node(ctx, id).await?.ok_or_else(|| anyhow::anyhow!("event {} names a missing node", self.0.seq).into())
    }
    /// "status" for status changes.
    async fn field(&self) -> &str {
        &self.0.field
    }
    async fn previous_status(&self) -> Option<&str> {
        self.0.previous_value.as_deref()
    }
    async fn status(&self) -> &str {
        &self.0.new_value
    }
}
