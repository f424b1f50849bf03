//! bspgraph: one GraphQL API over the WhatsApp partner-onboarding APIs of SendZen,
//! Zavu and Sinch.
//!
//! Layout (the README's Architecture section; the simulators are the workspace crate
//! `sandbox/`, mounted by [`app`]):
//! - [`config`]: typed settings from flags and environment variables.
//! - [`auth`]: operator API keys and client-scoped tokens.
//! - [`modes`]: dev and production modes and their startup checks.
//! - [`app`]: application state, axum router, serving and shutdown.
//! - [`http`]: the GraphQL-over-HTTP handler (content types, limits, status codes).
//! - [`cors`]: cross-origin access to `/graphql` for browser apps on other origins.
//! - [`playground`]: GraphiQL at `/` and the live board at `/board`, served from the binary.
//! - [`metrics`]: Prometheus metrics and the request-id middleware.
//! - [`domain`]: unified types, ids, statuses and validation (no I/O).
//! - [`store`]: sea-orm tables and repository functions; the only module with SQL.
//! - [`graphql`]: schema, queries, mutations, node types, connections, loaders.
//! - [`providers`]: the `ProviderAdapter` trait (the enum `domain::Provider` names a
//!   provider), the SendZen, Zavu and Sinch adapters, HTTP discipline.
//! - [`onboarding`]: the onboarding flows per provider, advancing them, idempotency, sync.
//! - [`persisted`]: automatic persisted queries (APQ), an LRU store bounded in bytes.
//! - [`secrets`]: AES-256-GCM sealing of provider secrets at rest, bound to row and field.
//! - [`telemetry`]: tracing subscriber setup.
//! - [`webhooks`]: signed webhook ingestion into the inbox, and its processing.
//! - [`poller`]: reconciliation of non-terminal rows with their providers.
//! - [`events`]: the event bus (in-process and PostgreSQL NOTIFY) and resumable streams.
//! - [`wire`]: GraphQL-over-HTTP request decoding and response bodies.
//! - [`ws`]: the GraphQL WebSocket protocols (`graphql-transport-ws`, legacy `graphql-ws`).

pub mod app;
pub mod auth;
pub mod config;
pub mod cors;
pub mod domain;
pub mod events;
pub mod graphql;
pub mod http;
pub mod lru;
pub mod metrics;
pub mod modes;
pub mod onboarding;
pub mod persisted;
pub mod playground;
pub mod poller;
pub mod providers;
pub mod response_cache;
pub mod secrets;
pub mod store;
pub mod telemetry;
pub mod webhooks;
pub mod wire;
pub mod ws;
