//! Per-address limits of the gate: WebSocket upgrades, and refused credentials (a
//! brute-force brake). An address that collects more 401s than its burst is held back:
//! every request from it, with any credential, answers 429 until its wait is over, so a
//! guesser cannot tell a right guess from a wrong one faster than the rate allows.
//! The per-caller request limit is in [`super::gate::Gate`].

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::HashMapStateStore;
use governor::{Quota, RateLimiter};

use crate::config::AddressLimitSettings;

/// A rate limiter with one bucket per key.
pub type KeyedLimiter<K> = RateLimiter<K, HashMapStateStore<K>, DefaultClock>;

/// Above this many tracked keys, forget the ones whose buckets are full again.
pub const MAX_TRACKED_KEYS: usize = 10_000;

/// The remote address of a request (unspecified when the server runs without connect
/// info, so the limits still apply, to everyone at once).
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub IpAddr);

impl Peer {
    /// The peer of a request, from its extensions.
    pub fn of(extensions: &axum::http::Extensions) -> Self {
        Self(extensions.get::<ConnectInfo<SocketAddr>>().map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip()))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::of(&parts.extensions))
    }
}

/// A quota of `per_minute` after a burst of `burst` (both at least 1).
pub fn quota(per_minute: u32, burst: u32) -> Quota {
    let nz = |n: u32| NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN);
    Quota::per_minute(nz(per_minute)).allow_burst(nz(burst))
}

/// Take one cell from `key`'s bucket; `Err(whole seconds to wait, at least 1)` when empty.
pub fn take<K>(limiter: &KeyedLimiter<K>, key: &K) -> Result<(), u64>
where
    K: Clone + std::hash::Hash + Eq,
{
    if limiter.len() > MAX_TRACKED_KEYS {
        limiter.retain_recent();
    }
    limiter.check_key(key).map_err(|not_until| ceil_secs(not_until.wait_time_from(DefaultClock::default().now())))
}

/// Whole seconds, rounded up, at least 1 (a `Retry-After` of 0 invites a retry storm).
fn ceil_secs(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

/// WebSocket upgrades and refused credentials, per remote address.
pub struct AddressLimits {
    upgrades: KeyedLimiter<IpAddr>,
    refusals: KeyedLimiter<IpAddr>,
    /// Addresses over their refusal burst, until when.
    held: Mutex<HashMap<IpAddr, Instant>>,
}

impl AddressLimits {
    /// Limits from the settings.
    pub fn new(settings: &AddressLimitSettings) -> Self {
        Self {
            upgrades: RateLimiter::hashmap(quota(settings.ws_upgrades_per_minute, settings.ws_upgrade_burst)),
            refusals: RateLimiter::hashmap(quota(settings.auth_failures_per_minute, settings.auth_failure_burst)),
            held: Mutex::new(HashMap::new()),
        }
    }

    /// Count one WebSocket upgrade from `peer`; `Err(seconds to wait)` over the limit.
    pub fn upgrade(&self, peer: Peer) -> Result<(), u64> {
        take(&self.upgrades, &peer.0)
    }

    /// `Err(seconds to wait)` while `peer` is held back for refused credentials.
    pub fn held_back(&self, peer: Peer) -> Result<(), u64> {
        let mut held = self.held.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match held.get(&peer.0) {
            Some(until) if *until > Instant::now() => Err(ceil_secs(*until - Instant::now())),
            Some(_) => {
                held.remove(&peer.0);
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// Count one refused credential from `peer`; `Err(seconds to wait)` when it was one
    /// too many (the address is held back from now on, for that long).
    pub fn refused(&self, peer: Peer) -> Result<(), u64> {
        take(&self.refusals, &peer.0).inspect_err(|wait| self.hold(peer, *wait))
    }

    fn hold(&self, peer: Peer, wait: u64) {
        let mut held = self.held.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        if held.len() > MAX_TRACKED_KEYS {
            held.retain(|_, until| *until > now);
        }
        held.insert(peer.0, now + Duration::from_secs(wait));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(burst: u32) -> AddressLimits {
        AddressLimits::new(&AddressLimitSettings {
            ws_upgrade_burst: burst,
            ws_upgrades_per_minute: 1,
            auth_failure_burst: burst,
            auth_failures_per_minute: 1,
        })
    }

    #[test]
    fn an_address_over_its_refusal_burst_is_held_back_and_others_are_not() {
        let limits = limits(2);
        let (me, other) = (Peer([10, 0, 0, 1].into()), Peer([10, 0, 0, 2].into()));
        assert_eq!((limits.refused(me), limits.refused(me)), (Ok(()), Ok(())));
        assert_eq!(limits.held_back(me), Ok(()), "the burst itself does not hold back");
        let wait = limits.refused(me).expect_err("one too many");
        assert!((1..=60).contains(&wait), "{wait}");
        assert!(limits.held_back(me).is_err());
        assert_eq!(limits.held_back(other), Ok(()));
        assert_eq!(limits.refused(other), Ok(()));
    }

    #[test]
    fn upgrades_are_counted_per_address() {
        let limits = limits(1);
        let (me, other) = (Peer([10, 0, 0, 1].into()), Peer([10, 0, 0, 2].into()));
        assert_eq!(limits.upgrade(me), Ok(()));
        assert!(limits.upgrade(me).is_err());
        assert_eq!(limits.upgrade(other), Ok(()));
    }
}
