//! The `bspgraph` binary: parse the command line, set up logging, run the command.

use clap::Parser;

use bspgraph::app::App;
use bspgraph::config::{Cli, Command};
use bspgraph::store::Store;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = cli.settings;
    bspgraph::telemetry::init(settings.log_format);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let app = App::build(settings).await?;
            let addr = app.local_addr()?;
            tracing::info!("bspgraph listening: GraphiQL on http://{addr}/ , GraphQL on http://{addr}/graphql");
            app.serve(shutdown_signal()).await?;
        }
        Command::Migrate => {
            Store::open(&settings.database_url, 1).await?;
            tracing::info!("migrations applied");
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
