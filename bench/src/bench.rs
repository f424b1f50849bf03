//! Load harness for the read path (release build, loopback only, bounded in time).
//!
//! Seeds N clients (each with a project, a WABA, a sender and two invitations) in a
//! temporary SQLite file and starts three bspgraph servers in-process on 127.0.0.1:0
//! over it: the defaults (response and load caches on), the response cache off, and
//! both caches off. Drives, each for a fixed time at a fixed number of concurrent
//! connections: (a) the trivial `{ __typename }`, (b) a nested page of 50 clients with
//! their invitations, senders, wabas and projects, repeated (answered from the response
//! cache), (c) the same page with the response cache off (relations from the load
//! cache), (d) a page of 100 clients likewise, (e) the page with both caches off.
//! Prints requests/s, p50/p99 latency, the ratio b/a, SQL statements per request, and
//! the cost of one (c) and one (e) page split by layer (one request at a time, in
//! microseconds).
//!
//! `cargo run --release -p bspgraph-bench --bin bench -- --seconds 10 --concurrency 32`

use std::time::{Duration, Instant};

use async_graphql::{BatchResponse, Request};
use bspgraph::auth::Caller;
use bspgraph::config::Settings;
use bspgraph::graphql::{admit, Access, Loaders};
use bspgraph::response_cache::Ticket;
use bspgraph::store::Store;
use bspgraph::web::{App, AppState};
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
    /// Database connections (the server's default when unset).
    #[arg(long)]
    db_connections: Option<u32>,
}

const TRIVIAL: &str = "{ __typename }";
const NESTED: &str = "{ clients(first: 50) { edges { node {
  id name email externalId
  invitations(first: 5) { edges { node { id status url expiresAt sender { id phoneNumber status } waba { id wabaId } } } }
  senders { id status phoneNumber displayName waba { id wabaId } }
  wabas { id wabaId status name }
  projects { id provider providerId name }
} } } }";

/// The nested page with `first: n`.
fn page_of(n: u32) -> String {
    NESTED.replace("clients(first: 50)", &format!("clients(first: {n})"))
}

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
        "{name:<36} {:>9.0} req/s   p50 {:>7.2} ms   p99 {:>7.2} ms   ({} requests, {} errors)",
        o.rps(),
        o.percentile(0.50).as_secs_f64() * 1e3,
        o.percentile(0.99).as_secs_f64() * 1e3,
        o.requests,
        o.errors
    );
}

/// A server over `store` on 127.0.0.1:0; returns its `/graphql` URL and state.
async fn serve(
    store: &Store,
    response_cache_bytes: usize,
    load_cache_rows: usize,
) -> anyhow::Result<(String, AppState)> {
    let mut settings = Settings::defaults();
    settings.listen = "127.0.0.1:0".parse()?;
    // One client drives all the load: the per-caller rate limit would answer 429.
    settings.security.rate_limit_per_minute = u32::MAX;
    settings.database_url = store.url().to_owned();
    settings.response_cache_bytes = response_cache_bytes;
    settings.load_cache_rows = load_cache_rows;
    settings.live.poll_interval_secs = 0.0;
    let app = App::with_store(settings, store.clone()).await?;
    let url = format!("http://{}/graphql", app.local_addr()?);
    let state = app.state.clone();
    app.start(std::future::pending()).await?;
    Ok((url, state))
}

/// Warm up for a second, then drive `query` for `run`; returns the outcome and the SQL
/// statements per request.
async fn scenario(store: &Store, url: &str, query: &str, concurrency: usize, run: Duration) -> (Outcome, f64) {
    drive(url, query, concurrency, Duration::from_secs(1)).await;
    let before = store.statements();
    let outcome = drive(url, query, concurrency, run).await;
    let statements = (store.statements() - before) as f64 / outcome.requests.max(1) as f64;
    (outcome, statements)
}

/// Mean microseconds per layer of one uncached request, one request at a time.
#[derive(Default)]
struct Split {
    http: f64,
    parse: f64,
    validate: f64,
    execute: f64,
    store: f64,
    serialize: f64,
}

/// The layer split of `query` on a server without the response cache (with its load
/// cache, if it has one): the whole HTTP round trip at
/// concurrency 1, and in-process the guard's parse and checks, async-graphql's
/// validation (the same document with its root field skipped), execution, the store's
/// statements (sent, run and fetched) and serialization. The batch loads run on a
/// one-connection store, so their statements do not overlap and their summed time is
/// the time the request waited for the store.
async fn split(state: &AppState, url: &str, query: &str, rounds: u32) -> anyhow::Result<Split> {
    let skipped = query.replacen(") {", ") @skip(if: true) {", 1);
    let access = Access { caller: Caller::Anonymous, dev: true, signer: state.gate.authenticator.signer().clone() };
    let root = &state.store;
    let store = &Store::connect(root.url(), 1).await?;
    let sql_micros = || root.sql_micros() + store.sql_micros();
    let mut s = Split::default();
    for round in 0..=rounds {
        let mut request = Request::new(query);
        let t0 = Instant::now();
        admit(&state.schema, &mut request).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let t1 = Instant::now();
        let sql_before = sql_micros();
        let ticket = Ticket::default();
        let loaders = match &state.load_cache {
            Some(cache) => Loaders::cached(store.clone(), cache.clone(), ticket.clone()),
            None => Loaders::new(store.clone()),
        };
        let request = request.data(loaders.clone()).data(access.clone()).data(ticket);
        let response = loaders.drive(state.schema.execute(request)).await;
        let t2 = Instant::now();
        let sql = (sql_micros() - sql_before) as f64;
        anyhow::ensure!(response.errors.is_empty(), "{:?}", response.errors);
        let body = bspgraph::web::wire::body(&BatchResponse::Single(response))?;
        let t3 = Instant::now();
        let mut skip = Request::new(skipped.as_str());
        admit(&state.schema, &mut skip).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let t4 = Instant::now();
        let nothing = state.schema.execute(skip.data(access.clone())).await;
        let validate = t4.elapsed().as_secs_f64() * 1e6;
        anyhow::ensure!(nothing.errors.is_empty() && body.len() > 1000, "{:?}", nothing.errors);
        if round == 0 {
            continue; // warm-up
        }
        s.parse += (t1 - t0).as_secs_f64() * 1e6;
        s.validate += validate;
        s.store += sql;
        s.execute += (t2 - t1).as_secs_f64() * 1e6 - validate - sql;
        s.serialize += (t3 - t2).as_secs_f64() * 1e6;
    }
    let n = f64::from(rounds);
    let one = drive(url, query, 1, Duration::from_secs(2)).await;
    let round_trip = one.latencies.iter().map(Duration::as_secs_f64).sum::<f64>() * 1e6 / one.latencies.len() as f64;
    for v in [&mut s.parse, &mut s.validate, &mut s.execute, &mut s.store, &mut s.serialize] {
        *v /= n;
    }
    s.http = round_trip - (s.parse + s.validate + s.execute + s.store + s.serialize);
    Ok(s)
}

fn report_split(name: &str, s: &Split) {
    let total = s.http + s.parse + s.validate + s.execute + s.store + s.serialize;
    let pct = |v: f64| v / total * 100.0;
    println!("{name} (us per request, one at a time; total {total:.0} us):");
    for (layer, v) in [
        ("HTTP (client, hyper, routing, auth, body)", s.http),
        ("parse and guard checks", s.parse),
        ("validation (async-graphql)", s.validate),
        ("execution (resolvers, loaders, ids)", s.execute),
        ("store (SQL sent, run, rows fetched)", s.store),
        ("serialization", s.serialize),
    ] {
        println!("  {layer:<44} {v:>8.0} us  {:>5.1}%", pct(v));
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = tempfile_dir()?;
    let url = format!("sqlite://{}?mode=rwc", dir.join("bench.db").display());
    let store = Store::open(&url, args.db_connections.unwrap_or(Settings::defaults().db_max_connections)).await?;
    store.seed_demo(args.clients).await?;
    let defaults = Settings::defaults();
    let (cached, _) = serve(&store, defaults.response_cache_bytes, defaults.load_cache_rows).await?;
    let (uncached, uncached_state) = serve(&store, 0, defaults.load_cache_rows).await?;
    let (bare, bare_state) = serve(&store, 0, 0).await?;

    println!(
        "bspgraph read-path bench: {} clients seeded, {} connections, {} s per scenario, loopback",
        args.clients, args.concurrency, args.seconds
    );
    let run = Duration::from_secs(args.seconds);
    let c = args.concurrency;
    let (trivial, _) = scenario(&store, &cached, TRIVIAL, c, run).await;
    report("(a) { __typename }", &trivial);
    let (nested, statements) = scenario(&store, &cached, NESTED, c, run).await;
    report("(b) nested page of 50 clients", &nested);
    let (cold, cold_statements) = scenario(&store, &uncached, NESTED, c, run).await;
    report("(c) same page, response cache off", &cold);
    let (hundred, hundred_statements) = scenario(&store, &uncached, &page_of(100), c, run).await;
    report("(d) 100 clients, response cache off", &hundred);
    let (no_loads, bare_statements) = scenario(&store, &bare, NESTED, c, run).await;
    report("(e) (c) with the load cache off", &no_loads);

    let ratio = nested.rps() / trivial.rps().max(1e-9);
    println!("ratio b/a: {:.1}% (target >= 25%)", ratio * 100.0);
    println!("nested page: {:.0} req/s (target >= 3000 at 32 connections)", nested.rps());
    println!("uncached nested page: {:.0} req/s (target >= 1000 at 32 connections)", cold.rps());
    println!("SQL statements per nested request: {statements:.2}");
    println!(
        "SQL statements per uncached nested request: {cold_statements:.2} (50 clients), {hundred_statements:.2} (100)"
    );
    println!("SQL statements per nested request with both caches off: {bare_statements:.2}");
    report_split("(c) layer split", &split(&uncached_state, &uncached, NESTED, 200).await?);
    report_split("(e) layer split", &split(&bare_state, &bare, NESTED, 200).await?);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn tempfile_dir() -> std::io::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("bspgraph-bench-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
