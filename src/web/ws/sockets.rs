//! Open WebSockets as a group, for a graceful shutdown: each socket watches one flag
//! for as long as it lives; on shutdown the server raises it, every socket closes with
//! 1001 ("going away"), and the server waits (bounded) until the last one has sent its
//! close frame. It does not track sockets individually and sends nothing itself.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

/// The shutdown flag the open sockets watch.
#[derive(Clone)]
pub struct Sockets {
    /// `true` once the server is shutting down; each open socket holds one receiver, so
    /// the receiver count is the number of open sockets.
    stop: Arc<watch::Sender<bool>>,
}

impl Default for Sockets {
    fn default() -> Self {
        Self { stop: Arc::new(watch::Sender::new(false)) }
    }
}

impl Sockets {
    /// A fresh group, not shutting down.
    pub fn new() -> Self {
        Self::default()
    }

    /// The flag, for one socket to hold while it is open.
    pub(crate) fn watch(&self) -> watch::Receiver<bool> {
        self.stop.subscribe()
    }

    /// Ask every open (and every later) socket to close with 1001.
    pub fn close_all(&self) {
        self.stop.send_replace(true);
    }

    /// Sockets open now.
    pub fn open(&self) -> usize {
        self.stop.receiver_count()
    }

    /// Wait until every socket has closed, at most `within`; false when some are left.
    pub async fn drained(&self, within: Duration) -> bool {
        tokio::time::timeout(within, self.stop.closed()).await.is_ok()
    }
}
