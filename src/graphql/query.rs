//! Read API: nodes by id, clients, the four provider-backed lists and the event log.

use async_graphql::{Context, InputObject, Object, ID};

use super::connection::*;
use super::error::{ApiError, ApiResult};
use super::nodes::{load_node, ClientNode, Node};
use super::scope;
use crate::domain::{GlobalId, InvitationStatus, NodeType, Provider, SenderStatus};
use crate::store::{self, Store};

/// Root of all queries.
pub struct Query;

/// Filters of `clients`.
#[derive(InputObject, Default)]
pub struct ClientFilter {
    /// Case-insensitive substring of name, email or externalId.
    pub search: Option<String>,
    /// Only clients with an invitation, project or sender at this provider.
    pub provider: Option<Provider>,
    /// Only clients with an invitation in one of these statuses.
    pub invitation_status: Option<Vec<InvitationStatus>>,
}

/// Filters of `invitations`.
#[derive(InputObject, Default)]
pub struct InvitationFilter {
    /// Only this provider.
    pub provider: Option<Provider>,
    /// Only these statuses.
    pub status: Option<Vec<InvitationStatus>>,
    /// Only this client.
    pub client_id: Option<ID>,
}

/// Filters of `senders`.
#[derive(InputObject, Default)]
pub struct SenderFilter {
    /// Only this provider.
    pub provider: Option<Provider>,
    /// Only these statuses.
    pub status: Option<Vec<SenderStatus>>,
    /// Only this client.
    pub client_id: Option<ID>,
}

/// Filters of `events` (and later `statusChanged`).
#[derive(InputObject, Default)]
pub struct EventFilter {
    /// Only this provider.
    pub provider: Option<Provider>,
    /// Only nodes of this client.
    pub client_id: Option<ID>,
    /// Only this node.
    pub node_id: Option<ID>,
}

/// Decode an optional global id that must be of type `t`.
pub fn decode_opt(id: Option<&ID>, t: NodeType) -> ApiResult<Option<i64>> {
    id.map(|id| GlobalId::decode_as(id, t).map_err(ApiError::BadId)).transpose()
}

impl EventFilter {
    /// The store filter this input describes.
    pub fn to_store(&self) -> ApiResult<store::EventFilter> {
        let node = match &self.node_id {
            Some(id) => {
                let gid = GlobalId::decode(id).map_err(ApiError::BadId)?;
                Some((gid.node_type, gid.id))
            }
            None => None,
        };
        Ok(store::EventFilter {
            provider: self.provider,
            client_id: decode_opt(self.client_id.as_ref(), NodeType::Client)?,
            node,
        })
    }
}

fn store<'a>(ctx: &Context<'a>) -> &'a Store {
    ctx.data_unchecked::<Store>()
}

#[Object(name = "ReadQuery")]
impl Query {
    /// Any node by its global id; null when it does not exist.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<Node>> {
        let gid = GlobalId::decode(&id).map_err(ApiError::BadId)?;
        load_node(ctx, gid).await
    }

    /// Several nodes by global id, in the order asked (null for missing ones).
    #[graphql(complexity = "list_cost(Some(ids.len() as i32), child_complexity)")]
    async fn nodes(&self, ctx: &Context<'_>, ids: Vec<ID>) -> ApiResult<Vec<Option<Node>>> {
        if ids.len() > super::error::MAX_PAGE_SIZE as usize {
            return Err(ApiError::PageSize(ids.len() as i32));
        }
        let gids = ids.iter().map(|id| GlobalId::decode(id).map_err(ApiError::BadId)).collect::<ApiResult<Vec<_>>>()?;
        futures_util::future::try_join_all(gids.into_iter().map(|gid| load_node(ctx, gid))).await
    }

    /// One client by global id or by the partner's external id (exactly one of them).
    async fn client(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        external_id: Option<String>,
    ) -> ApiResult<Option<ClientNode>> {
        match (id, external_id) {
            (Some(id), None) => {
                let id = GlobalId::decode_as(&id, NodeType::Client).map_err(ApiError::BadId)?;
                Ok(load_node(ctx, GlobalId::new(NodeType::Client, id)).await?.and_then(|n| match n {
                    Node::Client(c) => Some(c),
                    _ => None,
                }))
            }
            (None, Some(ext)) => {
                let client = store(ctx).client_by_external_id(&ext).await?;
                Ok(client.filter(|c| scope::visible(ctx, Some(c.id))).map(ClientNode))
            }
            _ => Err(ApiError::BadInput("pass exactly one of id and externalId".into())),
        }
    }

    /// Clients, oldest first.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn clients(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<ClientFilter>,
    ) -> ApiResult<ClientConnection> {
        let args = page_args(first, after.as_deref())?;
        let f = filter.unwrap_or_default();
        let filter = store::ClientFilter {
            id: scope::narrow(ctx, None),
            search: f.search,
            provider: f.provider,
            invitation_status: f.invitation_status.unwrap_or_default(),
        };
        let page = store(ctx).clients_page(&filter, args).await?;
        Ok(ClientConnection::new(page, args, Total::Clients(filter)))
    }

    /// Invitations of every client, oldest first.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn invitations(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<InvitationFilter>,
    ) -> ApiResult<InvitationConnection> {
        let args = page_args(first, after.as_deref())?;
        let f = filter.unwrap_or_default();
        let filter = store::InvitationFilter {
            provider: f.provider,
            status: f.status.unwrap_or_default(),
            client_id: scope::narrow(ctx, decode_opt(f.client_id.as_ref(), NodeType::Client)?),
        };
        let page = store(ctx).invitations_page(&filter, args).await?;
        Ok(InvitationConnection::new(page, args, Total::Invitations(filter)))
    }

    /// Senders of every client, oldest first.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn senders(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<SenderFilter>,
    ) -> ApiResult<SenderConnection> {
        let args = page_args(first, after.as_deref())?;
        let f = filter.unwrap_or_default();
        let filter = store::SenderFilter {
            provider: f.provider,
            status: f.status.unwrap_or_default(),
            client_id: scope::narrow(ctx, decode_opt(f.client_id.as_ref(), NodeType::Client)?),
        };
        let page = store(ctx).senders_page(&filter, args).await?;
        Ok(SenderConnection::new(page, args, Total::Senders(filter)))
    }

    /// WhatsApp Business Accounts, oldest first.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn wabas(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        provider: Option<Provider>,
    ) -> ApiResult<WabaConnection> {
        let args = page_args(first, after.as_deref())?;
        let filter = store::OwnedFilter { provider, client_id: scope::narrow(ctx, None) };
        let page = store(ctx).wabas_page(&filter, args).await?;
        Ok(WabaConnection::new(page, args, Total::Wabas(filter)))
    }

    /// Provider-side projects, oldest first.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn projects(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        provider: Option<Provider>,
    ) -> ApiResult<ProjectConnection> {
        let args = page_args(first, after.as_deref())?;
        let filter = store::OwnedFilter { provider, client_id: scope::narrow(ctx, None) };
        let page = store(ctx).projects_page(&filter, args).await?;
        Ok(ProjectConnection::new(page, args, Total::Projects(filter)))
    }

    /// The event log: every status change, in order. Its cursors resume subscriptions.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn events(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<EventFilter>,
    ) -> ApiResult<StatusEventConnection> {
        let args = page_args(first, after.as_deref())?;
        let mut filter = filter.unwrap_or_default().to_store()?;
        filter.client_id = scope::narrow(ctx, filter.client_id);
        let page = store(ctx).events_page(&filter, args).await?;
        Ok(StatusEventConnection::new(page, args))
    }
}
