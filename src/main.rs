//! The `bspgraph` binary: parse the command line, set up logging, run the command.

use clap::Parser;

/// mimalloc: the read path allocates many small objects per request (rows, GraphQL
/// values); glibc malloc spent about a quarter of the CPU in the bench profile.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use bspgraph::config::{Cli, Command, KeysCommand, SecretsCommand, WebhooksCommand};
use bspgraph::store::Store;
use bspgraph::web::App;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = cli.settings;
    bspgraph::telemetry::init(settings.log_format);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let has_secret_key = settings.secret_key.is_some();
            settings.security.check(settings.listen, has_secret_key)?;
            tracing::warn!("{}", settings.security.banner(settings.listen));
            let app = App::build(settings).await?;
            let addr = app.local_addr()?;
            tracing::info!("bspgraph listening: GraphiQL on http://{addr}/ , GraphQL on http://{addr}/graphql");
            app.serve(shutdown_signal()).await?;
        }
        Command::Migrate => {
            Store::open(&settings.database_url, 1).await?;
            tracing::info!("migrations applied");
        }
        Command::Probe => probe(settings.listen).await?,
        Command::Secrets(SecretsCommand::Rotate) => {
            let store = Store::open(&settings.database_url, 1).await?;
            let dir = bspgraph::secrets::key_dir(&settings.database_url);
            let secrets = bspgraph::secrets::SecretBox::load(settings.secret_key.as_ref(), &dir)?
                .with_previous(&settings.previous_secret_keys)?;
            let report = bspgraph::secrets::rotate(&store, &secrets).await?;
            eprintln!("{} secrets re-sealed, {} already under the current key", report.resealed, report.current);
        }
        Command::Keys(command) => keys(&settings.database_url, command).await?,
        Command::Webhooks(WebhooksCommand::Register) => register_webhooks(settings).await?,
        Command::Sandbox { listen } => {
            let sandbox = bspgraph_sandbox::Sandbox::new(bspgraph_sandbox::SandboxConfig::default());
            let listener = tokio::net::TcpListener::bind(listen).await?;
            let addr = listener.local_addr()?;
            tracing::info!("simulators on http://{addr}/sandbox/{{zavu,sinch,sendzen}}, control API on http://{addr}/sandbox/control");
            axum::serve(listener, sandbox.router()).with_graceful_shutdown(shutdown_signal()).await?;
        }
        Command::ExportSchema => print!("{}", bspgraph::graphql::sdl()),
        Command::Seed { clients } => {
            let store = Store::open(&settings.database_url, 1).await?;
            let counts = store.seed_demo(clients).await?;
            tracing::info!(?counts, "sample data written");
        }
    }
    Ok(())
}

/// `bspgraph webhooks register`: the application is built (on a free port, never
/// served) only for its adapters and store.
async fn register_webhooks(mut settings: bspgraph::config::Settings) -> anyhow::Result<()> {
    anyhow::ensure!(settings.public_url.is_some(), "set BSPGRAPH_PUBLIC_URL: the providers call that URL back");
    settings.listen = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    let app = App::build(settings).await?;
    let done = bspgraph::onboarding::registration::register_all(&app.state.flows, bspgraph::domain::ProviderMode::Live)
        .await?;
    if done.is_empty() {
        eprintln!("no LIVE provider takes a webhook registration");
    }
    let mut failed = false;
    for (provider, outcome) in done {
        match outcome {
            Ok(target) => println!("{provider}: registered {target}"),
            Err(error) => {
                failed = true;
                println!("{provider}: failed: {error}");
            }
        }
    }
    anyhow::ensure!(!failed, "some registrations failed");
    Ok(())
}

/// `bspgraph keys create|list|revoke`: the key is printed once, on stdout, and never stored.
async fn keys(database_url: &str, command: KeysCommand) -> anyhow::Result<()> {
    use secrecy::ExposeSecret;
    let store = Store::open(database_url, 1).await?;
    match command {
        KeysCommand::Create { name } => {
            let key = bspgraph::auth::keys::generate();
            let info = store.create_api_key(&name, &key.display_prefix, &key.digest).await?;
            eprintln!("key {} ({}) created; it is shown once, store it now:", info.id, info.name);
            println!("{}", key.secret.expose_secret());
        }
        KeysCommand::List => {
            for k in store.list_api_keys().await? {
                let state = k.revoked_at.map_or("active".to_owned(), |t| format!("revoked {}", t.to_rfc3339()));
                println!("{}\t{}\t{}…\t{}\t{}", k.id, k.name, k.display_prefix, k.created_at.to_rfc3339(), state);
            }
        }
        KeysCommand::Revoke { id } => {
            anyhow::ensure!(store.revoke_api_key(id).await?, "no active key has id {id}");
            eprintln!("key {id} revoked");
        }
    }
    Ok(())
}

/// GET `/readyz` on the local server; an error (non-zero exit) unless it answers 200.
async fn probe(listen: std::net::SocketAddr) -> anyhow::Result<()> {
    let addr =
        if listen.ip().is_unspecified() { std::net::SocketAddr::from(([127, 0, 0, 1], listen.port())) } else { listen };
    let url = format!("http://{addr}/readyz");
    let client = reqwest::Client::builder().timeout(std::time::Duration::from_secs(2)).build()?;
    let status = client.get(&url).send().await?.status();
    anyhow::ensure!(status.is_success(), "{url} answered {status}");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
