//! Run modes and their security settings: `dev` (the default: sandbox-friendly, auth
//! optional, GraphiQL and introspection on, loopback only) and `production` (auth
//! required everywhere, introspection, GraphiQL, suggestions and the sandbox control
//! off unless enabled, a secret key required, no simulator: a provider without
//! credentials is DISABLED, see `providers::setup`). Startup refuses unsafe combinations.

use std::net::SocketAddr;

use clap::ValueEnum;

/// How the server runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    /// Local development: auth optional, playground on, loopback only.
    Dev,
    /// Production: auth required, playground and introspection off.
    Production,
}

/// Security settings; each has a flag and an environment variable.
#[derive(Debug, Clone, clap::Args)]
pub struct SecuritySettings {
    /// Run mode.
    #[arg(long, env = "BSPGRAPH_MODE", value_enum, default_value_t = Mode::Dev, global = true)]
    pub mode: Mode,
    /// Let dev mode listen on a non-loopback address (it has no required auth).
    #[arg(long, env = "BSPGRAPH_ALLOW_NON_LOOPBACK", default_value_t = false, global = true)]
    pub allow_non_loopback: bool,
    /// Keep introspection on in production.
    #[arg(long, env = "BSPGRAPH_ENABLE_INTROSPECTION", default_value_t = false, global = true)]
    pub enable_introspection: bool,
    /// Serve GraphiQL in production.
    #[arg(long, env = "BSPGRAPH_ENABLE_GRAPHIQL", default_value_t = false, global = true)]
    pub enable_graphiql: bool,
    /// Requests per minute allowed to one caller (key, client token, or address when anonymous).
    #[arg(long, env = "BSPGRAPH_RATE_LIMIT_PER_MINUTE", default_value_t = 1200, global = true)]
    pub rate_limit_per_minute: u32,
}

impl SecuritySettings {
    /// Whether this is dev mode.
    pub fn dev(&self) -> bool {
        self.mode == Mode::Dev
    }

    /// Whether introspection is served.
    pub fn introspection(&self) -> bool {
        self.dev() || self.enable_introspection
    }

    /// Whether GraphiQL is served.
    pub fn graphiql(&self) -> bool {
        self.dev() || self.enable_graphiql
    }

    /// Refuse to start on an unsafe combination; `has_secret_key` says whether
    /// `BSPGRAPH_SECRET_KEY` is set.
    pub fn check(&self, listen: SocketAddr, has_secret_key: bool) -> anyhow::Result<()> {
        match self.mode {
            Mode::Dev if !listen.ip().is_loopback() && !self.allow_non_loopback => anyhow::bail!(
                "dev mode has no required authentication and only listens on loopback; \
                 {listen} is not loopback. Use --mode production (BSPGRAPH_MODE=production), \
                 or --allow-non-loopback (BSPGRAPH_ALLOW_NON_LOOPBACK=true) if you really mean it"
            ),
            Mode::Production if !has_secret_key => anyhow::bail!(
                "production mode needs BSPGRAPH_SECRET_KEY (32 bytes, base64): it encrypts provider \
                 secrets and signs client tokens; no key file is generated in production"
            ),
            _ => Ok(()),
        }
    }

    /// The startup banner for this mode.
    pub fn banner(&self, listen: SocketAddr) -> String {
        match self.mode {
            Mode::Dev => format!(
                "DEV MODE on {listen}: authentication optional, GraphiQL and introspection on, sandbox \
                 control enabled. Do not expose this; use --mode production for real traffic."
            ),
            Mode::Production => format!(
                "production mode on {listen}: authentication required; providers without credentials are \
                 disabled and no sandbox is mounted"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(mode: Mode) -> SecuritySettings {
        SecuritySettings {
            mode,
            allow_non_loopback: false,
            enable_introspection: false,
            enable_graphiql: false,
            rate_limit_per_minute: 60,
        }
    }

    #[test]
    fn dev_mode_stays_on_loopback_and_production_needs_a_key() {
        let public: SocketAddr = "0.0.0.0:8080".parse().unwrap_or_else(|_| unreachable!());
        let local: SocketAddr = "127.0.0.1:8080".parse().unwrap_or_else(|_| unreachable!());
        assert!(settings(Mode::Dev).check(public, false).is_err());
        assert!(settings(Mode::Dev).check(local, false).is_ok());
        assert!(SecuritySettings { allow_non_loopback: true, ..settings(Mode::Dev) }.check(public, false).is_ok());
        let err = settings(Mode::Production).check(public, false).unwrap_err().to_string();
        assert!(err.contains("BSPGRAPH_SECRET_KEY"), "{err}");
        assert!(settings(Mode::Production).check(public, true).is_ok());
        assert!(!settings(Mode::Production).introspection());
    }
}
