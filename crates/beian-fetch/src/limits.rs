//! Politeness towards server addresses: one semaphore of `per_ip` permits per address, and
//! request pacing per address (`rate_per_ip`).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::OnWait;

/// Request pacing per server address (`rate_per_ip`): when each address may next be sent a
/// request. Slots are handed out in order of asking, one interval apart.
pub(crate) struct Pacer {
    interval: Option<Duration>,
    next: Mutex<HashMap<IpAddr, Instant>>,
}

impl Pacer {
    pub(crate) fn new(rate: Option<f64>) -> Self {
        let interval = rate
            .filter(|r| r.is_finite() && *r > 0.0)
            .map(|r| Duration::from_secs_f64(1.0 / r));
        Pacer {
            interval,
            next: Mutex::new(HashMap::new()),
        }
    }

    /// Waits for the next request slot of `ip`; returns how long it waited.
    pub(crate) async fn wait(&self, ip: IpAddr) -> Duration {
        let Some(interval) = self.interval else {
            return Duration::ZERO;
        };
        let now = Instant::now();
        let at = {
            // A poisoned lock only means another probe panicked; the map is still sound.
            let mut map = self.next.lock().unwrap_or_else(PoisonError::into_inner);
            let next = map.entry(ip).or_insert(now);
            let at = (*next).max(now);
            *next = at + interval;
            at
        };
        tokio::time::sleep_until(at.into()).await;
        at.saturating_duration_since(now)
    }
}

/// One semaphore per server address: a probe holds a permit of the address it talks to.
pub(crate) struct PerIp {
    pub(crate) limit: usize,
    pub(crate) map: Mutex<HashMap<IpAddr, Arc<tokio::sync::Semaphore>>>,
}

/// A held per-address permit and the address it is for.
pub(crate) type IpPermit = Option<(IpAddr, tokio::sync::OwnedSemaphorePermit)>;

/// What a probe holds while it talks to a server.
#[derive(Default)]
pub(crate) struct Permits {
    pub(crate) ip: IpPermit,
    pub(crate) slot: Option<tokio::sync::OwnedSemaphorePermit>,
}

impl PerIp {
    /// The address's permit; `on_wait` is called first when it is not free at once.
    pub(crate) async fn acquire(&self, ip: IpAddr, on_wait: &OnWait<'_>) -> IpPermit {
        if self.limit == 0 {
            return None;
        }
        let sem = {
            // A poisoned lock only means another probe panicked; the map is still sound.
            let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
            map.entry(ip)
                .or_insert_with(|| Arc::new(tokio::sync::Semaphore::new(self.limit)))
                .clone()
        };
        if let Ok(p) = sem.clone().try_acquire_owned() {
            return Some((ip, p));
        }
        on_wait();
        sem.acquire_owned().await.ok().map(|p| (ip, p))
    }
}
