//! The application state: one [`Services`] built at startup (`web::App::build`) and
//! shared by every handler, socket and subscription through a cheap [`AppState`] handle.

use std::sync::Arc;

use crate::config::Settings;
use crate::events::EventBus;
use crate::graphql::AppSchema;
use crate::onboarding::Onboarding;
use crate::poller::Poller;
use crate::providers::Registry;
use crate::store::Store;
use crate::webhooks::Processor;
use bspgraph_sandbox::Sandbox;

use super::gate::Gate;
use super::metrics::Metrics;

/// What every handler can reach: one shared [`Services`], so a clone (each request,
/// socket and subscription holds one) is a pointer.
#[derive(Clone)]
pub struct AppState(Arc<Services>);

impl AppState {
    /// The handle on `services` (built once, by `web::App::build`).
    pub(super) fn new(services: Services) -> Self {
        Self(Arc::new(services))
    }
}

impl std::ops::Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}

/// The services of one running instance, built once at startup.
pub struct Services {
    /// The database.
    pub store: Store,
    /// The executable schema.
    pub schema: AppSchema,
    /// Exported metrics.
    pub metrics: Arc<Metrics>,
    /// Settings the server was started with.
    pub settings: Arc<Settings>,
    /// One adapter per provider (LIVE or SANDBOX).
    pub providers: Registry,
    /// The simulators, when any provider runs in sandbox mode.
    pub sandbox: Option<Sandbox>,
    /// Authentication and per-caller rate limits.
    pub gate: Gate,
    /// Committed events, in order, for subscriptions.
    pub bus: EventBus,
    /// Applies stored webhook deliveries.
    pub processor: Processor,
    /// Refreshes non-terminal rows from their providers.
    pub poller: Poller,
    /// Open WebSockets, closed with 1001 on shutdown.
    pub sockets: crate::web::ws::sockets::Sockets,
    /// Shared `statusChanged` executions (multiplexed subscriptions).
    pub hubs: crate::web::ws::hubs::Hubs,
    /// Automatic persisted queries (APQ).
    pub persisted: crate::web::persisted::PersistedQueries,
    /// Serialized responses of repeated queries (`None` when turned off).
    pub response_cache: Option<Arc<crate::response_cache::ResponseCache>>,
    /// Nodes and relation lists kept across requests (`None` when turned off).
    pub load_cache: Option<Arc<crate::graphql::LoadCache>>,
    /// The onboarding flows (what webhooks, the poller and the mutations advance).
    pub flows: Onboarding,
}
