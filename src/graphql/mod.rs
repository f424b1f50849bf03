//! The GraphQL schema: queries, mutations, node types, connections and loaders.
//! Built apart from the web layer (no axum here) and handed to `app`.

mod batch;
mod codes;
mod connection;
mod enum_literals;
mod error;
mod event;
mod fast;
mod guard;
mod load_cache;
mod loaders;
mod mutation;
mod nodes;
mod nulls;
mod onboarding;
mod onboarding_input;
mod providers;
mod query;
mod scalars;
mod scope;
mod subscription;
mod syntax;
mod typemap;

use async_graphql::{MergedObject, Schema};

pub use subscription::{Subscription, Window};

pub use batch::Loaders;
pub use codes::add_missing_codes;
pub use error::{current_request_id, with_request_id, ApiError, MAX_PAGE_SIZE};
pub use guard::{admit, parse as guarded_parse};
pub use load_cache::LoadCache;
pub use nulls::Shape;
pub use scope::Access;

use crate::events::EventBus;
use crate::onboarding::Onboarding;
use crate::providers::Registry;
use crate::store::Store;

/// Root of all queries.
#[derive(MergedObject)]
#[graphql(name = "Query")]
pub struct RootQuery(query::Query, providers::ProvidersQuery);

fn root_query() -> RootQuery {
    RootQuery(query::Query, providers::ProvidersQuery)
}

/// Root of all mutations.
#[derive(MergedObject)]
#[graphql(name = "Mutation")]
pub struct RootMutation(mutation::Mutation, onboarding::OnboardingMutation);

fn root_mutation() -> RootMutation {
    RootMutation(mutation::Mutation, onboarding::OnboardingMutation)
}

/// The bspgraph schema type.
pub type AppSchema = Schema<RootQuery, RootMutation, Subscription>;

/// Limits that protect the server from hostile documents.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Deepest selection of user data allowed (`__schema`/`__type` selections have
    /// their own bound, `max_introspection_depth`).
    pub max_depth: usize,
    /// Largest cost of an operation (list fields cost `first` times their items,
    /// fields that run a statement of their own cost `guard::STATEMENT_COST`).
    pub max_complexity: usize,
    /// Most directives allowed on one field.
    pub max_directives: usize,
    /// Deepest nesting of brackets, braces and parentheses in a document's text
    /// (checked before parsing), and async-graphql's recursion cap after it.
    pub max_recursive_depth: usize,
    /// Largest document, in bytes (checked before parsing).
    pub max_document_bytes: usize,
    /// Most selections (fields, aliases, `__typename`, spreads) once fragments are
    /// expanded, summed over a document's operations.
    pub max_selections: usize,
    /// Deepest nesting of fragment spreads.
    pub max_fragment_depth: usize,
    /// Deepest field under `__schema` / `__type`, counted from the root: what the
    /// standard introspection query of GraphiQL and codegen tools needs.
    pub max_introspection_depth: usize,
    /// Serve introspection (`__schema`, `__type`); off in production unless enabled.
    pub introspection: bool,
    /// "Did you mean ...?" hints in validation errors (they leak the schema); off in production.
    pub suggestions: bool,
    /// Offer `sandboxSimulate` (absent from the schema in production mode).
    pub sandbox_control: bool,
}

/// Schema data marking that `sandboxSimulate` is hidden (production mode).
struct SandboxControlOff;

/// Whether `sandboxSimulate` is part of the schema served (the exported SDL has it).
fn sandbox_control_visible(ctx: &async_graphql::Context<'_>) -> bool {
    ctx.data_opt::<SandboxControlOff>().is_none()
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_depth: 12,
            max_complexity: 20_000,
            max_directives: 10,
            max_recursive_depth: 32,
            max_document_bytes: 64 * 1024,
            max_selections: 2_000,
            max_fragment_depth: 32,
            max_introspection_depth: 15,
            introspection: true,
            suggestions: true,
            sandbox_control: true,
        }
    }
}

/// Build the schema over `store` and the provider `registry`, the onboarding flows and
/// the event bus. Per-request data (loaders, the
/// caller) is added by the caller.
pub fn build_schema(
    store: Store,
    limits: Limits,
    registry: Registry,
    onboarding: Onboarding,
    bus: EventBus,
) -> AppSchema {
    let mut builder = Schema::build(root_query(), root_mutation(), Subscription)
        .data(store)
        .data(registry)
        .data(onboarding)
        .data(bus);
    if !limits.introspection {
        builder = builder.disable_introspection();
    }
    if !limits.suggestions {
        builder = builder.disable_suggestions();
    }
    if !limits.sandbox_control {
        builder = builder.data(SandboxControlOff);
    }
    // Depth and complexity are checked by `guard` (before validation, with
    // introspection counted apart); async-graphql keeps its directive and recursion caps.
    builder
        .data(guard::Guard::new(limits))
        .limit_directives(limits.max_directives)
        .limit_recursive_depth(limits.max_recursive_depth)
        .finish()
}

/// The SDL of the schema, as committed in `schema.graphql`.
pub fn sdl() -> String {
    Schema::build(root_query(), root_mutation(), Subscription).finish().sdl()
}
