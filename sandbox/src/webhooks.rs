//! Delivers a simulator's signed webhooks and retries failed deliveries. The signing
//! closure runs again for every attempt, so schemes with a timestamp sign fresh.
//!
//! Sandbox assumption: the providers retry over minutes to hours (Zavu 1 m, 5 m,
//! 15 m, 1 h, 4 h); the sandbox keeps the count (5 retries) but compresses the
//! schedule to seconds so demos and tests see the retry happen.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::lock;

/// Signs a body: returns the headers to send with it.
pub type Signer = Arc<dyn Fn(&str) -> Vec<(String, String)> + Send + Sync>;

/// One webhook the simulator sent (or dropped).
#[derive(Debug, Clone)]
pub struct Delivery {
    /// Target URL.
    pub url: String,
    /// Headers of the last attempt.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: String,
    /// Attempts made.
    pub attempts: u32,
    /// The receiver answered 2xx.
    pub delivered: bool,
    /// Dropped on purpose by an injected fault.
    pub dropped: bool,
}

/// Sends webhooks in the background and keeps a log of them.
pub struct WebhookSender {
    client: reqwest::Client,
    log: Mutex<Vec<Delivery>>,
    drop_next: AtomicUsize,
    retry_delays: Vec<Duration>,
}

impl WebhookSender {
    /// A sender with the compressed sandbox retry schedule.
    pub fn new() -> Arc<Self> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2))
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        let retry_delays = [250, 1_000, 3_000, 10_000, 30_000].map(Duration::from_millis).to_vec();
        Arc::new(Self { client, log: Mutex::new(Vec::new()), drop_next: AtomicUsize::new(0), retry_delays })
    }

    /// Drop the next `n` deliveries (the receiver never sees them).
    pub fn drop_next(&self, n: usize) {
        self.drop_next.fetch_add(n, Ordering::SeqCst);
    }

    /// Every delivery so far, oldest first.
    pub fn deliveries(&self) -> Vec<Delivery> {
        lock(&self.log).clone()
    }

    /// Wait until at least `n` deliveries are settled (delivered or dropped), or `timeout`.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Delivery> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let log = self.deliveries();
            let settled = log.iter().filter(|d| d.delivered || d.dropped).count();
            if settled >= n || tokio::time::Instant::now() >= deadline {
                return log;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// SendZen's validation request (the guide asks webhook URLs to "return a 200 status
    /// code for validation requests"; method and shape are undocumented): one unsigned
    /// `GET` to `url`, valid when it answers 2xx within the client's timeouts.
    pub async fn validate(&self, url: &str) -> bool {
        self.client.get(url).send().await.is_ok_and(|r| r.status().is_success())
    }

    /// Send `body` to `url`, signed by `sign`, retrying non-2xx answers in the background.
    pub fn send(self: &Arc<Self>, url: String, body: String, sign: Signer) {
        let dropped = self.drop_next.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
        let index = {
            let mut log = lock(&self.log);
            log.push(Delivery {
                url: url.clone(),
                headers: Vec::new(),
                body: body.clone(),
                attempts: 0,
                delivered: false,
                dropped,
            });
            log.len() - 1
        };
        if dropped {
            tracing::info!(%url, "sandbox webhook dropped on purpose");
            return;
        }
        let this = Arc::clone(self);
        tokio::spawn(async move { this.deliver(index, url, body, sign).await });
    }

    async fn deliver(&self, index: usize, url: String, body: String, sign: Signer) {
        for attempt in 0..=self.retry_delays.len() {
            if attempt > 0 {
                tokio::time::sleep(self.retry_delays[attempt - 1]).await;
            }
            let headers = sign(&body);
            let mut req = self.client.post(&url).header("content-type", "application/json").body(body.clone());
            for (name, value) in &headers {
                req = req.header(name, value);
            }
            let ok = matches!(req.send().await, Ok(r) if r.status().is_success());
            if let Some(d) = lock(&self.log).get_mut(index) {
                d.attempts += 1;
                d.headers = headers;
                d.delivered = ok;
            }
            if ok {
                return;
            }
            tracing::debug!(%url, attempt, "sandbox webhook not accepted; will retry");
        }
    }
}
