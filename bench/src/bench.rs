//! Load harness for the read path (release build, loopback only, bounded in time).
//!
//! Seeds N clients (each with a project, a WABA, a sender and two invitations) in a
//! temporary SQLite file, starts bspgraph in-process on 127.0.0.1:0, then drives
//! (a) the trivial `{ __typename }` and (b) a nested page of 50 clients with their
//! invitations, senders, wabas and project, each for a fixed time at a fixed number
//! of concurrent connections. Prints requests/s, p50/p99 latency, the ratio b/a and
//! SQL statements per request.
//!
//! `cargo run --release -p bspgraph-bench --bin bench -- --seconds 10 --concurrency 32`

use std::time::{Duration, Instant};

use bspgraph::app::App;
use bspgraph::config::Settings;
use bspgraph::store::Store;
use clap::Parser;

/// The same allocator as the server binary, so the figures match it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use serde_json::json;

#[derive(Parser, Debug)]
#[command(about = "bspgraph read-path benchmark")]
struct Args {
    /// Clients to seed.
    #[arg(long, default_value_t = 200)]
    clients: u64,
    /// Seconds each scenario runs (after a 1 s warm-up).
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Concurrent connections.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
}

const TRIVIAL: &str = "{ __typename }";
const NESTED: &str = "{ clients(first: 50) { edges { node {
  id name email externalId
  invitations(first: 5) { edges { node { id status url expiresAt sender { id phoneNumber status } waba { id wabaId } } } }
  senders { id status phoneNumber displayName waba { id wabaId } }
  wabas { id wabaId status name }
  projects { id provider providerId name }
} } } }";

struct Outcome {
    requests: usize,
    errors: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Outcome {
    fn rps(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }
    fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let i = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies[i]
    }
}

async fn drive(url: &str, query: &str, concurrency: usize, duration: Duration) -> Outcome {
    let http = reqwest::Client::builder().pool_max_idle_per_host(concurrency).build().expect("http client");
    let body = serde_json::to_vec(&json!({ "query": query })).expect("json");
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (http, body, url) = (http.clone(), body.clone(), url.to_owned());
        tasks.push(tokio::spawn(async move {
            let (mut latencies, mut errors) = (Vec::new(), 0usize);
            while Instant::now() < deadline {
                let t = Instant::now();
                let resp = http.post(&url).header("content-type", "application/json").body(body.clone()).send().await;
                let ok = match resp {
                    Ok(r) => r.status().is_success() && r.bytes().await.is_ok_and(|b| !b.starts_with(b"{\"errors\"")),
                    Err(_) => false,
                };
                latencies.push(t.elapsed());
                errors += usize::from(!ok);
            }
            (latencies, errors)
        }));
    }
    let mut out = Outcome { requests: 0, errors: 0, elapsed: Duration::ZERO, latencies: Vec::new() };
    for task in tasks {
        let (lat, err) = task.await.expect("load task");
        out.requests += lat.len();
        out.errors += err;
        out.latencies.extend(lat);
    }
    out.elapsed = started.elapsed();
    out.latencies.sort_unstable();
    out
}

fn report(name: &str, o: &Outcome) {
    println!(
        "{name:<32} {:>9.0} req/s   p50 {:>7.2} ms   p99 {:>7.2} ms   ({} requests, {} errors)",
        o.rps(),
        o.percentile(0.50).as_secs_f64() * 1e3,
        o.percentile(0.99).as_secs_f64() * 1e3,
        o.requests,
        o.errors
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = tempfile_dir()?;
    let mut settings = Settings::defaults();
    settings.listen = "127.0.0.1:0".parse()?;
    // One client drives all the load: the per-caller rate limit would answer 429.
    settings.security.rate_limit_per_minute = u32::MAX;
    settings.database_url = format!("sqlite://{}?mode=rwc", dir.join("bench.db").display());
    let store = Store::open(&settings.database_url, settings.db_max_connections).await?;
    store.seed_demo(args.clients).await?;
    let app = App::with_store(settings, store.clone()).await?;
    let url = format!("http://{}/graphql", app.local_addr()?);
    app.start(std::future::pending()).await?;

    println!(
        "bspgraph read-path bench: {} clients seeded, {} connections, {} s per scenario, loopback",
        args.clients, args.concurrency, args.seconds
    );
    let run = Duration::from_secs(args.seconds);
    drive(&url, TRIVIAL, args.concurrency, Duration::from_secs(1)).await; // warm-up
    let trivial = drive(&url, TRIVIAL, args.concurrency, run).await;
    report("(a) { __typename }", &trivial);

    drive(&url, NESTED, args.concurrency, Duration::from_secs(1)).await; // warm-up
    let before = store.statements();
    let nested = drive(&url, NESTED, args.concurrency, run).await;
    let statements = (store.statements() - before) as f64 / nested.requests.max(1) as f64;
    report("(b) nested page of 50 clients", &nested);

    let ratio = nested.rps() / trivial.rps().max(1e-9);
    println!("ratio b/a: {:.1}% (target >= 25%)", ratio * 100.0);
    println!("nested page: {:.0} req/s (target >= 3000 at 32 connections)", nested.rps());
    println!("SQL statements per nested request: {statements:.2}");
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn tempfile_dir() -> std::io::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("bspgraph-bench-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
