//! bspgraph: one GraphQL API over the WhatsApp partner-onboarding APIs of SendZen,
//! Zavu and Sinch.
//!
//! Layout (the README's Architecture section; the simulators are the workspace crate
//! `sandbox/`, mounted by [`web`]). From the top:
//! - [`web`]: the web layer (router and state, GraphQL over HTTP, WebSocket, webhook
//!   routes, the auth gate, CORS, playground, metrics); nothing below imports it.
//! - [`graphql`]: schema, queries, mutations, node types, connections, loaders.
//! - [`response_cache`]: serialized responses of repeated queries, kept exact by the
//!   data generation.
//! - [`onboarding`]: the onboarding flows per provider, advancing them, idempotency, sync.
//! - [`webhooks`]: the inbox payload and the processing of stored deliveries.
//! - [`poller`]: reconciliation of non-terminal rows with their providers.
//! - [`events`]: the event bus (in-process and PostgreSQL NOTIFY) and resumable streams.
//! - [`providers`]: the `ProviderAdapter` trait (the enum `domain::Provider` names a
//!   provider), the SendZen, Zavu and Sinch adapters, HTTP discipline.
//! - [`store`]: sea-orm tables and repository functions; the only module with SQL.
//! - [`auth`]: operator API keys, client-scoped tokens, the authenticator.
//! - [`secrets`]: AES-256-GCM sealing of provider secrets at rest, bound to row and field.
//! - [`domain`]: unified types, ids, statuses and validation (no I/O).
//! - [`config`], [`modes`], [`telemetry`], [`lru`]: settings from flags and environment
//!   variables, dev and production modes, tracing setup, the byte-bounded LRU.

pub mod auth;
pub mod config;
pub mod domain;
pub mod events;
pub mod graphql;
pub mod lru;
pub mod modes;
pub mod onboarding;
pub mod poller;
pub mod providers;
pub mod response_cache;
pub mod secrets;
pub mod store;
pub mod telemetry;
pub mod web;
pub mod webhooks;
