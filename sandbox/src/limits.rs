//! The simulators' rate limits: fixed one-minute windows counted per key (an endpoint,
//! an API host) and a token bucket (Sinch's token endpoint). A simulator asks
//! [`MinuteWindows::hit`] before handling a request and answers 429 in its own error
//! shape when the verdict says so; the verdict carries what the headers report.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::HeaderValue;
use axum::response::Response;
use chrono::Utc;

use super::lock;

/// What one request did to its window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    /// Requests allowed per window.
    pub limit: u32,
    /// Requests left in the window (0 once exceeded).
    pub remaining: u32,
    /// When the window resets (unix seconds).
    pub reset: i64,
    /// Seconds until the window resets, at least 1.
    pub retry_after: u64,
    /// Whether this request is over the limit.
    pub exceeded: bool,
}

impl Verdict {
    /// Add `Retry-After` (when exceeded) to `resp`.
    pub fn retry_after_header(&self, resp: &mut Response) {
        if self.exceeded {
            resp.headers_mut().insert("retry-after", HeaderValue::from(self.retry_after));
        }
    }

    /// Add `X-RateLimit-Limit`, `-Remaining` and `-Reset` (Zavu's headers) to `resp`.
    pub fn ratelimit_headers(&self, resp: &mut Response) {
        let h = resp.headers_mut();
        h.insert("x-ratelimit-limit", HeaderValue::from(self.limit));
        h.insert("x-ratelimit-remaining", HeaderValue::from(self.remaining));
        h.insert("x-ratelimit-reset", HeaderValue::from(self.reset));
    }
}

/// Fixed one-minute windows, one per key.
#[derive(Default)]
pub struct MinuteWindows {
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl MinuteWindows {
    /// Count one request under `key`, allowed `limit` per minute.
    pub fn hit(&self, key: &str, limit: u32) -> Verdict {
        let window = Duration::from_secs(60);
        let mut all = lock(&self.windows);
        let w = all.entry(key.to_owned()).or_insert_with(|| (Instant::now(), 0));
        if w.0.elapsed() >= window {
            *w = (Instant::now(), 0);
        }
        w.1 = w.1.saturating_add(1);
        let left = window.saturating_sub(w.0.elapsed()).as_secs().max(1);
        Verdict {
            limit,
            remaining: limit.saturating_sub(w.1),
            reset: Utc::now().timestamp() + i64::try_from(left).unwrap_or(60),
            retry_after: left,
            exceeded: w.1 > limit,
        }
    }
}

/// A token bucket: `capacity` tokens, refilled at `per_sec` tokens per second.
pub struct TokenBucket {
    capacity: f64,
    per_sec: f64,
    state: Mutex<(f64, Instant)>,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(capacity: u32, per_sec: u32) -> Self {
        let capacity = f64::from(capacity.max(1));
        Self { capacity, per_sec: f64::from(per_sec.max(1)), state: Mutex::new((capacity, Instant::now())) }
    }

    /// Take one token; `false` when the bucket is empty.
    pub fn take(&self) -> bool {
        let mut s = lock(&self.state);
        let now = Instant::now();
        s.0 = (s.0 + now.duration_since(s.1).as_secs_f64() * self.per_sec).min(self.capacity);
        s.1 = now;
        if s.0 >= 1.0 {
            s.0 -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_window_counts_per_key_and_reports_what_is_left() {
        let w = MinuteWindows::default();
        let first = w.hit("a", 2);
        let second = w.hit("a", 2);
        let third = w.hit("a", 2);
        let other = w.hit("b", 2);
        assert_eq!((first.remaining, first.exceeded), (1, false));
        assert_eq!((second.remaining, second.exceeded), (0, false));
        assert_eq!((third.remaining, third.exceeded), (0, true));
        assert!(third.retry_after >= 1 && third.retry_after <= 60);
        assert_eq!((other.remaining, other.exceeded), (1, false));
    }

    #[test]
    fn a_bucket_allows_its_capacity_then_refuses() {
        let b = TokenBucket::new(3, 1);
        let taken = (0..4).filter(|_| b.take()).count();
        assert_eq!(taken, 3);
    }
}
