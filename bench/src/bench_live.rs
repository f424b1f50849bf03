//! Live-status benchmark (release build, loopback only, bounded in time).
//!
//! Runs bspgraph as a child process (`--serve`) over a temporary SQLite file so its
//! memory is measured alone, registers M invitations, opens N `statusChanged` WebSocket
//! subscribers (one socket each, or K per socket with `--per-socket K`: the open-file
//! limit bounds sockets, not subscriptions), then fires signed Zavu webhooks at a
//! steady rate (each one changes one invitation's status, so each is one event).
//! Reports webhook-to-client latency p50/p99 (sampled subscribers; each event is
//! matched to its webhook through the log), resident memory per idle subscription
//! (server VmRSS delta / N), events lost (expected minus received over all subscribers)
//! and, in a last phase, signed webhooks ingested per second (unique deliveries plus
//! duplicates, as fast as 32 connections go).
//!
//! With `--postgres URL` it creates a fresh database there and runs two instances on it:
//! the webhooks go into instance A, the subscribers listen on instance B (whose memory is
//! measured), so every event crosses instances through the log and `NOTIFY`.
//!
//! `cargo run --release -p bspgraph-bench --bin bench_live -- --subscribers 1000 --rate 100 --seconds 5`

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc; // as the server binary

use anyhow::Context as _;
use bspgraph::config::Settings;
use bspgraph::domain::{decode_cursor, ClientDraft, CursorKind};
use bspgraph::store::{EventFilter, PageArgs, Store};
use bspgraph::web::App;
use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

const SECRET: &str = "whsec_sandbox_zavu_0123456789abcdef";
const QUERY: &str = "subscription { statusChanged { cursor } }";

#[derive(Parser, Debug)]
#[command(about = "bspgraph live-status benchmark")]
struct Args {
    /// `statusChanged` subscriptions (subscribers), each with its own id.
    #[arg(long, default_value_t = 1000)]
    subscribers: usize,
    /// Subscriptions carried by each WebSocket (graphql-transport-ws runs several on one
    /// socket, as a browser tab with several live views does): the sockets opened are
    /// `subscribers / per_socket`, rounded up. 1, the default, is one socket per subscriber.
    #[arg(long, default_value_t = 1)]
    per_socket: usize,
    /// Webhooks per second in the latency phase.
    #[arg(long, default_value_t = 100)]
    rate: u64,
    /// Seconds of the latency phase.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Seconds of the ingestion phase.
    #[arg(long, default_value_t = 3)]
    ingest_seconds: u64,
    /// Invitations the webhooks cycle through.
    #[arg(long, default_value_t = 200)]
    invitations: usize,
    /// Seconds to wait, after the steady phase, for the inbox to drain and deliveries
    /// to settle before loss is counted.
    #[arg(long, default_value_t = 60)]
    drain_timeout: u64,
    /// Run two instances on a fresh database at this PostgreSQL server (an admin URL):
    /// webhooks into A, subscribers on B.
    #[arg(long)]
    postgres: Option<String>,
    /// Whether the server shares one execution among identical subscriptions.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    multiplex: bool,
    /// Open and acknowledge the sockets without subscribing, report their memory and
    /// stop (what a socket costs before any subscription).
    #[arg(long)]
    sockets_only: bool,
    /// Internal: serve on this database and print the port.
    #[arg(long)]
    serve: Option<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    match &args.serve {
        Some(url) => serve(url, args.multiplex).await,
        None => run(args).await,
    }
}

async fn serve(url: &str, multiplex: bool) -> anyhow::Result<()> {
    let mut settings = Settings::defaults();
    settings.live.ws_multiplex = multiplex;
    settings.listen = "127.0.0.1:0".parse()?;
    settings.database_url = url.to_owned();
    settings.live.poll_interval_secs = 0.0;
    settings.live.ws_ping_secs = 0.0;
    settings.live.ws_init_timeout_secs = 120.0;
    // Every subscriber comes from loopback: lift the per-address and per-caller limits.
    settings.address_limits.ws_upgrade_burst = u32::MAX;
    settings.security.rate_limit_per_minute = u32::MAX;
    let app = App::build(settings).await?;
    println!("PORT {}", app.local_addr()?.port());
    app.serve(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap_or("");
    line.split_whitespace().nth(1).and_then(|v| v.parse().ok()).unwrap_or(0)
}

/// Raise this process's open-file limit to its hard limit (each socket is one file here
/// and one in the server, a child that inherits the limit); print it. Refuses to go on
/// when the limit cannot hold the sockets.
fn raise_fd_limit(sockets: usize) -> anyhow::Result<()> {
    let (soft, hard) = rlimit::Resource::NOFILE.get().unwrap_or((0, 0));
    // Beyond the hard limit only where allowed (root); else up to the hard limit.
    let wanted = hard.max(2 * sockets as u64 + 4096);
    if rlimit::Resource::NOFILE.set(wanted, wanted).is_err() {
        let _ = rlimit::Resource::NOFILE.set(hard, hard);
    }
    let now = rlimit::Resource::NOFILE.get().map_or(soft, |(s, _)| s);
    println!("open-file limit: {now} (was {soft}, hard {hard})");
    anyhow::ensure!(
        now >= sockets as u64 + 1024,
        "{sockets} sockets need about {} open files; the limit here is {now} (raise the hard limit, as root: ulimit -Hn, or carry several subscriptions per socket: --per-socket)",
        sockets + 1024
    );
    Ok(())
}

/// A fresh database named for this run at the PostgreSQL server `admin`; its URL.
async fn fresh_postgres(admin: &str) -> anyhow::Result<(String, String)> {
    let name = format!("bench_live_{}", std::process::id());
    let db = sea_orm::Database::connect(admin).await.context("the --postgres URL must be reachable")?;
    db.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}")).await?;
    db.execute_unprepared(&format!("CREATE DATABASE {name}")).await?;
    db.close().await?;
    let (base, query) = admin.split_once('?').map_or((admin, None), |(b, q)| (b, Some(q)));
    let base = base.rsplit_once('/').map_or(base, |(prefix, _)| prefix);
    let url = query.map_or_else(|| format!("{base}/{name}"), |q| format!("{base}/{name}?{q}"));
    Ok((url, name))
}

/// One server instance as a child process: the child and its address.
fn spawn_server(url: &str, multiplex: bool) -> anyhow::Result<(std::process::Child, std::process::ChildStdout)> {
    let mut child = std::process::Command::new(std::env::current_exe()?)
        .args(["--serve", url, "--multiplex", &multiplex.to_string()])
        .stdout(std::process::Stdio::piped())
        .spawn()?;
    let stdout = child.stdout.take().context("child stdout")?;
    Ok((child, stdout))
}

/// The port a child prints once it listens.
async fn port_of(stdout: std::process::ChildStdout) -> anyhow::Result<String> {
    let port = tokio::task::spawn_blocking(move || -> anyhow::Result<u16> {
        for line in std::io::BufRead::lines(std::io::BufReader::new(stdout)) {
            if let Some(p) = line?.strip_prefix("PORT ") {
                return Ok(p.parse()?);
            }
        }
        anyhow::bail!("server exited")
    })
    .await??;
    Ok(format!("127.0.0.1:{port}"))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let per_socket = args.per_socket.max(1);
    let sockets = args.subscribers.div_ceil(per_socket);
    raise_fd_limit(sockets)?;
    let dir = std::env::temp_dir().join(format!("bench_live_{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let (url, pg_name) = match &args.postgres {
        Some(admin) => {
            let (url, name) = fresh_postgres(admin).await?;
            (url, Some(name))
        }
        None => (format!("sqlite://{}?mode=rwc", dir.join("live.db").display()), None),
    };
    let store = Store::open(&url, 2).await?;
    let rows = register(&store, args.invitations).await?;
    let mut children = Vec::new();
    let (child, stdout) = spawn_server(&url, args.multiplex)?;
    children.push(child);
    let into = port_of(stdout).await?;
    let listen = if pg_name.is_some() {
        let (child, stdout) = spawn_server(&url, args.multiplex)?;
        children.push(child);
        port_of(stdout).await?
    } else {
        into.clone()
    };
    let pid = children.last().map(|c| c.id()).context("a server")?;
    println!(
        "instances: {} ({}), multiplexing {}",
        children.len(),
        if pg_name.is_some() { "PostgreSQL; webhooks into A, subscribers on B" } else { "SQLite" },
        if args.multiplex { "on" } else { "off" }
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = rss_kib(pid);
    let received = subscribe_all(&listen, args.subscribers, per_socket, !args.sockets_only).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = rss_kib(pid);
    let (what, count) = if args.sockets_only {
        ("acknowledged socket without a subscription", sockets)
    } else {
        ("idle subscription", args.subscribers)
    };
    println!(
        "subscribers: {} on {sockets} sockets  server RSS {before} KiB -> {after} KiB  = {:.1} KiB per {what}",
        if args.sockets_only { 0 } else { args.subscribers },
        (after.saturating_sub(before)) as f64 / count.max(1) as f64
    );
    if args.sockets_only {
        for mut child in children {
            let _ = child.kill();
            let _ = child.wait();
        }
        return Ok(());
    }
    let start_seq = store.max_event_seq().await?;
    let sent = fire_steady(&into, &rows, args.rate, args.seconds).await?;
    let drained =
        drain(&store, start_seq, &received, args.subscribers, Duration::from_secs(args.drain_timeout)).await?;
    report_latency(&store, start_seq, &rows, &sent, &received, args.subscribers, drained).await?;
    let inbox = store.inbox_entries(bspgraph::domain::Provider::Zavu).await?;
    let mut states: HashMap<&str, usize> = HashMap::new();
    for e in &inbox {
        *states.entry(e.state.as_str()).or_default() += 1;
    }
    println!("inbox after the steady phase: {states:?}");
    for e in inbox.iter().filter(|e| e.state != bspgraph::store::InboxState::Processed).take(3) {
        println!("  {} {}: {:?}", e.delivery_id, e.state.as_str(), e.last_error);
    }
    ingest(&into, args.ingest_seconds).await?;
    for mut child in children {
        let _ = child.kill();
        let _ = child.wait();
    }
    drop(store);
    if let (Some(admin), Some(name)) = (&args.postgres, pg_name) {
        let db = sea_orm::Database::connect(admin.as_str()).await?;
        db.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await?;
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// M invitation rows with provider ids `bench_inv_{i}`; returns row id by index.
async fn register(store: &Store, n: usize) -> anyhow::Result<Vec<i64>> {
    let draft = ClientDraft { external_id: None, name: "Bench".into(), email: None, phone: None, labels: None };
    let client = store.create_client(draft).await?.id;
    let db = sea_orm::Database::connect(store.url()).await?;
    let mut rows = Vec::with_capacity(n);
    for i in 0..n {
        let sql = match db.get_database_backend() {
            sea_orm::DbBackend::Postgres => {
                "INSERT INTO invitations (client_id, provider, provider_id, status, created_at, updated_at, flow) \
                 VALUES ($1, 'ZAVU', $2, 'PENDING', $3, $3, 'HOSTED_LINK') RETURNING id"
            }
            _ => {
                "INSERT INTO invitations (client_id, provider, provider_id, status, created_at, updated_at, flow) \
                 VALUES (?1, 'ZAVU', ?2, 'PENDING', ?3, ?3, 'HOSTED_LINK') RETURNING id"
            }
        };
        let values = vec![client.into(), format!("bench_inv_{i}").into(), chrono::Utc::now().into()];
        let row = db.query_one(Statement::from_sql_and_values(db.get_database_backend(), sql, values)).await?;
        rows.push(row.context("no id")?.try_get::<i64>("", "id")?);
    }
    Ok(rows)
}

/// Per subscriber: (seq, received at) for sampled subscribers, a count for all.
type Received = Arc<Mutex<(Vec<(i64, Instant)>, usize)>>;

/// `n` subscriptions, `per_socket` on each socket (the last one may carry fewer).
async fn subscribe_all(base: &str, n: usize, per_socket: usize, subscribe: bool) -> anyhow::Result<Received> {
    let received: Received = Arc::default();
    let ready = Arc::new(tokio::sync::Semaphore::new(0));
    let (shared, gate) = (received.clone(), ready.clone());
    let sockets = n.div_ceil(per_socket);
    let connect = futures_util::stream::iter(0..sockets).map(move |i| {
        let (received, ready, url) = (shared.clone(), gate.clone(), format!("ws://{base}/graphql/ws"));
        let subs = if subscribe { per_socket.min(n - i * per_socket) } else { 0 };
        async move { subscriber(i, url, subs, received, ready).await }
    });
    let mut opened = connect.buffer_unordered(200);
    let mut failures = 0;
    while let Some(r) = opened.next().await {
        if let Err(e) = r {
            failures += 1;
            if failures < 3 {
                eprintln!("subscriber failed: {e:#}");
            }
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(30), ready.acquire_many((sockets - failures) as u32)).await;
    if failures > 0 {
        eprintln!("{failures} sockets failed to open");
    }
    Ok(received)
}

/// Open socket `i` and start `subs` subscriptions on it (ids 1..=subs); a task reads it
/// afterwards. Subscription 1 of every tenth socket is sampled for latency.
async fn subscriber(
    i: usize,
    url: String,
    subs: usize,
    received: Received,
    ready: Arc<tokio::sync::Semaphore>,
) -> anyhow::Result<()> {
    let mut req = url.into_client_request()?;
    req.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse()?);
    // Spread the sockets over 127.0.0.1-127.0.0.8: one source address has only about
    // 28,000 ephemeral ports towards one server port.
    let source = std::net::SocketAddr::from(([127, 0, 0, 1 + (i % 8) as u8], 0));
    let server: std::net::SocketAddr = req.uri().authority().context("no host")?.as_str().parse()?;
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(source)?;
    let stream = socket.connect(server).await?;
    let (mut ws, _) = tokio_tungstenite::client_async(req, stream).await?;
    ws.send(Message::text(json!({ "type": "connection_init" }).to_string())).await?;
    ws.next().await.context("no ack")??;
    for id in 1..=subs {
        let sub = json!({ "type": "subscribe", "id": id.to_string(), "payload": { "query": QUERY } });
        ws.send(Message::text(sub.to_string())).await?;
    }
    ready.add_permits(1);
    let sampled = i.is_multiple_of(10);
    tokio::spawn(async move {
        while let Some(Ok(Message::Text(text))) = ws.next().await {
            let at = Instant::now();
            let v: serde_json::Value = serde_json::from_str(text.as_str()).unwrap_or_default();
            let Some(cursor) = v["payload"]["data"]["statusChanged"]["cursor"].as_str() else { continue };
            let mut r = received.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            r.1 += 1;
            if sampled && v["id"] == "1" {
                r.0.push((decode_cursor(cursor, CursorKind::Events).unwrap_or(0), at));
            }
        }
    });
    Ok(())
}

fn signed(body: &str) -> String {
    let t = chrono::Utc::now().timestamp().to_string();
    let sig = bspgraph::providers::signature::sign(SECRET.as_bytes(), &[t.as_bytes(), b".", body.as_bytes()]);
    format!("t={t},v2={}", hex::encode(sig))
}

fn webhook(id: &str, invitation: &str, status: &str) -> String {
    json!({ "id": id, "type": "invitation.status_changed", "timestamp": chrono::Utc::now().timestamp_millis(),
        "projectId": "bench", "data": { "invitationId": invitation, "previousStatus": "pending", "currentStatus": status } })
    .to_string()
}

async fn post(http: &reqwest::Client, base: &str, body: String) -> bool {
    let req = http.post(format!("http://{base}/webhooks/zavu")).header("x-zavu-signature", signed(&body)).body(body);
    matches!(req.send().await, Ok(r) if r.status().is_success())
}

/// Webhook k changes invitation k % M (in_progress, then pending, ...): sent instants.
async fn fire_steady(base: &str, rows: &[i64], rate: u64, seconds: u64) -> anyhow::Result<Vec<Instant>> {
    let refused = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let http = reqwest::Client::new();
    let total = (rate * seconds) as usize;
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / rate.max(1) as f64));
    let mut sent = Vec::with_capacity(total);
    for k in 0..total {
        ticker.tick().await;
        let status = if (k / rows.len()).is_multiple_of(2) { "in_progress" } else { "pending" };
        let body = webhook(&format!("evt_steady_{k}"), &format!("bench_inv_{}", k % rows.len()), status);
        sent.push(Instant::now());
        let (http, base, refused) = (http.clone(), base.to_owned(), refused.clone());
        tokio::spawn(async move {
            if !post(&http, &base, body).await {
                refused.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        });
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    println!("steady webhooks not acknowledged: {}", refused.load(std::sync::atomic::Ordering::Relaxed));
    Ok(sent)
}

/// Wait until every stored delivery is processed (none left `processing` or `failed`
/// awaiting a retry) and the subscribers hold every event logged since `start_seq`, or
/// until deliveries stop arriving for 3 s after the inbox drained, or `timeout`.
/// Returns whether the inbox drained and deliveries settled (only then is a shortfall
/// "lost"; otherwise it is "not yet delivered").
async fn drain(
    store: &Store,
    start_seq: i64,
    received: &Received,
    subscribers: usize,
    timeout: Duration,
) -> anyhow::Result<bool> {
    let started = Instant::now();
    let (mut last_count, mut still_since) = (usize::MAX, Instant::now());
    loop {
        let inbox = store.inbox_entries(bspgraph::domain::Provider::Zavu).await?;
        let pending = inbox.iter().filter(|e| e.state != bspgraph::store::InboxState::Processed).count();
        let events = usize::try_from(store.max_event_seq().await? - start_seq).unwrap_or(0);
        let count = received.lock().unwrap_or_else(std::sync::PoisonError::into_inner).1;
        if count != last_count {
            (last_count, still_since) = (count, Instant::now());
        }
        let settled = pending == 0 && (count >= events * subscribers || still_since.elapsed() > Duration::from_secs(3));
        if settled {
            println!("drained after the steady phase in {:.1} s", started.elapsed().as_secs_f64());
            return Ok(true);
        }
        if started.elapsed() > timeout {
            println!(
                "not drained after {} s: {pending} deliveries still in the inbox, {count} of {} deliveries received",
                timeout.as_secs(),
                events * subscribers
            );
            return Ok(false);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Match each logged event to its webhook (n-th event of invitation i = webhook n*M+i).
/// A shortfall counts as lost only when `drained`; otherwise as not yet delivered.
async fn report_latency(
    store: &Store,
    start_seq: i64,
    rows: &[i64],
    sent: &[Instant],
    received: &Received,
    subscribers: usize,
    drained: bool,
) -> anyhow::Result<()> {
    let index: HashMap<i64, usize> = rows.iter().enumerate().map(|(i, r)| (*r, i)).collect();
    let (mut rounds, mut seq_to_k, mut after) = (vec![0usize; rows.len()], HashMap::new(), start_seq);
    loop {
        let page = store.events_page(&EventFilter::default(), PageArgs { first: 100, after: Some(after) }).await?;
        for e in &page.items {
            if let Some(&i) = index.get(&e.node_id) {
                seq_to_k.insert(e.seq, rounds[i] * rows.len() + i);
                rounds[i] += 1;
            }
            after = e.seq;
        }
        if !page.has_next {
            break;
        }
    }
    let r = received.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut lat: Vec<Duration> =
        r.0.iter().filter_map(|(seq, at)| seq_to_k.get(seq).and_then(|k| sent.get(*k)).map(|s| *at - *s)).collect();
    lat.sort();
    let pct = |p: f64| lat.get(((lat.len().max(1) - 1) as f64 * p) as usize).copied().unwrap_or_default();
    let expected = seq_to_k.len() * subscribers;
    let short = expected.saturating_sub(r.1);
    let (lost, pending) = if drained { (short, 0) } else { (0, short) };
    println!(
        "webhooks sent: {}  events logged: {}  deliveries expected {expected}, received {}, not yet delivered {pending}, lost {lost}",
        sent.len(),
        seq_to_k.len(),
        r.1,
    );
    println!("webhook-to-client latency: p50 {:?}  p99 {:?}  ({} samples)", pct(0.5), pct(0.99), lat.len());
    Ok(())
}

/// As many signed deliveries as 32 connections push in `seconds`; one in five repeats
/// the previous delivery id (deduplicated). Unknown invitations: stored, noted, no event.
async fn ingest(base: &str, seconds: u64) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let start = Instant::now();
    let workers = (0..32).map(|w| {
        let (http, base) = (http.clone(), base.to_owned());
        tokio::spawn(async move {
            let (mut ok, mut n) = (0u64, 0u64);
            while Instant::now() < deadline {
                let id = if n % 5 == 4 { n - 1 } else { n };
                let body = webhook(&format!("evt_ingest_{w}_{id}"), &format!("unknown_{w}_{id}"), "in_progress");
                ok += u64::from(post(&http, &base, body).await);
                n += 1;
            }
            ok
        })
    });
    let acked: u64 = futures_util::future::join_all(workers).await.into_iter().map(|r| r.unwrap_or(0)).sum();
    let secs = start.elapsed().as_secs_f64();
    println!("ingestion: {acked} signed webhooks acknowledged in {secs:.1} s = {:.0}/s", acked as f64 / secs);
    Ok(())
}
