//! The integration test binary: each module is one feature, run over real HTTP
//! against the app started on port 0 with a fresh database.
#![allow(clippy::unwrap_used, missing_docs)]

mod helpers;
mod provider_support;

mod architecture;
mod auth;
mod browser;
mod canary;
mod conformance;
mod cors;
mod doc_operations;
mod error_codes;
mod errors;
mod fairness;
mod fidelity;
mod guards;
mod guards_prop;
mod hostile;
mod http_surface;
mod js_clients;
mod mutations;
mod onboarding_flows;
mod onboarding_rules;
mod onboarding_support;
mod onboarding_sync;
mod playground;
mod prodmode;
mod providers_fidelity;
mod providers_limits;
mod providers_sdk;
mod providers_sendzen;
mod providers_sinch;
mod providers_zavu;
mod queries;
mod response_cache;
mod rotation;
mod schema;
mod schema_docs;
mod schema_types;
mod signatures;
mod statements;
mod store;
mod tenancy;
mod unknown_status;

mod live_auth;
mod live_flows;
mod live_multiplex;
mod live_poller;
mod live_postgres;
mod live_subscriptions;
mod live_support;
mod live_webhooks;
mod live_ws_limits;
mod live_ws_protocol;
