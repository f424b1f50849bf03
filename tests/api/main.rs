//! The integration test binary: each module is one feature, run over real HTTP
//! against the app started on port 0 with a fresh database.
#![allow(clippy::unwrap_used, missing_docs)]

mod helpers;
mod provider_support;

mod auth;
mod canary;
mod errors;
mod fidelity;
mod guards;
mod guards_prop;
mod hostile;
mod http_surface;
mod mutations;
mod onboarding_flows;
mod onboarding_rules;
mod onboarding_support;
mod onboarding_sync;
mod providers_sendzen;
mod providers_sinch;
mod providers_zavu;
mod queries;
mod rotation;
mod schema;
mod signatures;
mod statements;
mod store;

mod live_auth;
mod live_poller;
mod live_postgres;
mod live_subscriptions;
mod live_support;
mod live_webhooks;
mod live_ws_protocol;
