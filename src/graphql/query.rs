//! Read API: nodes by id, clients, the four provider-backed lists and the event log.

use async_graphql::{Context, InputObject, Object, ID};

use super::batch::{BatchKey, Loaders};
use super::connection::*;
use super::error::{ApiError, ApiResult};
use super::loaders::{ClientsPage, InvitationsPage, ProjectsPage, SendersPage, WabasPage};
use super::nodes::{load_node, ClientNode, Node};
use super::scope;
use crate::domain::{CursorKind, GlobalId, InvitationStatus, NodeType, Provider, SenderStatus};
use crate::store::{self, Store};

/// Root of all queries.
pub struct Query;

/// Narrows the `clients` list; every given filter must match.
#[derive(InputObject, Default)]
#[graphql(name = "ClientFilter")]
pub struct ClientFilterInput {
    /// Case-insensitive substring of name, email or externalId.
    pub search: Option<String>,
    /// Only clients with an invitation, project or sender at this provider.
    pub provider: Option<Provider>,
    /// Only clients with an invitation in one of these statuses (any of them).
    pub invitation_status: Option<Vec<InvitationStatus>>,
}

/// Narrows the `invitations` list; every given filter must match.
#[derive(InputObject, Default)]
#[graphql(name = "InvitationFilter")]
pub struct InvitationFilterInput {
    /// Only this provider.
    pub provider: Option<Provider>,
    /// Only invitations in one of these statuses.
    pub status: Option<Vec<InvitationStatus>>,
    /// Only this client's invitations (a `Client` id).
    pub client_id: Option<ID>,
}

/// Narrows the `senders` list; every given filter must match.
#[derive(InputObject, Default)]
#[graphql(name = "SenderFilter")]
pub struct SenderFilterInput {
    /// Only this provider.
    pub provider: Option<Provider>,
    /// Only senders in one of these statuses.
    pub status: Option<Vec<SenderStatus>>,
    /// Only this client's senders (a `Client` id).
    pub client_id: Option<ID>,
}

/// Narrows the event log (`events` and `statusChanged`); every given filter must match.
#[derive(InputObject, Default)]
#[graphql(name = "EventFilter")]
pub struct EventFilterInput {
    /// Only this provider.
    pub provider: Option<Provider>,
    /// Only changes of this client's objects (a `Client` id).
    pub client_id: Option<ID>,
    /// Only changes of this one object (the id of an `Invitation`, `Sender` or `Waba`).
    pub node_id: Option<ID>,
}

/// Decode an optional global id that must be of type `t`.
pub fn decode_opt(id: Option<&ID>, t: NodeType) -> ApiResult<Option<i64>> {
    id.map(|id| GlobalId::decode_as(id, t).map_err(ApiError::BadId)).transpose()
}

impl EventFilterInput {
    /// The store filter this input describes, narrowed to the caller's scope.
    pub fn to_store(&self, ctx: &Context<'_>) -> ApiResult<store::EventFilter> {
        let node = match &self.node_id {
            Some(id) => {
                let gid = GlobalId::decode(id).map_err(ApiError::BadId)?;
                Some((gid.node_type, gid.id))
            }
            None => None,
        };
        Ok(store::EventFilter {
            provider: self.provider,
            clients: scope::narrow(ctx, decode_opt(self.client_id.as_ref(), NodeType::Client)?),
            node,
        })
    }
}

/// The store, once the response cache's generation is taken (before any read).
async fn store<'a>(ctx: &Context<'a>) -> &'a Store {
    crate::response_cache::pin_generation(ctx).await;
    ctx.data_unchecked::<Store>()
}

/// One page of a top-level list, through the loaders (one statement, or none when the
/// load cache keeps it at the current generation).
async fn page<K, T>(ctx: &Context<'_>, key: K) -> ApiResult<store::Page<T>>
where
    K: BatchKey<Value = store::Page<T>>,
{
    store(ctx).await;
    let loaded = ctx.data_unchecked::<std::sync::Arc<Loaders>>().load_one(key).await?;
    Ok(loaded.unwrap_or(store::Page { items: Vec::new(), has_next: false }))
}

/// Reading clients, their onboardings and the event log.
#[Object(name = "ReadQuery")]
impl Query {
    /// Any object by its global id; null when it does not exist (or the caller may not
    /// see it). An id that is not one this API issued is the error INVALID_ID.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The `id` of any object of this API.")] id: ID,
    ) -> ApiResult<Option<Node>> {
        let gid = GlobalId::decode(&id).map_err(ApiError::BadId)?;
        load_node(ctx, gid).await
    }

    /// Several objects by global id, in the order asked (null for missing ones).
    #[graphql(complexity = "list_cost(Some(ids.len() as i32), child_complexity)")]
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Up to 100 ids of any objects of this API.")] ids: Vec<ID>,
    ) -> ApiResult<Vec<Option<Node>>> {
        if ids.len() > super::error::MAX_PAGE_SIZE as usize {
            return Err(ApiError::PageSize(ids.len() as i32));
        }
        let gids = ids.iter().map(|id| GlobalId::decode(id).map_err(ApiError::BadId)).collect::<ApiResult<Vec<_>>>()?;
        futures_util::future::try_join_all(gids.into_iter().map(|gid| load_node(ctx, gid))).await
    }

    /// One client by global id or by the partner's external id (give exactly one of
    /// them; both or neither is BAD_USER_INPUT). Null when no such client exists.
    async fn client(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The client's `id`.")] id: Option<ID>,
        #[graphql(desc = "The partner's own id for the client, as given in `createClient`.")] external_id: Option<
            String,
        >,
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
                let client = store(ctx).await.client_by_external_id(&ext).await?;
                Ok(client.filter(|c| scope::visible(ctx, Some(c.id))).map(|c| ClientNode(c.into())))
            }
            _ => Err(ApiError::BadInput("pass exactly one of id and externalId".into())),
        }
    }

    /// The partner's clients, oldest first.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn clients(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many items to return: 0 to 100, default 20.")] first: Option<i32>,
        #[graphql(
            desc = "Return the items after this cursor: an `endCursor` or edge `cursor` of this same list (a cursor of another list is BAD_CURSOR)."
        )]
        after: Option<String>,
        #[graphql(desc = "Only clients matching all of these.")] filter: Option<ClientFilterInput>,
    ) -> ApiResult<ClientConnection> {
        let args = page_args(CursorKind::Clients, first, after.as_deref())?;
        let f = filter.unwrap_or_default();
        let filter = store::ClientFilter {
            clients: scope::narrow(ctx, None),
            search: f.search,
            provider: f.provider,
            invitation_status: f.invitation_status.unwrap_or_default(),
        };
        let page = page(ctx, ClientsPage(filter.clone(), args)).await?;
        Ok(ClientConnection::new(page, args, Total::Clients(filter)))
    }

    /// Invitations of every client, oldest first.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn invitations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many items to return: 0 to 100, default 20.")] first: Option<i32>,
        #[graphql(
            desc = "Return the items after this cursor: an `endCursor` or edge `cursor` of this same list (a cursor of another list is BAD_CURSOR)."
        )]
        after: Option<String>,
        #[graphql(desc = "Only invitations matching all of these.")] filter: Option<InvitationFilterInput>,
    ) -> ApiResult<InvitationConnection> {
        let args = page_args(CursorKind::Invitations, first, after.as_deref())?;
        let f = filter.unwrap_or_default();
        let filter = store::InvitationFilter {
            provider: f.provider,
            status: f.status.unwrap_or_default(),
            clients: scope::narrow(ctx, decode_opt(f.client_id.as_ref(), NodeType::Client)?),
        };
        let page = page(ctx, InvitationsPage(filter.clone(), args)).await?;
        Ok(InvitationConnection::new(page, args, Total::Invitations(filter)))
    }

    /// Senders of every client, oldest first.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn senders(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many items to return: 0 to 100, default 20.")] first: Option<i32>,
        #[graphql(
            desc = "Return the items after this cursor: an `endCursor` or edge `cursor` of this same list (a cursor of another list is BAD_CURSOR)."
        )]
        after: Option<String>,
        #[graphql(desc = "Only senders matching all of these.")] filter: Option<SenderFilterInput>,
    ) -> ApiResult<SenderConnection> {
        let args = page_args(CursorKind::Senders, first, after.as_deref())?;
        let f = filter.unwrap_or_default();
        let filter = store::SenderFilter {
            provider: f.provider,
            status: f.status.unwrap_or_default(),
            clients: scope::narrow(ctx, decode_opt(f.client_id.as_ref(), NodeType::Client)?),
        };
        let page = page(ctx, SendersPage(filter.clone(), args)).await?;
        Ok(SenderConnection::new(page, args, Total::Senders(filter)))
    }

    /// WhatsApp Business Accounts of every client (and those not linked to a client yet),
    /// oldest first.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn wabas(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many items to return: 0 to 100, default 20.")] first: Option<i32>,
        #[graphql(
            desc = "Return the items after this cursor: an `endCursor` or edge `cursor` of this same list (a cursor of another list is BAD_CURSOR)."
        )]
        after: Option<String>,
        #[graphql(desc = "Only accounts at this provider.")] provider: Option<Provider>,
    ) -> ApiResult<WabaConnection> {
        let args = page_args(CursorKind::Wabas, first, after.as_deref())?;
        let filter = store::OwnedFilter { provider, clients: scope::narrow(ctx, None) };
        let page = page(ctx, WabasPage(filter, args)).await?;
        Ok(WabaConnection::new(page, args, Total::Wabas(filter)))
    }

    /// Provider-side projects of every client (and those not linked to a client yet),
    /// oldest first.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn projects(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many items to return: 0 to 100, default 20.")] first: Option<i32>,
        #[graphql(
            desc = "Return the items after this cursor: an `endCursor` or edge `cursor` of this same list (a cursor of another list is BAD_CURSOR)."
        )]
        after: Option<String>,
        #[graphql(desc = "Only projects at this provider.")] provider: Option<Provider>,
    ) -> ApiResult<ProjectConnection> {
        let args = page_args(CursorKind::Projects, first, after.as_deref())?;
        let filter = store::OwnedFilter { provider, clients: scope::narrow(ctx, None) };
        let page = page(ctx, ProjectsPage(filter, args)).await?;
        Ok(ProjectConnection::new(page, args, Total::Projects(filter)))
    }

    /// The event log: every status change of an invitation, sender or account, in the
    /// order it happened. Its cursors also resume the `statusChanged` subscription.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many items to return: 0 to 100, default 20.")] first: Option<i32>,
        #[graphql(
            desc = "Return the events after this cursor: an `endCursor`, edge `cursor` or event `cursor` of the event log (a cursor of another list is BAD_CURSOR)."
        )]
        after: Option<String>,
        #[graphql(desc = "Only events matching all of these.")] filter: Option<EventFilterInput>,
    ) -> ApiResult<StatusEventConnection> {
        let args = page_args(CursorKind::Events, first, after.as_deref())?;
        let filter = filter.unwrap_or_default().to_store(ctx)?;
        let page = store(ctx).await.events_page(&filter, args).await?;
        Ok(StatusEventConnection::new(page, args))
    }
}
