//! Typed settings from command-line flags and environment variables (clap `env`).
//! Every setting is listed in the README's settings table.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use secrecy::SecretString;

/// Command line of the `bspgraph` binary.
#[derive(Debug, Parser)]
#[command(
    name = "bspgraph",
    version,
    about = "One GraphQL API over the WhatsApp onboarding APIs of SendZen, Zavu and Sinch"
)]
pub struct Cli {
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Settings shared by every command.
    #[command(flatten)]
    pub settings: Settings,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve GraphQL, GraphiQL and subscriptions (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the GraphQL schema (SDL); `bspgraph export-schema > schema.graphql`.
    ExportSchema,
    /// Exit 0 when the server at `--listen` answers `/readyz` (the container HEALTHCHECK).
    Probe,
    /// Provider secrets at rest.
    #[command(subcommand)]
    Secrets(SecretsCommand),
    /// Manage operator API keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Serve the three simulators and their control API alone (no GraphQL, no
    /// database), for a bspgraph in LIVE mode or an official SDK to use; they deliver
    /// webhooks only to URLs registered through their APIs.
    Sandbox {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:9090")]
        listen: std::net::SocketAddr,
    },
    /// Webhook registration with the LIVE providers.
    #[command(subcommand)]
    Webhooks(WebhooksCommand),
    /// Write sample clients with projects, WABAs, senders and invitations.
    Seed {
        /// How many sample clients to write.
        #[arg(long, default_value_t = 20)]
        clients: u64,
    },
}

/// `bspgraph webhooks ...`.
#[derive(Debug, Subcommand)]
pub enum WebhooksCommand {
    /// Register `{BSPGRAPH_PUBLIC_URL}/webhooks/{provider}` with every LIVE provider that
    /// takes a registration (Zavu, Sinch) and print the outcome; also done at every start.
    Register,
}

/// `bspgraph secrets ...`.
#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    /// Re-seal every stored provider secret under BSPGRAPH_SECRET_KEY (opening old ones
    /// with BSPGRAPH_PREVIOUS_SECRET_KEYS).
    Rotate,
}

/// `bspgraph keys ...`.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Make a key and print it once (only its digest is stored).
    Create {
        /// Who or what the key is for.
        #[arg(long)]
        name: String,
    },
    /// List keys (never the keys themselves).
    List,
    /// Revoke a key by the id `keys list` shows; it is refused at once.
    Revoke {
        /// The key's id.
        id: i64,
    },
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Settings; each has a flag and an environment variable.
#[derive(Debug, Clone, clap::Args)]
pub struct Settings {
    /// Address to listen on.
    #[arg(long, env = "BSPGRAPH_LISTEN", default_value = "127.0.0.1:8080", global = true)]
    pub listen: SocketAddr,
    /// Mode and security settings (see `modes.rs`).
    #[command(flatten)]
    pub security: crate::modes::SecuritySettings,
    /// Database URL: `sqlite://FILE?mode=rwc` (embedded) or `postgres://...`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://bspgraph.db?mode=rwc", global = true)]
    pub database_url: String,
    /// Database connection pool size.
    #[arg(long, env = "BSPGRAPH_DB_MAX_CONNECTIONS", default_value_t = 8, global = true)]
    pub db_max_connections: u32,
    /// Largest request body accepted on /graphql, in bytes (413 above).
    #[arg(long, env = "BSPGRAPH_MAX_BODY_BYTES", default_value_t = 1024 * 1024, global = true)]
    pub max_body_bytes: usize,
    /// Most operations in one batched request.
    #[arg(long, env = "BSPGRAPH_MAX_BATCH", default_value_t = 10, global = true)]
    pub max_batch: usize,
    /// Bytes of query text the automatic persisted query (APQ) store keeps, least
    /// recently used first out (0 turns APQ off).
    #[arg(long, env = "BSPGRAPH_PERSISTED_QUERY_CACHE_BYTES", default_value_t = 8 * 1024 * 1024, global = true)]
    pub persisted_query_cache_bytes: usize,
    /// Bytes of serialized responses the response cache keeps for repeated queries,
    /// served while no write has been committed since (0 turns it off).
    #[arg(long, env = "BSPGRAPH_RESPONSE_CACHE_BYTES", default_value_t = 64 * 1024 * 1024, global = true)]
    pub response_cache_bytes: usize,
    /// Rows the load cache keeps across requests (nodes and relation lists the
    /// queries loaded), served while no write has been committed since (0 turns it off).
    #[arg(long, env = "BSPGRAPH_LOAD_CACHE_ROWS", default_value_t = 50_000, global = true)]
    pub load_cache_rows: usize,
    /// Deepest selection set allowed.
    #[arg(long, env = "BSPGRAPH_MAX_DEPTH", default_value_t = 12, global = true)]
    pub max_depth: usize,
    /// Largest query cost allowed (list fields cost `first` times their items).
    #[arg(long, env = "BSPGRAPH_MAX_COMPLEXITY", default_value_t = 20_000, global = true)]
    pub max_complexity: usize,
    /// Longest a GraphQL request may run, in seconds.
    #[arg(long, env = "BSPGRAPH_REQUEST_TIMEOUT_SECS", default_value_t = 30, global = true)]
    pub request_timeout_secs: u64,
    /// Log format.
    #[arg(long, env = "BSPGRAPH_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
    /// Key for provider secrets at rest: base64 of 32 bytes. Without it, a key file
    /// `bspgraph-secret.key` is generated next to the SQLite database (dev/sandbox only).
    #[arg(long, env = "BSPGRAPH_SECRET_KEY", global = true, hide_env_values = true)]
    pub secret_key: Option<SecretString>,
    /// Earlier secret keys (comma-separated base64) still accepted for opening stored
    /// secrets, during a rotation: `bspgraph secrets rotate` re-seals everything under
    /// `BSPGRAPH_SECRET_KEY`, after which they can be dropped.
    #[arg(long, env = "BSPGRAPH_PREVIOUS_SECRET_KEYS", value_delimiter = ',', global = true, hide_env_values = true)]
    pub previous_secret_keys: Vec<SecretString>,
    /// Public base URL of this server, used in the webhook URLs given to providers
    /// (default: the bound address).
    #[arg(long, env = "BSPGRAPH_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,
    /// Origins whose browser apps may call `/graphql` (CORS), comma-separated, e.g.
    /// `https://app.example.com`; empty = no CORS headers. `*` (any origin) only in dev mode.
    #[arg(long, env = "BSPGRAPH_CORS_ORIGINS", value_delimiter = ',', global = true)]
    pub cors_origins: Vec<String>,
    /// Provider settings (credentials, base URLs, webhook secrets, timeouts).
    #[command(flatten)]
    pub providers: ProviderSettings,
    /// Live status: webhooks, poller and subscriptions.
    #[command(flatten)]
    pub live: LiveSettings,
    /// Per-address limits: WebSocket upgrades and refused credentials.
    #[command(flatten)]
    pub address_limits: AddressLimitSettings,
}

/// Webhook ingestion, the reconciliation poller and WebSocket subscriptions.
#[derive(Debug, Clone, clap::Args)]
pub struct LiveSettings {
    /// Seconds between reconciliation polls of non-terminal invitations and senders
    /// (fractions allowed; 0 disables the poller). Each round is jittered by up to 20%.
    #[arg(long, env = "BSPGRAPH_POLL_INTERVAL_SECS", default_value_t = 30.0, global = true)]
    pub poll_interval_secs: f64,
    /// Provider reads the poller runs at once.
    #[arg(long, env = "BSPGRAPH_POLL_CONCURRENCY", default_value_t = 4, global = true)]
    pub poll_concurrency: usize,
    /// Most rows one poll round leases per table.
    #[arg(long, env = "BSPGRAPH_POLL_BATCH", default_value_t = 200, global = true)]
    pub poll_batch: u64,
    /// Largest webhook body accepted, in bytes (413 above).
    #[arg(long, env = "BSPGRAPH_WEBHOOK_MAX_BYTES", default_value_t = 256 * 1024, global = true)]
    pub webhook_max_bytes: usize,
    /// Seconds between retries of failed webhook-inbox rows (doubled per attempt).
    #[arg(long, env = "BSPGRAPH_INBOX_RETRY_SECS", default_value_t = 5.0, global = true)]
    pub inbox_retry_secs: f64,
    /// Processing attempts per inbox row before it stays failed for an operator.
    #[arg(long, env = "BSPGRAPH_INBOX_MAX_ATTEMPTS", default_value_t = 10, global = true)]
    pub inbox_max_attempts: i32,
    /// Seconds a WebSocket may wait before sending `connection_init` (closed with 4408).
    #[arg(long, env = "BSPGRAPH_WS_INIT_TIMEOUT_SECS", default_value_t = 10.0, global = true)]
    pub ws_init_timeout_secs: f64,
    /// Seconds between server pings on a WebSocket (0 disables them).
    #[arg(long, env = "BSPGRAPH_WS_PING_SECS", default_value_t = 15.0, global = true)]
    pub ws_ping_secs: f64,
    /// Most active subscriptions on one WebSocket.
    #[arg(long, env = "BSPGRAPH_WS_MAX_SUBSCRIPTIONS", default_value_t = 100, global = true)]
    pub ws_max_subscriptions: usize,
    /// Share one execution per event among `statusChanged` subscriptions with the same
    /// document, variables and caller scope (each socket still gets its own copy).
    #[arg(long, env = "BSPGRAPH_WS_MULTIPLEX", default_value_t = true, action = clap::ArgAction::Set, global = true)]
    pub ws_multiplex: bool,
    /// Results a shared execution keeps for its members that are behind; a member further
    /// behind replays what it missed from the event log on its own.
    #[arg(long, env = "BSPGRAPH_WS_SHARED_BUFFER", default_value_t = 256, global = true)]
    pub ws_shared_buffer: usize,
    /// Seconds between re-checks of an open WebSocket's credential (a revoked key's socket
    /// closes with 4403 within about this long; 0 disables the timer, operations still check).
    #[arg(long, env = "BSPGRAPH_WS_RECHECK_SECS", default_value_t = 5.0, global = true)]
    pub ws_recheck_secs: f64,
}

/// Per-address limits of the gate (the per-caller limit is `BSPGRAPH_RATE_LIMIT_PER_MINUTE`).
#[derive(Debug, Clone, clap::Args)]
pub struct AddressLimitSettings {
    /// WebSocket upgrades one remote address may make at once before the per-minute rate applies.
    #[arg(long, env = "BSPGRAPH_WS_UPGRADE_BURST", default_value_t = 20, global = true)]
    pub ws_upgrade_burst: u32,
    /// WebSocket upgrades per minute per remote address after the burst (429 above).
    #[arg(long, env = "BSPGRAPH_WS_UPGRADES_PER_MINUTE", default_value_t = 60, global = true)]
    pub ws_upgrades_per_minute: u32,
    /// Refused credentials (401) one remote address may get at once before it is held back.
    #[arg(long, env = "BSPGRAPH_AUTH_FAILURE_BURST", default_value_t = 20, global = true)]
    pub auth_failure_burst: u32,
    /// Refused credentials per minute per remote address after the burst (then 429 for
    /// every request from it until the wait is over).
    #[arg(long, env = "BSPGRAPH_AUTH_FAILURES_PER_MINUTE", default_value_t = 10, global = true)]
    pub auth_failures_per_minute: u32,
}

/// A duration from seconds given as a float; negative or invalid values become zero.
pub fn secs(value: f64) -> Duration {
    Duration::try_from_secs_f64(value).unwrap_or(Duration::ZERO)
}

impl Settings {
    /// Defaults, as if no flag or variable were given (used by tests and the bench).
    pub fn defaults() -> Self {
        Cli::parse_from(["bspgraph"]).settings
    }

    /// The request timeout as a duration.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs)
    }
}

/// Provider credentials and endpoints. A provider without credentials runs in SANDBOX
/// mode against its simulator mounted in this server; with credentials it is LIVE.
#[derive(Debug, Clone, clap::Args)]
pub struct ProviderSettings {
    /// Zavu API key (`zv_live_...`); unset = Zavu sandbox.
    #[arg(long, env = "ZAVU_API_KEY", global = true, hide_env_values = true)]
    pub zavu_api_key: Option<SecretString>,
    /// Zavu API base URL.
    #[arg(long, env = "ZAVU_BASE_URL", default_value = "https://api.zavu.dev", global = true)]
    pub zavu_base_url: String,
    /// Zavu invitation-webhook secrets (`whsec_...`), comma-separated; several during rotation.
    #[arg(long, env = "ZAVU_WEBHOOK_SECRETS", value_delimiter = ',', global = true, hide_env_values = true)]
    pub zavu_webhook_secrets: Vec<SecretString>,
    /// Sinch access key id; with the secret and project id, Sinch is LIVE.
    #[arg(long, env = "SINCH_KEY_ID", global = true)]
    pub sinch_key_id: Option<String>,
    /// Sinch access key secret.
    #[arg(long, env = "SINCH_KEY_SECRET", global = true, hide_env_values = true)]
    pub sinch_key_secret: Option<SecretString>,
    /// Sinch (parent) project id.
    #[arg(long, env = "SINCH_PROJECT_ID", global = true)]
    pub sinch_project_id: Option<String>,
    /// Use Basic auth instead of OAuth2 (testing only; Sinch rate-limits it heavily).
    #[arg(long, env = "SINCH_BASIC_AUTH", default_value_t = false, global = true)]
    pub sinch_basic_auth: bool,
    /// Sinch OAuth2 host.
    #[arg(long, env = "SINCH_AUTH_URL", default_value = "https://auth.sinch.com", global = true)]
    pub sinch_auth_url: String,
    /// Sinch Provisioning API host.
    #[arg(long, env = "SINCH_PROVISIONING_URL", default_value = "https://provisioning.api.sinch.com", global = true)]
    pub sinch_provisioning_url: String,
    /// Sinch Subprojects API host.
    #[arg(long, env = "SINCH_SUBPROJECT_URL", default_value = "https://subproject.api.sinch.com", global = true)]
    pub sinch_subproject_url: String,
    /// Sinch Conversation API host; `{region}` becomes us, eu or br.
    #[arg(
        long,
        env = "SINCH_CONVERSATION_URL",
        default_value = "https://{region}.conversation.api.sinch.com",
        global = true
    )]
    pub sinch_conversation_url: String,
    /// Secrets for Sinch provisioning callbacks, comma-separated; the first is registered.
    #[arg(long, env = "SINCH_WEBHOOK_SECRETS", value_delimiter = ',', global = true, hide_env_values = true)]
    pub sinch_webhook_secrets: Vec<SecretString>,
    /// SendZen partner API key; unset = SendZen sandbox.
    #[arg(long, env = "SENDZEN_PARTNER_API_KEY", global = true, hide_env_values = true)]
    pub sendzen_partner_api_key: Option<SecretString>,
    /// SendZen API base URL.
    #[arg(long, env = "SENDZEN_BASE_URL", default_value = "https://api.sendzen.io", global = true)]
    pub sendzen_base_url: String,
    /// SendZen webhook signing secrets, comma-separated.
    #[arg(long, env = "SENDZEN_WEBHOOK_SECRETS", value_delimiter = ',', global = true, hide_env_values = true)]
    pub sendzen_webhook_secrets: Vec<SecretString>,
    /// Total timeout of one provider request, in seconds.
    #[arg(long, env = "BSPGRAPH_PROVIDER_TIMEOUT_SECS", default_value_t = 15, global = true)]
    pub provider_timeout_secs: u64,
    /// Connect timeout of provider requests, in seconds.
    #[arg(long, env = "BSPGRAPH_PROVIDER_CONNECT_TIMEOUT_SECS", default_value_t = 5, global = true)]
    pub provider_connect_timeout_secs: u64,
    /// Attempts per retryable provider call (first included).
    #[arg(long, env = "BSPGRAPH_PROVIDER_MAX_ATTEMPTS", default_value_t = 3, global = true)]
    pub provider_max_attempts: u32,
    /// Override every provider rate-limit bucket with this many requests per minute,
    /// evenly spaced (unset: each provider's published limits).
    #[arg(long, env = "BSPGRAPH_PROVIDER_RATE_LIMIT_PER_MINUTE", global = true)]
    pub provider_rate_limit_per_minute: Option<u32>,
}
