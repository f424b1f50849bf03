//! Fair turns at a provider's client-side rate limit. Each call waits in the queue of
//! its tenant (the client it is made for, set with [`for_client`]; calls made for no
//! client, such as the poller's and `syncProvider`'s, share one queue of their own),
//! and each permit of the provider's limiter goes to the next tenant in round-robin
//! order. One client's burst therefore queues behind itself: another client's call
//! waits for at most one permit per other busy tenant, and the provider's global limit
//! still holds because every call takes one permit of the one limiter.
//!
//! This must not hold a lock across an await, and a caller that gives up (its request
//! was cancelled) must not stall the others: its turn passes to the next waiter.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use governor::DefaultDirectRateLimiter;
use tokio::sync::oneshot;

tokio::task_local! {
    /// The client the provider calls of the current task are made for.
    static TENANT: i64;
}

/// Run `fut` with its provider calls queued as client `client_id`'s.
pub fn for_client<F: Future>(client_id: i64, fut: F) -> impl Future<Output = F::Output> {
    TENANT.scope(client_id, fut)
}

/// The tenant of the current task's calls (`None`: made for no client).
fn current() -> Option<i64> {
    TENANT.try_with(|t| *t).ok()
}

/// One rate-limit bucket with a fair queue in front of it.
pub struct FairGate {
    limiter: DefaultDirectRateLimiter,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Tenants with waiting calls, in turn order (each at most once).
    turns: VecDeque<Option<i64>>,
    /// Each waiting tenant's calls, oldest first (never empty while in `turns`).
    waiting: HashMap<Option<i64>, VecDeque<oneshot::Sender<()>>>,
    /// A dispatcher task is handing out permits.
    dispatching: bool,
}

impl State {
    fn enqueue(&mut self, tenant: Option<i64>, turn: oneshot::Sender<()>) {
        let queue = self.waiting.entry(tenant).or_default();
        if queue.is_empty() {
            self.turns.push_back(tenant);
        }
        queue.push_back(turn);
    }

    /// The next tenant's oldest call; that tenant goes to the back of the line.
    fn next(&mut self) -> Option<oneshot::Sender<()>> {
        let tenant = self.turns.pop_front()?;
        let queue = self.waiting.get_mut(&tenant)?;
        let turn = queue.pop_front();
        if queue.is_empty() {
            self.waiting.remove(&tenant);
        } else {
            self.turns.push_back(tenant);
        }
        turn
    }
}

fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl FairGate {
    /// A gate in front of `limiter`.
    pub fn new(limiter: DefaultDirectRateLimiter) -> Arc<Self> {
        Arc::new(Self { limiter, state: Mutex::new(State::default()) })
    }

    /// Wait for this task's tenant's turn and one permit of the limiter.
    pub async fn acquire(self: &Arc<Self>) {
        let (turn, granted) = oneshot::channel();
        {
            let mut state = lock(&self.state);
            // Nobody waiting and a permit free: go now.
            if state.turns.is_empty() && !state.dispatching && self.limiter.check().is_ok() {
                return;
            }
            state.enqueue(current(), turn);
            if !state.dispatching {
                state.dispatching = true;
                tokio::spawn(self.clone().dispatch());
            }
        }
        // The dispatcher only drops a turn after sending it.
        let _ = granted.await;
    }

    /// Hand out permits, one per waiting call, in turn order, until no one waits.
    async fn dispatch(self: Arc<Self>) {
        loop {
            self.limiter.until_ready().await;
            loop {
                let next = {
                    let mut state = lock(&self.state);
                    match state.next() {
                        Some(turn) => turn,
                        None => {
                            state.dispatching = false;
                            return;
                        }
                    }
                };
                // A caller that gave up leaves its permit to the next one.
                if next.send(()).is_ok() {
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::num::NonZeroU32;
    use std::time::Duration;

    use governor::{Quota, RateLimiter};

    use super::*;

    #[tokio::test]
    async fn a_late_tenant_is_served_before_the_tail_of_another_tenants_burst() {
        // Arrange: 1 permit per 10 ms, no burst.
        let quota = Quota::with_period(Duration::from_millis(10)).unwrap().allow_burst(NonZeroU32::MIN);
        let gate = FairGate::new(RateLimiter::direct(quota));
        let served = Arc::new(Mutex::new(Vec::new()));
        let call = |tenant: i64, label: i64| {
            let (gate, served) = (gate.clone(), served.clone());
            tokio::spawn(for_client(tenant, async move {
                gate.acquire().await;
                served.lock().unwrap().push(label);
            }))
        };
        let flood: Vec<_> = (0..20).map(|i| call(1, i)).collect();
        tokio::task::yield_now().await;

        // Act
        let late = call(2, 100);
        for task in flood {
            task.await.unwrap();
        }
        late.await.unwrap();

        // Assert: the late tenant's call is among the next two permits after it queued.
        let order = served.lock().unwrap().clone();
        let at = order.iter().position(|l| *l == 100).unwrap();
        assert!(at <= 3, "{order:?}");
        assert_eq!(order.iter().filter(|l| **l < 100).count(), 20);
    }
}
