//! The GraphQL schema: queries, mutations, node types, connections and loaders.
//! Built apart from the web layer (no axum here) and handed to `app`.

mod batch;
mod codes;
mod connection;
mod error;
mod loaders;
mod mutation;
mod nodes;
mod providers;
mod query;
mod subscription;

use async_graphql::{MergedObject, Schema};

pub use subscription::Subscription;

pub use batch::Loaders;
pub use codes::add_missing_codes;
pub use error::{current_request_id, with_request_id, ApiError, MAX_PAGE_SIZE};

use crate::events::EventBus;
use crate::providers::Registry;
use crate::sandbox::Sandbox;
use crate::store::Store;

/// Root of all queries.
#[derive(MergedObject)]
#[graphql(name = "Query")]
pub struct RootQuery(query::Query, providers::ProvidersQuery);

fn root_query() -> RootQuery {
    RootQuery(query::Query, providers::ProvidersQuery)
}

/// The bspgraph schema type.
pub type AppSchema = Schema<RootQuery, mutation::Mutation, Subscription>;

/// Limits that protect the server from hostile documents.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Deepest selection allowed.
    pub max_depth: usize,
    /// Largest total cost allowed (list fields cost `first` times their items).
    pub max_complexity: usize,
    /// Most directives allowed on one field.
    pub max_directives: usize,
    /// Parser recursion cap (nested lists, objects, fragments).
    pub max_recursive_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self { max_depth: 12, max_complexity: 20_000, max_directives: 10, max_recursive_depth: 32 }
    }
}

/// Build the schema over `store` and the provider `registry` (plus the simulators in
/// sandbox mode), with a fresh event bus. Per-request data (loaders) is added by the caller.
pub fn build_schema(store: Store, limits: Limits, registry: Registry, sandbox: Option<Sandbox>) -> AppSchema {
    let bus = EventBus::new(store.clone());
    build_schema_with_bus(store, limits, registry, sandbox, bus)
}

/// [`build_schema`] with the app's [`EventBus`] (the app starts its tail reader).
pub fn build_schema_with_bus(
    store: Store,
    limits: Limits,
    registry: Registry,
    sandbox: Option<Sandbox>,
    bus: EventBus,
) -> AppSchema {
    let mut builder =
        Schema::build(root_query(), mutation::Mutation, Subscription).data(store).data(registry).data(bus);
    if let Some(sandbox) = sandbox {
        builder = builder.data(sandbox);
    }
    builder
        .limit_depth(limits.max_depth)
        .limit_complexity(limits.max_complexity)
        .limit_directives(limits.max_directives)
        .limit_recursive_depth(limits.max_recursive_depth)
        .finish()
}

/// The SDL of the schema, as committed in `schema.graphql`.
pub fn sdl() -> String {
    Schema::build(root_query(), mutation::Mutation, Subscription).finish().sdl()
}
