//! Cursor connections (Relay style, forward only): argument checks, the shared
//! `PageInfo`, and one connection/edge type pair per node type, each with a `nodes`
//! shortcut. `totalCount` is lazy: the count query runs only when a client asks for it.
//! Every cursor names its list ([`CursorKind`]), so another list's cursor is `BAD_CURSOR`.

use async_graphql::{Context, Object, SimpleObject};

use super::error::{ApiError, ApiResult, MAX_PAGE_SIZE};
use super::event::StatusEvent;
use super::fast::Fast;
use super::nodes::{ClientNode, InvitationNode, ProjectNode, SenderNode, WabaNode};
use crate::domain::{decode_cursor, encode_cursor, CursorKind};
use crate::store::{ClientFilter, InvitationFilter, OwnedFilter, Page, PageArgs, SenderFilter, Store};

/// Page size when `first` is not given.
pub const DEFAULT_PAGE_SIZE: i32 = 20;

/// Check `first` and `after` (a cursor of a `kind` list) and turn them into store page
/// arguments.
pub fn page_args(kind: CursorKind, first: Option<i32>, after: Option<&str>) -> ApiResult<PageArgs> {
    let first = first.unwrap_or(DEFAULT_PAGE_SIZE);
    if !(0..=MAX_PAGE_SIZE).contains(&first) {
        return Err(ApiError::PageSize(first));
    }
    let after = after.map(|a| decode_cursor(a, kind)).transpose().map_err(|_| ApiError::BadCursor)?;
    Ok(PageArgs { first: first as u64, after })
}

/// Complexity of a list field: `first` (or the default) times the cost of one item,
/// saturating, so `first: 99999999` is refused by the complexity limit before any
/// resolver runs.
pub fn list_cost(first: Option<i32>, child: usize) -> usize {
    let n = first.unwrap_or(DEFAULT_PAGE_SIZE).max(1) as usize;
    n.saturating_mul(child).saturating_add(1)
}

/// Where a page sits in its whole list (Relay page information).
#[derive(SimpleObject, Debug, Clone)]
pub struct PageInfo {
    /// Whether more items follow this page; if so, ask again with `after: endCursor`.
    pub has_next_page: bool,
    /// Whether items precede this page (true when `after` was given).
    pub has_previous_page: bool,
    /// Cursor of the first item of this page; null when the page is empty.
    pub start_cursor: Option<String>,
    /// Cursor of the last item of this page; pass it as `after` for the next page. Null
    /// when the page is empty.
    pub end_cursor: Option<String>,
}

/// How to count all items of a connection, evaluated only when `totalCount` is asked.
#[derive(Debug, Clone)]
pub enum Total {
    /// Already known (nested connections count what their loader fetched).
    Known(u64),
    /// Clients matching a filter.
    Clients(ClientFilter),
    /// Invitations matching a filter.
    Invitations(InvitationFilter),
    /// Senders matching a filter.
    Senders(SenderFilter),
    /// Wabas at a provider.
    Wabas(OwnedFilter),
    /// Projects at a provider.
    Projects(OwnedFilter),
}

impl Total {
    async fn count(&self, store: &Store) -> ApiResult<u64> {
        Ok(match self {
            Self::Known(n) => *n,
            Self::Clients(f) => store.clients_count(f).await?,
            Self::Invitations(f) => store.invitations_count(f).await?,
            Self::Senders(f) => store.senders_count(f).await?,
            Self::Wabas(f) => store.wabas_count(f).await?,
            Self::Projects(f) => store.projects_count(f).await?,
        })
    }
}

fn page_info<T>(page: &Page<T>, args: PageArgs, kind: CursorKind, position: impl Fn(&T) -> i64) -> PageInfo {
    PageInfo {
        has_next_page: page.has_next,
        has_previous_page: args.after.is_some(),
        start_cursor: page.items.first().map(|t| encode_cursor(kind, position(t))),
        end_cursor: page.items.last().map(|t| encode_cursor(kind, position(t))),
    }
}

/// Defines `<Name>Connection` and `<Name>Edge` for a node type positioned by its row id;
/// `$what` is the plural the descriptions use ("clients").
macro_rules! connection {
    ($conn:ident, $edge:ident, $node:ident, $domain:ty, $kind:expr, $what:literal) => {
        /// A page of a list (see the type description).
        pub struct $conn {
            edges: Vec<$edge>,
            page_info: PageInfo,
            total: Total,
        }

        #[doc = concat!("One of the ", $what, " of a page, with its cursor.")]
        #[derive(SimpleObject)]
        pub struct $edge {
            /// Position of this item; pass it as `after` to continue after it.
            pub cursor: String,
            /// The item.
            pub node: Fast<$node>,
        }

        impl $conn {
            /// Wrap a store page.
            pub fn new(page: Page<std::sync::Arc<$domain>>, args: PageArgs, total: Total) -> Self {
                let page_info = page_info(&page, args, $kind, |n| n.id);
                let edges = page
                    .items
                    .into_iter()
                    .map(|n| $edge { cursor: encode_cursor($kind, n.id), node: Fast($node(n)) })
                    .collect();
                Self { edges, page_info, total }
            }
        }

        #[doc = concat!("A page of ", $what, ", oldest first.")]
        #[Object]
        impl $conn {
            /// The items of this page with their cursors.
            async fn edges(&self) -> &[$edge] {
                &self.edges
            }

            /// The items of this page, without cursors (the same as `edges { node }`).
            async fn nodes(&self) -> Vec<&Fast<$node>> {
                self.edges.iter().map(|e| &e.node).collect()
            }

            /// Where this page sits in the whole list.
            async fn page_info(&self) -> &PageInfo {
                &self.page_info
            }

            /// How many items the whole list holds, across all pages (one extra query, only
            /// when asked).
            async fn total_count(&self, ctx: &Context<'_>) -> ApiResult<i64> {
                let store = ctx.data_unchecked::<Store>();
                Ok(self.total.count(store).await? as i64)
            }
        }
    };
}

connection!(ClientConnection, ClientEdge, ClientNode, crate::domain::Client, CursorKind::Clients, "clients");
connection!(
    InvitationConnection,
    InvitationEdge,
    InvitationNode,
    crate::domain::Invitation,
    CursorKind::Invitations,
    "invitations"
);
connection!(SenderConnection, SenderEdge, SenderNode, crate::domain::Sender, CursorKind::Senders, "senders");
connection!(WabaConnection, WabaEdge, WabaNode, crate::domain::Waba, CursorKind::Wabas, "WhatsApp Business Accounts");
connection!(ProjectConnection, ProjectEdge, ProjectNode, crate::domain::Project, CursorKind::Projects, "projects");

/// A page of the event log.
pub struct StatusEventConnection {
    edges: Vec<StatusEventEdge>,
    page_info: PageInfo,
}

/// One event of a page, with its cursor.
#[derive(SimpleObject)]
pub struct StatusEventEdge {
    /// Position of this event in the log; pass it as `after` to `events` or
    /// `statusChanged` to continue after it.
    pub cursor: String,
    /// The event.
    pub node: StatusEvent,
}

impl StatusEventConnection {
    /// Wrap a page of the event log.
    pub fn new(page: Page<crate::domain::Event>, args: PageArgs) -> Self {
        let page_info = page_info(&page, args, CursorKind::Events, |e| e.seq);
        let edges = page
            .items
            .into_iter()
            .map(|e| StatusEventEdge { cursor: encode_cursor(CursorKind::Events, e.seq), node: StatusEvent(e) })
            .collect();
        Self { edges, page_info }
    }
}

/// A page of the event log, in the order the changes happened.
#[Object]
impl StatusEventConnection {
    /// The events of this page with their cursors.
    async fn edges(&self) -> &[StatusEventEdge] {
        &self.edges
    }

    /// The events of this page, without cursors (each event has its own `cursor` field).
    async fn nodes(&self) -> Vec<&StatusEvent> {
        self.edges.iter().map(|e| &e.node).collect()
    }

    /// Where this page sits in the log.
    async fn page_info(&self) -> &PageInfo {
        &self.page_info
    }
}

/// Slice an already loaded, ordered list like a store page (nested connections).
pub fn slice<T>(items: Vec<T>, args: PageArgs, id: impl Fn(&T) -> i64) -> (Page<T>, u64) {
    let total = items.len() as u64;
    let mut rest: Vec<T> = items.into_iter().filter(|t| args.after.is_none_or(|a| id(t) > a)).collect();
    let has_next = rest.len() as u64 > args.first;
    rest.truncate(args.first as usize);
    (Page { items: rest, has_next }, total)
}
