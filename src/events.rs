//! The event bus and resumable event streams.
//!
//! One tail reader per instance follows the event log: it is woken by the store's
//! commit watch (the last seq this instance committed), by PostgreSQL `NOTIFY` (events any
//! instance committed; the payload is only the seq) and by a slow timer, and each time
//! it reads the log after the last seq it broadcast. Because appends commit in seq
//! order (see `store::changes`), reading "after N" never skips a row, so the broadcast
//! is gap-free and ordered whatever woke the reader; a listener that reconnects only
//! has to wake it.
//!
//! A stream attaches to the broadcast first, then replays the log after the client's
//! cursor, then continues live, dropping seqs it already sent. A stream that lags the
//! bounded broadcast catches up from the log; other streams are never held back.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::Stream;
use tokio::sync::{broadcast, watch, Notify};

use crate::domain::Event;
use crate::store::{EventFilter, PageArgs, Store, StoreError, EVENTS_CHANNEL};

/// Events a stream may fall behind the bus before it catches up from the log.
const BUS_CAPACITY: usize = 1024;
/// Log rows read per query when replaying or following the tail.
const PAGE: u64 = 100;
/// On PostgreSQL the tail reader also looks at the log this often (a safety net for a
/// notification lost with a listener connection). SQLite has only this process's bus.
const TAIL_TICK: Duration = Duration::from_secs(1);

/// Why a stream cannot start.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// The cursor is beyond the end of the log: not one this server issued.
    #[error("unknown cursor")]
    BadCursor,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Handle on the bus, cheap to clone.
#[derive(Clone)]
pub struct EventBus {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    tx: broadcast::Sender<Arc<Event>>,
    /// Wakes the tail reader (PostgreSQL notifications, listener reconnects).
    wake: Notify,
    /// Seq of the last event broadcast.
    position: AtomicI64,
}

impl std::fmt::Debug for EventBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventBus").field("position", &self.position()).finish()
    }
}

impl EventBus {
    /// A bus over `store`; nothing flows until [`EventBus::spawn`].
    pub fn new(store: Store) -> Self {
        let (tx, _) = broadcast::channel(BUS_CAPACITY);
        Self { inner: Arc::new(Inner { store, tx, wake: Notify::new(), position: AtomicI64::new(0) }) }
    }

    /// How many subscriptions are following the bus now.
    pub fn listeners(&self) -> usize {
        self.inner.tx.receiver_count()
    }

    /// Seq of the last event broadcast.
    pub fn position(&self) -> i64 {
        self.inner.position.load(Ordering::SeqCst)
    }

    /// Start the tail reader (and the PostgreSQL listener) until `shutdown` turns true.
    pub async fn spawn(&self, shutdown: watch::Receiver<bool>) -> Result<(), StoreError> {
        let start = self.inner.store.max_event_seq().await?;
        self.inner.position.store(start, Ordering::SeqCst);
        let this = self.clone();
        tokio::spawn(this.tail(shutdown.clone()));
        if self.inner.store.is_postgres() {
            tokio::spawn(crate::events::listen(self.clone(), shutdown));
        }
        Ok(())
    }

    /// Wake the tail reader (something may have been committed elsewhere).
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    /// A notification said `seq` was committed: with nobody subscribed, just note it.
    fn notified(&self, seq: Option<i64>) {
        match seq {
            Some(seq) if self.inner.tx.receiver_count() == 0 => {
                self.inner.position.fetch_max(seq, Ordering::SeqCst);
            }
            _ => self.wake(),
        }
    }

    async fn tail(self, mut shutdown: watch::Receiver<bool>) {
        let mut local = self.inner.store.committed();
        let tick = self.inner.store.is_postgres();
        loop {
            let woken = tokio::select! {
                r = local.changed() => match r {
                    Ok(()) => Some(*local.borrow_and_update()),
                    Err(_) => return,
                },
                _ = self.inner.wake.notified() => None,
                _ = tokio::time::sleep(TAIL_TICK), if tick && self.inner.tx.receiver_count() > 0 => None,
                _ = shutdown.changed() => return,
            };
            if let Err(e) = self.follow(woken).await {
                tracing::warn!(error = %e, "event tail read failed; retrying");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }

    /// Catch up with the log. With nobody subscribed, only move the position (no read).
    async fn follow(&self, seq: Option<i64>) -> Result<(), StoreError> {
        if self.inner.tx.receiver_count() > 0 {
            return self.drain().await;
        }
        let seq = match seq {
            Some(seq) => seq,
            None => self.inner.store.max_event_seq().await?,
        };
        self.inner.position.fetch_max(seq, Ordering::SeqCst);
        Ok(())
    }

    /// Broadcast every logged event after the current position, in order.
    async fn drain(&self) -> Result<(), StoreError> {
        loop {
            let after = self.position();
            let args = PageArgs { first: PAGE, after: Some(after) };
            let page = self.inner.store.events_page(&EventFilter::default(), args).await?;
            for e in page.items {
                self.inner.position.store(e.seq, Ordering::SeqCst);
                let _ = self.inner.tx.send(Arc::new(e)); // no subscriber is fine
            }
            if !page.has_next {
                return Ok(());
            }
        }
    }

    /// Check a resume cursor against the log: beyond its end it was never issued.
    /// (No retention is applied, so no cursor expires.)
    pub async fn check_cursor(&self, after: i64) -> Result<(), StreamError> {
        if after < 0 || after > self.inner.store.max_event_seq().await? {
            return Err(StreamError::BadCursor);
        }
        Ok(())
    }

    /// Events matching `filter`: those after `after` from the log, then live ones; in
    /// seq order, each once. Without `after`, live events from now on.
    pub fn stream(&self, after: Option<i64>, filter: EventFilter) -> impl Stream<Item = Result<Event, StoreError>> {
        let bus = self.clone();
        async_stream::try_stream! {
            let mut last = after.unwrap_or_else(|| bus.position());
            let mut rx = bus.inner.tx.subscribe(); // attach first, then replay
            if after.is_some() {
                for e in bus.replay(&filter, &mut last).await? { yield e; }
            }
            loop {
                match rx.recv().await {
                    Ok(e) if e.seq > last => {
                        last = e.seq;
                        if filter.matches(&e) { yield Event::clone(&e); }
                    }
                    Ok(_) => {}
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        tracing::debug!(skipped = n, "slow subscriber catches up from the log");
                        for e in bus.replay(&filter, &mut last).await? { yield e; }
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                }
            }
        }
    }

    /// Matching log events after `after` up to and including `until`, from the log only,
    /// in seq order; the stream ends there (a shared stream's late joiner catches up
    /// with it this way, see `ws::mux`).
    pub fn replay_until(
        &self,
        after: i64,
        until: i64,
        filter: EventFilter,
    ) -> impl Stream<Item = Result<Event, StoreError>> {
        let bus = self.clone();
        async_stream::try_stream! {
            let mut last = after;
            while last < until {
                let args = PageArgs { first: PAGE, after: Some(last) };
                let page = bus.inner.store.events_page(&filter, args).await?;
                last = page.items.last().map_or(until, |e| e.seq);
                for e in page.items.into_iter().take_while(|e| e.seq <= until) { yield e; }
                if !page.has_next { break; }
            }
        }
    }

    /// Matching log events after `*last`, advancing `*last` past everything read.
    async fn replay(&self, filter: &EventFilter, last: &mut i64) -> Result<Vec<Event>, StoreError> {
        let mut out = Vec::new();
        loop {
            let args = PageArgs { first: PAGE, after: Some(*last) };
            let page = self.inner.store.events_page(filter, args).await?;
            if let Some(e) = page.items.last() {
                *last = e.seq;
            }
            out.extend(page.items);
            if !page.has_next {
                return Ok(out);
            }
        }
    }
}

/// Follow PostgreSQL notifications, waking the tail reader for each; after a lost
/// connection, reconnect and wake it once, so it recovers what it missed from the log.
#[tracing::instrument(skip_all)]
async fn listen(bus: EventBus, mut shutdown: watch::Receiver<bool>) {
    use sea_orm::sqlx::postgres::PgListener;
    let url = bus.inner.store.url().to_owned();
    loop {
        let mut listener = match PgListener::connect(&url).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "event listener cannot connect; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => continue,
                    _ = shutdown.changed() => return,
                }
            }
        };
        if let Err(e) = listener.listen(EVENTS_CHANNEL).await {
            tracing::warn!(error = %e, "LISTEN failed; retrying");
            continue;
        }
        bus.wake(); // whatever was committed while we were away
        loop {
            tokio::select! {
                n = listener.try_recv() => match n {
                    Ok(Some(n)) => bus.notified(n.payload().parse().ok()),
                    Ok(None) => { tracing::info!("event listener connection lost; recovering"); bus.wake(); }
                    Err(e) => { tracing::warn!(error = %e, "event listener failed; reconnecting"); break; }
                },
                _ = shutdown.changed() => return,
            }
        }
    }
}
