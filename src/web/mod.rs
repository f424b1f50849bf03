//! The web layer: everything that speaks HTTP or WebSocket, on top of the rest (nothing
//! outside `web` imports it). This file builds the application state ([`AppState`]) and
//! the axum router, binds the listener and serves until a shutdown signal; tests build
//! it on port 0 and read the real address. The routes: GraphQL over HTTP
//! ([`graphql_http`]), WebSocket ([`ws`]), webhooks (`webhooks`), the playground,
//! `/metrics`, `/healthz` and `/readyz`, behind the auth [`gate`] and the metrics span.
//!
//! With `state`, this is the one module of the library that names the simulators (crate
//! `bspgraph-sandbox`): it mounts them under `/sandbox` in dev mode when a provider has
//! no credentials. Everything else reaches them over HTTP, as it reaches the providers.

pub mod cors;
pub mod gate;
pub mod graphql_http;
pub mod limits;
pub mod metrics;
pub mod observe;
pub mod persisted;
pub mod playground;
pub mod state;
mod webhooks;
pub mod wire;
pub mod ws;

pub use state::{AppState, Services};

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;

use crate::auth::{Authenticator, TokenSigner};
use crate::config::Settings;
use crate::domain::ProviderMode::{Live, Sandbox as Sandboxed};
use crate::events::EventBus;
use crate::graphql::{build_schema, Limits};
use crate::onboarding::{registration, Onboarding};
use crate::poller::Poller;
use crate::providers::{build_registry, Built};
use crate::secrets::{key_dir, SecretBox};
use crate::store::Store;
use crate::web::gate::{authenticate, Gate};
use crate::web::metrics::Metrics;
use crate::web::observe::{metrics_handler, observe};
use crate::webhooks::Processor;
use bspgraph_sandbox::{Sandbox, SandboxConfig};
use secrecy::ExposeSecret;

/// How long a shutdown waits for open WebSockets to send their close frames.
const SOCKETS_CLOSE_WAIT: std::time::Duration = std::time::Duration::from_secs(5);
/// How long startup waits for the sandboxed providers' webhook registrations.
const SANDBOX_REGISTRATION_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// A bound, not yet serving application.
pub struct App {
    listener: TcpListener,
    router: Router,
    /// The state handlers share (tests reach the store through it).
    pub state: AppState,
}

impl App {
    /// Open (and migrate) the database, build the schema and bind the listener.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let store = Store::open(&settings.database_url, settings.db_max_connections).await?;
        Self::with_store(settings, store).await
    }

    /// Build over an already open store.
    pub async fn with_store(settings: Settings, store: Store) -> anyhow::Result<Self> {
        let limits = Limits {
            max_depth: settings.max_depth,
            max_complexity: settings.max_complexity,
            introspection: settings.security.introspection(),
            suggestions: settings.security.dev(),
            sandbox_control: settings.security.dev(),
            ..Limits::default()
        };
        let cors = crate::web::cors::layer(&settings.cors_origins, settings.security.dev())?;
        let listener = TcpListener::bind(settings.listen).await?;
        // The adapters need this server's own URL in sandbox mode, so bind first.
        let base = self_url(listener.local_addr()?);
        // Production never runs a simulator: an unconfigured provider is DISABLED there.
        let built = build_registry(&settings.providers, &base, !settings.security.dev())?;
        let onboarding = onboarding_state(&settings, &store, &built, base.clone())?;
        let signer = TokenSigner::new(onboarding.secrets.derived_key());
        let bus = EventBus::new(store.clone());
        let sandbox = built.sandboxed.then(|| Sandbox::new(embedded_sandbox(&settings)));
        let registry = built.registry.clone();
        let flows = onboarding.clone();
        let schema = build_schema(store.clone(), limits, registry, onboarding, bus.clone());
        let authenticator = Authenticator::new(store.clone(), signer);
        let security = &settings.security;
        let gate = Gate::new(authenticator, security.rate_limit_per_minute, !security.dev(), &settings.address_limits);
        let processor = Processor::new(flows.clone(), &settings.live);
        let poller = Poller::new(flows.clone(), &settings.live);
        let persisted = crate::web::persisted::PersistedQueries::new(settings.persisted_query_cache_bytes);
        let metrics = Metrics::new();
        let response_cache =
            crate::response_cache::ResponseCache::new(settings.response_cache_bytes, metrics.response_cache.clone());
        let load_cache = crate::graphql::LoadCache::new(settings.load_cache_rows, metrics.load_cache.clone());
        let hubs = crate::web::ws::Hubs::new(settings.live.ws_shared_buffer);
        let state = AppState::new(Services {
            persisted,
            response_cache,
            load_cache,
            gate,
            store,
            schema,
            metrics,
            settings: Arc::new(settings),
            providers: built.registry,
            sandbox,
            bus,
            processor,
            poller,
            sockets: crate::web::ws::Sockets::new(),
            hubs,
            flows,
        });
        Ok(Self { listener, router: router(state.clone(), cors), state })
    }

    /// The address actually bound (the real port when asked for port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serve until `shutdown` resolves, then finish in-flight requests, close open
    /// WebSockets with 1001 and stop the background tasks (event tail reader and
    /// listener, inbox retries, poller).
    pub async fn serve(self, shutdown: impl std::future::Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        self.start(shutdown).await?.await.unwrap_or_else(|e| Err(std::io::Error::other(e)))
    }

    /// [`App::serve`] in a task, returned once the server answers and the sandboxed
    /// providers have registered their webhooks with the embedded simulators (so a flow
    /// started right away gets its webhooks). The task ends when serving does.
    pub async fn start(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<tokio::task::JoinHandle<std::io::Result<()>>> {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        self.state.bus.spawn(stopped.clone()).await.map_err(std::io::Error::other)?;
        tokio::spawn(self.state.processor.clone().run(stopped.clone()));
        tokio::spawn(self.state.poller.clone().run(stopped));
        // Secrets providers issued at earlier registrations verify webhooks from the start.
        if let Err(e) = registration::adopt_stored(&self.state.flows).await {
            tracing::warn!(error = %e, "cannot read the stored webhook registrations");
        }
        let sockets = self.state.sockets.clone();
        let closing = sockets.clone();
        let shutdown = async move {
            shutdown.await;
            closing.close_all();
        };
        let serving = axum::serve(self.listener, self.router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(shutdown);
        let task = tokio::spawn(async move {
            let served = serving.await;
            // Upgraded sockets are no longer HTTP connections: wait (bounded) for their 1001 close frames.
            if !sockets.drained(SOCKETS_CLOSE_WAIT).await {
                tracing::warn!(open = sockets.open(), "WebSockets still open at shutdown");
            }
            let _ = stop.send(true);
            served
        });
        // The embedded simulators deliver only to registered URLs: register first.
        match tokio::time::timeout(SANDBOX_REGISTRATION_WAIT, registration::register_all(&self.state.flows, Sandboxed))
            .await
        {
            Ok(Ok(done)) => {
                for (provider, outcome) in done.into_iter().filter(|(_, o)| o.is_err()) {
                    tracing::warn!(provider = %provider, outcome = ?outcome, "sandbox webhook registration failed");
                }
            }
            Ok(Err(e)) => tracing::warn!(error = %e, "cannot record the sandbox webhook registrations"),
            Err(_) => tracing::warn!("sandbox webhook registration did not finish in time; retried by syncProvider"),
        }
        // One credentials check per provider once serving, so `providers` reports real health
        // (sandboxed adapters reach the simulators mounted in this very server), then the
        // webhook registrations of LIVE providers.
        let (registry, flows) = (self.state.providers.clone(), self.state.flows.clone());
        let public_url = flows.registered_base.is_some();
        tokio::spawn(async move {
            for adapter in registry.all().into_iter().filter(|a| registry.enabled(a.id())) {
                if let Err(e) = adapter.check_credentials().await {
                    tracing::warn!(provider = %adapter.id(), error = %e, "provider credentials check failed");
                }
            }
            if !public_url {
                if registry.all().iter().any(|a| a.mode() == Live) {
                    tracing::warn!(
                        "BSPGRAPH_PUBLIC_URL is not set: webhooks are not registered with the LIVE providers"
                    );
                }
                return;
            }
            if let Err(e) = registration::register_all(&flows, Live).await {
                tracing::warn!(error = %e, "cannot record the webhook registrations");
            }
        });
        Ok(task)
    }
}

/// The onboarding flows' state: the secret key (configured, or a generated key file
/// unless every enabled provider is LIVE) and the public URL for per-client webhook URLs.
fn onboarding_state(settings: &Settings, store: &Store, built: &Built, base: String) -> anyhow::Result<Onboarding> {
    let any_live = built.registry.all().iter().any(|p| p.mode() == crate::domain::ProviderMode::Live);
    if settings.secret_key.is_none() && !built.sandboxed && any_live {
        anyhow::bail!("BSPGRAPH_SECRET_KEY is required when every provider runs LIVE");
    }
    let secrets = SecretBox::load(settings.secret_key.as_ref(), &key_dir(&settings.database_url))?
        .with_previous(&settings.previous_secret_keys)?;
    Ok(Onboarding {
        store: store.clone(),
        registry: built.registry.clone(),
        sandbox_control: built.sandboxed.then(|| crate::onboarding::SandboxControl {
            url: format!("{base}/sandbox/control"),
            client: reqwest::Client::new(),
        }),
        secrets: Arc::new(secrets),
        public_url: settings.public_url.clone().unwrap_or(base),
        registered_base: settings.public_url.clone(),
    })
}

/// The embedded simulators' settings: Zavu issues, and SendZen signs with, the configured
/// webhook secret when there is one (Sinch signs with the secret bspgraph registers).
/// They deliver only where bspgraph registers (see [`App::start`]). Dev mode only;
/// production mounts no simulator.
fn embedded_sandbox(settings: &Settings) -> SandboxConfig {
    let p = &settings.providers;
    let mut sb = SandboxConfig::default();
    let first = |v: &[secrecy::SecretString]| v.first().map(|x| x.expose_secret().to_owned());
    if let Some(x) = first(&p.zavu_webhook_secrets) {
        sb.zavu.webhook_secret = x
    }
    if let Some(x) = first(&p.sendzen_webhook_secrets) {
        sb.sendzen.webhook_secret = x
    }
    sb
}

/// This server's URL as the sandboxed adapters reach it (loopback for a wildcard bind).
fn self_url(addr: SocketAddr) -> String {
    let ip = if addr.ip().is_unspecified() { std::net::IpAddr::from([127, 0, 0, 1]) } else { addr.ip() };
    format!("http://{}", SocketAddr::new(ip, addr.port()))
}

fn router(state: AppState, cors: Option<tower_http::cors::CorsLayer>) -> Router {
    let graphql = get(crate::web::graphql_http::get_graphql)
        .post(crate::web::graphql_http::post_graphql)
        .layer(DefaultBodyLimit::max(state.settings.max_body_bytes));
    let graphql = graphql.layer(axum::middleware::from_fn_with_state(state.gate.clone(), authenticate));
    // Outside the auth check: preflights carry no credentials, and refusals get CORS headers.
    let graphql = match cors {
        Some(cors) => graphql.layer(cors),
        None => graphql,
    };
    let mut app = Router::new();
    if state.settings.security.graphiql() {
        app = app.merge(crate::web::playground::routes());
    }
    let app = app
        .route("/graphql", graphql)
        .route("/graphql/ws", get(crate::web::ws::handler))
        .merge(webhooks::routes(state.settings.live.webhook_max_bytes))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_handler))
        .layer(axum::middleware::from_fn_with_state(state.clone(), observe))
        .layer(CatchPanicLayer::custom(panic_response))
        .with_state(state.clone());
    // The simulators exist only in dev mode; production mounts no `/sandbox/*` route.
    match &state.sandbox {
        Some(sandbox) if state.settings.security.dev() => app.merge(sandbox.router()),
        _ => app,
    }
}

async fn readyz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
        }
    }
}

/// A panic is logged and answered with a masked 500; the payload never reaches the client.
fn panic_response(_payload: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a handler panicked");
    let body = serde_json::json!({ "errors": [{ "message": "internal error", "extensions": { "code": "INTERNAL" } }] });
    (StatusCode::INTERNAL_SERVER_ERROR, [("content-type", "application/json")], body.to_string()).into_response()
}
