//! Typed settings from command-line flags and environment variables (clap `env`).
//! Every setting is listed in the README's settings table.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

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
    /// Write sample clients with projects, WABAs, senders and invitations.
    Seed {
        /// How many sample clients to write.
        #[arg(long, default_value_t = 20)]
        clients: u64,
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
